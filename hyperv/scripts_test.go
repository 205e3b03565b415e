package hyperv

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/google/go-cmp/cmp"
)

// decodeCommand reverses EncodeCommand: it returns the PowerShell text and
// the decoded JSON parameters.
func decodeCommand(t *testing.T, cmdline string) (text string, params map[string]any) {
	t.Helper()
	const prefix = "powershell.exe -NoProfile -NonInteractive -EncodedCommand "
	b64, ok := strings.CutPrefix(cmdline, prefix)
	if !ok {
		t.Fatalf("command line %.80q lacks %q", cmdline, prefix)
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(raw)%2 != 0 {
		t.Fatalf("decode base64: %v (%d bytes)", err, len(raw))
	}
	u := make([]uint16, len(raw)/2)
	for i := range u {
		u[i] = uint16(raw[2*i]) | uint16(raw[2*i+1])<<8
	}
	text = string(utf16.Decode(u))
	lines := strings.SplitN(text, "\n", 3)
	if len(lines) != 3 {
		t.Fatalf("command text has %d lines", len(lines))
	}
	if lines[0] != ProgressPrefix {
		t.Errorf("line 1 = %q, want %q", lines[0], ProgressPrefix)
	}
	blob, ok := strings.CutPrefix(lines[1], ParamPrefix)
	blob, ok2 := strings.CutSuffix(blob, ParamSuffix)
	if !ok || !ok2 {
		t.Fatalf("line 2 = %q, not a parameter line", lines[1])
	}
	js, err := base64.StdEncoding.DecodeString(blob)
	if err != nil {
		t.Fatalf("decode parameter blob: %v", err)
	}
	if err := json.Unmarshal(js, &params); err != nil {
		t.Fatalf("parameters %s: %v", js, err)
	}
	return text, params
}

func TestEncodeCommand(t *testing.T) {
	hostile := "x'); Stop-Computer -Force; #\"\n$(Remove-Item C:\\ -Recurse)`é😀"
	longHost := strings.Repeat("hv-node-0123456789.", 13) + "example.org" // 258 -> trimmed below
	longHost = longHost[:253]
	longPath := "D:\\Hyper-V\\" + strings.Repeat("é", 249) // 260 characters, 2 bytes each
	tests := []struct {
		name   string
		script string
		params any
	}{
		{"get-host", ScriptGetHost, struct{}{}},
		{"get-vms", ScriptGetVMs, nil},
		{"get-counters", ScriptGetCounters, struct{ SampleInterval int }{3600}},
		{"locate-vm", ScriptLocateVM, struct{ Id string }{"3f1c2a9e-8b7d-4c6e-9f10-2a3b4c5d6e7f"}},
		{"locate-vm hostile", ScriptLocateVM, struct{ Id string }{hostile}},
		{"move-vm maximal", ScriptMoveVM, struct{ Id, DestinationHost, DestinationStoragePath string }{
			"3f1c2a9e-8b7d-4c6e-9f10-2a3b4c5d6e7f", longHost, longPath}},
		{"move-vm hostile", ScriptMoveVM, struct{ Id, DestinationHost, DestinationStoragePath string }{hostile, hostile, hostile}},
		{"compare-vm maximal", ScriptCompareVM, struct{ Id, DestinationHost, DestinationStoragePath string }{
			"3f1c2a9e-8b7d-4c6e-9f10-2a3b4c5d6e7f", longHost, longPath}},
		{"compare-vm hostile", ScriptCompareVM, struct{ Id, DestinationHost, DestinationStoragePath string }{hostile, hostile, hostile}},
		{"move-cluster-vm maximal", ScriptMoveClusterVM, struct{ Id, DestinationHost string }{"3f1c2a9e-8b7d-4c6e-9f10-2a3b4c5d6e7f", longHost}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmdline, err := EncodeCommand(tc.script, tc.params)
			if err != nil {
				t.Fatal(err)
			}
			if len(cmdline) >= MaxCommandLine {
				t.Errorf("command line is %d characters, limit %d", len(cmdline), MaxCommandLine)
			}
			text, params := decodeCommand(t, cmdline)
			body := Scripts()[tc.script]
			if !strings.HasSuffix(text, "\n"+body) || strings.Count(text, "\n") != strings.Count(body, "\n")+2 {
				t.Errorf("text does not end with the script body:\n%s", text)
			}
			if strings.Contains(text, hostile) || strings.Contains(text, "Stop-Computer") {
				t.Error("a parameter appears in the script text")
			}
			want := map[string]any{}
			if tc.params != nil {
				js, _ := json.Marshal(tc.params)
				_ = json.Unmarshal(js, &want)
			}
			if diff := cmp.Diff(want, params); diff != "" {
				t.Errorf("parameters (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEncodeCommandErrors(t *testing.T) {
	if _, err := EncodeCommand("no-such-script", nil); err == nil {
		t.Error("unknown script: no error")
	}
	huge := struct{ Id string }{strings.Repeat("&", 4000)}
	if _, err := EncodeCommand(ScriptLocateVM, huge); err == nil {
		t.Error("oversized parameters: no error")
	}
	if _, err := EncodeCommand(ScriptLocateVM, make(chan int)); err == nil {
		t.Error("unmarshallable parameters: no error")
	}
}

func TestScriptsComplete(t *testing.T) {
	names := []string{ScriptGetHost, ScriptGetVMs, ScriptGetCounters, ScriptLocateVM, ScriptMoveVM, ScriptMoveClusterVM, ScriptCompareVM, ScriptPollHost}
	if len(Scripts()) != len(names) {
		t.Errorf("%d scripts embedded, %d named", len(Scripts()), len(names))
	}
	for _, name := range names {
		body := Scripts()[name]
		if body == "" || strings.Contains(body, "\r") {
			t.Errorf("script %s: empty or CRLF", name)
		}
	}
}

// TestScriptsWindowsPowerShell keeps PowerShell 7-only syntax and
// parameters out of the scripts: hosts run Windows PowerShell 5.1, which
// fails on them (the simulated host's parser refuses them too).
func TestScriptsWindowsPowerShell(t *testing.T) {
	ps7 := []string{"??", "?.", "&&", "||", "-AsHashtable", "-Parallel", "-Depth 100", "ConvertFrom-Json -Depth", "$PSStyle", "Join-String", "clean {"}
	for name, body := range Scripts() {
		for _, tok := range ps7 {
			if strings.Contains(body, tok) {
				t.Errorf("script %s uses %q, which Windows PowerShell 5.1 lacks", name, tok)
			}
		}
		if !strings.HasPrefix(body, "# hvbalancer "+name+"\n$ErrorActionPreference = 'Stop'\n") {
			t.Errorf("script %s does not start with its name and ErrorActionPreference Stop", name)
		}
		if strings.Count(body, "{") != strings.Count(body, "}") || strings.Count(body, "(") != strings.Count(body, ")") {
			t.Errorf("script %s: unbalanced braces or parentheses", name)
		}
	}
}
