package hyperv

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestAssembleScript(t *testing.T) {
	parts := map[string]string{"two": "a = 1\n\nif (a) {\n  b\n}", "nested": "x\n  #include two"}
	tests := []struct {
		name, body, want, err string
	}{
		{"no include", "x\ny", "x\ny", ""},
		{"at the margin", "x\n#include two\ny", "x\na = 1\n\nif (a) {\n  b\n}\ny", ""},
		{"indented as the include line", "{\n    #include two\n}", "{\n    a = 1\n\n    if (a) {\n      b\n    }\n}", ""},
		{"a comment that only starts alike", "#included two", "#included two", ""},
		{"no such part", "#include three", "", `no part "three"`},
		{"a part that includes", "#include nested", "", "part nested includes another"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := assembleScript("s", tc.body, parts)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one saying %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestLoadParts(t *testing.T) {
	fsys := fstest.MapFS{"scripts/parts/a.ps1": {Data: []byte("x\r\ny\r\n\r\n")}}
	parts, err := loadParts(fsys)
	if err != nil || len(parts) != 1 || parts["a"] != "x\ny" {
		t.Errorf("parts %q, %v", parts, err)
	}
	if _, err := loadParts(fstest.MapFS{}); err == nil {
		t.Error("no parts folder: no error")
	}
}

// TestScriptPartsAreEachIncluded keeps every part in use and every
// shipped script whole: no include line reaches a host, and each read
// that get-vms, get-host and get-counters make is the one poll-host makes.
func TestScriptPartsAreEachIncluded(t *testing.T) {
	parts, err := loadParts(scriptFS)
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range Scripts() {
		if strings.Contains(body, includePrefix) {
			t.Errorf("script %s still has an include line", name)
		}
	}
	shared := map[string][]string{
		"read-vms":      {ScriptGetVMs, ScriptPollHost},
		"read-host":     {ScriptGetHost, ScriptPollHost},
		"read-shares":   {ScriptGetHost, ScriptPollHost},
		"sample-cpu":    {ScriptGetCounters, ScriptPollHost},
		"sample-memory": {ScriptGetCounters, ScriptPollHost},
	}
	if len(parts) != len(shared) {
		t.Errorf("%d parts embedded, %d expected", len(parts), len(shared))
	}
	for part, users := range shared {
		text, ok := parts[part]
		if !ok {
			t.Errorf("no part %s", part)
			continue
		}
		for _, s := range users {
			raw, err := scriptFS.ReadFile("scripts/" + s + ".ps1")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(raw), includePrefix+part+"\n") {
				t.Errorf("script %s does not include part %s", s, part)
			}
			last := text[strings.LastIndex(text, "\n")+1:]
			if !strings.Contains(Scripts()[s], last) {
				t.Errorf("script %s lacks part %s's last line", s, part)
			}
		}
	}
}
