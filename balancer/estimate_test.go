package balancer

import (
	"fmt"
	"math"
	"testing"
)

func TestMigrationSeconds(t *testing.T) {
	tests := []struct {
		name      string
		bytes     int64
		cores     float64
		bandwidth float64
		want      float64
	}{
		{"idle 16 GiB", 16 * gib, 0, 1.25e9, 14.031},
		{"busy 16 gib dirties more", 16 * gib, 4, 1.25e9, 15.729},
		{"dirtier than the link: ten rounds", 64 * gib, 40, 1.25e9, 604.831},
		{"small VM", gib, 0, 1.25e9, 0.971},
		{"slow link", 8 * gib, 2, 1e8, 456.018},
		{"no memory", 0, 1, 1.25e9, 0.1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := migrationSeconds(tc.bytes, tc.cores, tc.bandwidth)
			if math.Abs(got-tc.want) > 0.001 {
				t.Errorf("migrationSeconds = %.4f, want %.3f", got, tc.want)
			}
		})
	}
}

func TestScheduleSeconds(t *testing.T) {
	mv := func(from, to string, s float64) Move { return Move{From: from, To: to, EstimatedSeconds: s} }
	tests := []struct {
		name   string
		moves  []Move
		limits map[string]int
		max    int
		want   float64
	}{
		{"nothing", nil, nil, 4, 0},
		{"independent moves run together", []Move{mv("a", "b", 10), mv("c", "d", 20)}, nil, 4, 20},
		{"overall limit", []Move{mv("a", "b", 10), mv("c", "d", 10), mv("e", "f", 10)}, nil, 2, 20},
		{"host default limit of 2", []Move{mv("a", "b", 10), mv("a", "c", 10), mv("a", "d", 10)}, nil, 4, 20},
		{"host's own limit", []Move{mv("a", "b", 10), mv("a", "c", 10), mv("a", "d", 10)}, map[string]int{"a": 1}, 4, 30},
		{"a waiting move does not hold back the next",
			[]Move{mv("a", "b", 30), mv("a", "c", 5), mv("a", "d", 5), mv("e", "f", 7)}, map[string]int{"a": 1}, 2, 40},
		{"destination limits too", []Move{mv("a", "x", 10), mv("b", "x", 10), mv("c", "x", 10)}, map[string]int{"x": 2}, 4, 20},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := scheduleSeconds(tc.moves, tc.limits, tc.max); got != tc.want {
				t.Errorf("scheduleSeconds = %g, want %g", got, tc.want)
			}
		})
	}
}

func TestMarkdownEscape(t *testing.T) {
	tests := []struct{ in, want string }{
		{"hv01", "hv01"},
		{"web|01", `web\|01`},
		{"**bold** _it_ `code`", `\*\*bold\*\* \_it\_ \` + "`code\\`"},
		{"<script>alert('x')</script>", `\<script\>alert('x')\</script\>`},
		{"[a](http://x) @me :smile: #1 ~~s~~ $x$ &amp;", `\[a\](http\://x) \@me \:smile: \#1 \~\~s\~\~ \$x\$ \&amp;`},
		{"CPU: 90%", "CPU: 90%"},
		{"a\nb\r\tc\x1b[0m\u202eevil", `a b  c \[0m evil`},
		{`back\slash`, `back\\slash`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := md(tc.in); got != tc.want {
				t.Errorf("md(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestFormatting(t *testing.T) {
	tests := []struct{ got, want string }{
		{formatBytes(512 << 20), "512 MiB"},
		{formatBytes(24 * gib), "24.0 GiB"},
		{formatSeconds(0.4), "0s"},
		{formatSeconds(47), "47s"},
		{formatSeconds(130), "2m10s"},
		{formatSeconds(3900), "1h05m"},
		{fmt.Sprint(decimals(-0.001, 2)), "0"},
		{fmt.Sprint(decimals(0.25, 1)), "0.3"},
		{fmt.Sprint(decimals(math.NaN(), 3)), "0"},
		{truncate("abcdef", 4), "abc…"},
		{truncate("abc", 4), "abc"},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestMinGain(t *testing.T) {
	want := []float64{math.Inf(1), math.Inf(1), 2, 1, 0.5, 0.1, math.Inf(1)}
	for level, w := range want {
		if got := MinGain(level); got != w {
			t.Errorf("MinGain(%d) = %g, want %g", level, got, w)
		}
	}
}
