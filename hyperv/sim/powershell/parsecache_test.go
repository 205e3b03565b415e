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
