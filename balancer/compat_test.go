package balancer

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// modelKey gives what it gave when it always split the caption into fields
// and searched its lower-case form: the same key for every caption, the
// single-spaced ones it now takes as they are and every other.
func TestModelKeyAsFieldsAndLowerCase(t *testing.T) {
	want := func(caption string) string {
		c := strings.Join(strings.Fields(caption), " ")
		if i := strings.Index(strings.ToLower(c), " stepping"); i >= 0 {
			c = c[:i]
		}
		return c
	}
	captions := []string{
		"", " ", "Intel64 Family 6 Model 106 Stepping 6", "Intel64 Family 6 Model 106 stepping 6",
		"  Intel64  Family 6\tModel 85 STEPPING 7 ", "AMD64 Family 25 Model 1", "Stepping 1", " Stepping 1",
		"x Steppin", "x Stepping", "a\u00a0b Stepping 2", "é Stepping 3", "Model\nStepping 4",
	}
	pieces := []string{"Intel64", "Family", "6", " ", "  ", "\t", "Stepping", "STEPPING", "stepping", "é", "\u00a0", "x"}
	r := rand.New(rand.NewPCG(1, 9))
	for range 3000 {
		var b strings.Builder
		for range r.IntN(8) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		captions = append(captions, b.String())
	}
	for _, c := range captions {
		if got, want := modelKey(c), want(c); got != want {
			t.Errorf("modelKey(%q) = %q, want %q", c, got, want)
		}
	}
}
