package wsman

import (
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"PT60S", time.Minute, true},
		{"PT0.5S", 500 * time.Millisecond, true},
		{"PT60.000S", time.Minute, true},
		{"PT7200.000S", 2 * time.Hour, true},
		{"P0DT0H0M0S", 0, true},
		{"PT1M30S", 90 * time.Second, true},
		{"P1DT2H", 26 * time.Hour, true},
		{"P1W", 7 * 24 * time.Hour, true},
		{"PT0S", 0, true},
		{"", 0, false},
		{"P", 0, false},
		{"PT", 0, false},
		{"60", 0, false},
		{"PT60", 0, false},
		{"PTS", 0, false},
		{"-PT60S", 0, false},
		{"PT1S1M", 0, false},
		{"PT1S1S", 0, false},
		{"P1H", 0, false},
		{"PT1.2.3S", 0, false},
		{"PT1ST", 0, false},
		{"P99999999999999999999Y", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseDuration(tc.in)
			if (err == nil) != tc.ok || got != tc.want {
				t.Errorf("parseDuration(%q) = %v, %v; want %v, ok %t", tc.in, got, err, tc.want, tc.ok)
			}
		})
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{2 * time.Hour: "PT7200.000S", 20 * time.Millisecond: "PT0.020S"} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
		if back, err := parseDuration(formatDuration(d)); err != nil || back != d {
			t.Errorf("round trip of %v: %v, %v", d, back, err)
		}
	}
}
