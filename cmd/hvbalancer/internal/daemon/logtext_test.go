package daemon

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestClipCutsBetweenWords: a long text is cut after a whole word, within
// the cap, and marked; a short one is left alone; one endless word is cut
// where the cap falls.
func TestClipCutsBetweenWords(t *testing.T) {
	words := strings.Repeat("host unreachable, ", 10) // 180 characters
	for _, c := range []struct {
		name, in, want string
	}{
		{"short", "collect: every host unreachable", "collect: every host unreachable"},
		{"exactly the cap", strings.Repeat("a", maxLogText), strings.Repeat("a", maxLogText)},
		{"words", words, strings.Repeat("host unreachable, ", 6) + "host…"},
		{"a word ends at the cap", strings.Repeat("abcd ", 23) + "efgh ijk", strings.Repeat("abcd ", 23) + "efgh…"},
		{"one long word", strings.Repeat("x", 200), strings.Repeat("x", maxLogText-1) + "…"},
		{"long word after a short head", "HV01: " + strings.Repeat("y", 200), "HV01: " + strings.Repeat("y", maxLogText-7) + "…"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := clip(c.in)
			if got != c.want {
				t.Errorf("clip(%q)\n = %q\nwant %q", c.in, got, c.want)
			}
			if n := utf8.RuneCountInString(got); n > maxLogText {
				t.Errorf("%d characters, more than %d", n, maxLogText)
			}
		})
	}
}
