package collector

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSummarize(t *testing.T) {
	spike := make([]float64, 0, 21)
	for range 20 {
		spike = append(spike, 10)
	}
	spike = append(spike[:10], append([]float64{100}, spike[10:]...)...)
	tests := []struct {
		name string
		vals []float64
		want Stat
	}{
		{"empty", nil, Stat{}},
		{"one", []float64{42}, Stat{Last: 42, Mean: 42, P95: 42, Max: 42}},
		{"last is the newest, not the largest", []float64{40, 10, 30, 20}, Stat{Last: 20, Mean: 25, P95: 40, Max: 40}},
		// Nearest rank: ⌈0.95·20⌉ = 19th of 20 sorted values.
		{"twenty", seq(1, 20), Stat{Last: 20, Mean: 10.5, P95: 19, Max: 20}},
		{"hundred", seq(1, 100), Stat{Last: 100, Mean: 50.5, P95: 95, Max: 100}},
		// One spike in 21 samples: the mean moves by 4.3 points and the
		// p95 (the 20th of 21) not at all; only the max shows it.
		{"one spike in twenty-one", spike, Stat{Last: 10, Mean: 300.0 / 21, P95: 10, Max: 100}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, summarize(tc.vals)); diff != "" {
				t.Errorf("summarize(%v) (-want +got):\n%s", tc.vals, diff)
			}
		})
	}
}

func seq(from, to int) []float64 {
	var out []float64
	for i := from; i <= to; i++ {
		out = append(out, float64(i))
	}
	return out
}

func TestWindowExpiry(t *testing.T) {
	t0 := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		at   []time.Duration // sample times after t0, value = minutes
		span time.Duration
		want Stat
		n    int
	}{
		{"all inside", []time.Duration{0, time.Minute, 2 * time.Minute}, 5 * time.Minute, Stat{Last: 2, Mean: 1, P95: 2, Max: 2}, 3},
		{"a sample exactly span old stays", []time.Duration{0, 5 * time.Minute}, 5 * time.Minute, Stat{Last: 5, Mean: 2.5, P95: 5, Max: 5}, 2},
		{"older ones go", []time.Duration{0, time.Minute, 2 * time.Minute, 7 * time.Minute}, 5 * time.Minute, Stat{Last: 7, Mean: 4.5, P95: 7, Max: 7}, 2},
		{"a gap longer than the span leaves the newest", []time.Duration{0, time.Minute, time.Hour}, 5 * time.Minute, Stat{Last: 60, Mean: 60, P95: 60, Max: 60}, 1},
		{"a sample from the past is ignored", []time.Duration{2 * time.Minute, time.Minute}, 5 * time.Minute, Stat{Last: 2, Mean: 2, P95: 2, Max: 2}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var w window
			for _, d := range tc.at {
				w.add(t0.Add(d), d.Minutes(), tc.span)
			}
			if diff := cmp.Diff(tc.want, w.stat()); diff != "" {
				t.Errorf("stat (-want +got):\n%s", diff)
			}
			if w.len() != tc.n {
				t.Errorf("len = %d, want %d", w.len(), tc.n)
			}
		})
	}
}
