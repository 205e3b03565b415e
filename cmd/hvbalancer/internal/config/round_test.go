package config

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRoundDeadlineDefaultsUnderTheInterval(t *testing.T) {
	t.Setenv("HVB_DEADLINE_PW", "pw")
	tests := []struct {
		extra string
		want  time.Duration
	}{
		{"", 150 * time.Second},                                       // half the default 5m
		{"round_interval: 5s\n", 10 * time.Second},                    // at least 10s, even above a short interval
		{"round_interval: 30s\n", 15 * time.Second},                   // half
		{"round_interval: 12s\n", 10 * time.Second},                   // at least 10s
		{"round_interval: 1m\nround_deadline: 5s\n", 5 * time.Second}, // the file's own
	}
	for _, tt := range tests {
		c, err := Parse(deadlineDoc(t, tt.extra), t.TempDir())
		if err != nil {
			t.Fatalf("%q: %v", tt.extra, err)
		}
		if c.RoundDeadline != tt.want {
			t.Errorf("%q: round_deadline %s, want %s", tt.extra, c.RoundDeadline, tt.want)
		}
	}
}

func TestRoundDeadlineAndHeadroomAreChecked(t *testing.T) {
	t.Setenv("HVB_DEADLINE_PW", "pw")
	tests := []struct {
		extra string
		want  []string
	}{
		{"round_interval: 1m\nround_deadline: 2m\n", []string{"round_deadline: 2m0s: must be > 0 and at most round_interval 1m0s (or 10s when that is shorter)"}},
		{"round_deadline: -1s\n", []string{"round_deadline: -1s: must be > 0 and at most round_interval 5m0s (or 10s when that is shorter)"}},
		{"planner: {headroom: 80}\n", []string{"planner.headroom: 80: must be >= 0 and below cpu_high and memory_high"}},
		{"planner: {headroom: -1}\n", []string{"planner.headroom: -1: must be >= 0 and below cpu_high and memory_high"}},
		{"planner: {headroom: .nan}\n", []string{"planner.headroom: NaN: must be >= 0 and below cpu_high and memory_high"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, parseProblems(t, deadlineDoc(t, tt.extra))); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tt.extra, diff)
		}
	}
}
