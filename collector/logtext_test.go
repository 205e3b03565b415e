package collector

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestDropRepeatedAddress(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{
			"get host on 127.0.0.1:42009: wsman: host unreachable: dial tcp 127.0.0.1:42009: connect: connection refused",
			"get host on 127.0.0.1:42009: wsman: host unreachable: connect: connection refused",
		},
		{ // named once: kept
			"wsman: host unreachable: dial tcp 10.0.0.5:5986: i/o timeout",
			"wsman: host unreachable: dial tcp 10.0.0.5:5986: i/o timeout",
		},
		{ // another address: kept
			"get host on hv01.lab:5986: dial tcp 10.0.0.5:5986: connect: no route to host",
			"get host on hv01.lab:5986: dial tcp 10.0.0.5:5986: connect: no route to host",
		},
		{
			"get vms on [fd00::5]:5986: wsman: host unreachable: dial tcp [fd00::5]:5986: connect: connection refused",
			"get vms on [fd00::5]:5986: wsman: host unreachable: connect: connection refused",
		},
	} {
		if got := dropRepeatedAddress(tt.in); got != tt.want {
			t.Errorf("dropRepeatedAddress(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

func TestClipCutsAtAWord(t *testing.T) {
	long := strings.Repeat("Move-VM refused the destination host ", 10)
	got := clip(long)
	if n := utf8.RuneCountInString(got); n > maxLogText {
		t.Errorf("clip gave %d characters, want at most %d", n, maxLogText)
	}
	body := strings.TrimSuffix(got, "…")
	if !strings.HasSuffix(got, "…") || !strings.HasPrefix(long, body) || long[len(body)] != ' ' {
		t.Errorf("clip(%q) = %q: not cut at a word boundary", long, got)
	}
	if s := "short"; clip(s) != s {
		t.Errorf("clip(%q) = %q", s, clip(s))
	}
	word := strings.Repeat("x", 400) // no boundary: cut at the cap
	if got := clip(word); utf8.RuneCountInString(got) != maxLogText {
		t.Errorf("clip of one long word gave %d characters, want %d", utf8.RuneCountInString(got), maxLogText)
	}
}
