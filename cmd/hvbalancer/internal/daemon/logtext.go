package daemon

import (
	"strings"
	"unicode"
)

// maxLogText caps the free text in one log line (a round's error, which
// may name every host): /api/v1/status and /readyz say it whole.
const maxLogText = 120

// clip shortens s to at most maxLogText characters, marking the cut with
// "…". It cuts at the last space that leaves at least half of the text (a
// word is never split), and mid-word only when a single word fills that
// much.
func clip(s string) string {
	r := []rune(s)
	if len(r) <= maxLogText {
		return s
	}
	keep := r[:maxLogText-1]
	if cut := lastSpace(keep, next(r, maxLogText-1)); cut >= maxLogText/2 {
		keep = keep[:cut]
	}
	return strings.TrimRightFunc(string(keep), func(c rune) bool { return unicode.IsSpace(c) || unicode.IsPunct(c) && c != ')' }) + "…"
}

// next returns the rune at i, or a space past the end.
func next(r []rune, i int) rune {
	if i < len(r) {
		return r[i]
	}
	return ' '
}

// lastSpace returns where the last whole word of keep ends: len(keep)
// when the word it ends with is whole (followed by after, a space), else
// the index of the last space, or -1 when there is none.
func lastSpace(keep []rune, after rune) int {
	if unicode.IsSpace(after) {
		return len(keep)
	}
	for i := len(keep) - 1; i >= 0; i-- {
		if unicode.IsSpace(keep[i]) {
			return i
		}
	}
	return -1
}
