package powershell

import (
	"fmt"
	"testing"
)

// TestParseCacheKeepsTheLastTexts parses a text once while it is among
// the last parseCacheSize texts, and again once it has dropped out.
func TestParseCacheKeepsTheLastTexts(t *testing.T) {
	var c parseCache
	first, err := c.parse("Get-VM | Select-Object Name")
	if err != nil {
		t.Fatal(err)
	}
	for i := range parseCacheSize - 1 {
		if _, err := c.parse(fmt.Sprintf("$x = %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if again, _ := c.parse("Get-VM | Select-Object Name"); again != first {
		t.Error("a text among the last ones was parsed again")
	}
	for i := range parseCacheSize {
		_, _ = c.parse(fmt.Sprintf("$y = %d", i))
	}
	if again, _ := c.parse("Get-VM | Select-Object Name"); again == first {
		t.Error("a text that dropped out came from the cache")
	}
	if len(c.entries) != parseCacheSize {
		t.Errorf("%d entries, want %d", len(c.entries), parseCacheSize)
	}
	_, err1 := c.parse("if (")
	_, err2 := c.parse("if (")
	if err1 == nil || err1 != err2 {
		t.Errorf("a text that does not parse: %v, then %v; want the same parse error", err1, err2)
	}
}

// TestSharedParseCacheServesEveryHost: shells sharing a cache parse a
// text once between them, and each still answers for its own host.
func TestSharedParseCacheServesEveryHost(t *testing.T) {
	f := testFleet(t)
	parses := NewParseCache()
	a, b := NewSharedShell(f, "HV01", parses), NewSharedShell(f, "HV02", parses)
	line := encode(t, "(Get-VMHost).ComputerName", nil)
	if r := runLine(a, line); r.code != 0 || r.out != "HV01\r\n" {
		t.Fatalf("HV01: exit %d, %q %q", r.code, r.out, r.errOut)
	}
	if len(parses.c.entries) != 1 {
		t.Fatalf("%d texts cached after one, want 1", len(parses.c.entries))
	}
	tree := parses.c.entries[0].tree
	if r := runLine(b, line); r.code != 0 || r.out != "HV02\r\n" {
		t.Fatalf("HV02: exit %d, %q %q", r.code, r.out, r.errOut)
	}
	if len(parses.c.entries) != 1 || parses.c.entries[0].tree != tree {
		t.Error("the second host parsed the text again")
	}
	for i := range sharedParseCacheSize {
		_, _ = b.parsed.parse(fmt.Sprintf("$x = %d", i))
	}
	if len(parses.c.entries) != sharedParseCacheSize {
		t.Errorf("%d entries, want %d", len(parses.c.entries), sharedParseCacheSize)
	}
}
