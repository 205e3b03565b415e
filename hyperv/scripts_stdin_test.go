package hyperv

import (
	"encoding/base64"
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"unicode/utf16"
)

// TestEncodeStdinCommand checks the loader's command line (short, with
// nothing of the script or its parameters) and the text for stdin: the
// parameter line and the script body, printable ASCII only.
func TestEncodeStdinCommand(t *testing.T) {
	params := struct {
		SampleInterval int
		Facts          bool
	}{2, true}
	line, stdin, err := EncodeStdinCommand(ScriptPollHost, params)
	if err != nil {
		t.Fatal(err)
	}
	b64, ok := strings.CutPrefix(line, "powershell.exe -NoProfile -NonInteractive -EncodedCommand ")
	if !ok || len(line) > 400 {
		t.Fatalf("command line %q", line)
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	u := make([]uint16, len(raw)/2)
	for i := range u {
		u[i] = uint16(raw[2*i]) | uint16(raw[2*i+1])<<8
	}
	if got, want := string(utf16.Decode(u)), ProgressPrefix+"\n"+StdinLoader; got != want {
		t.Errorf("loader %q, want %q", got, want)
	}
	text := string(stdin)
	first, body, _ := strings.Cut(text, "\n")
	if body != Scripts()[ScriptPollHost]+"\n" {
		t.Error("stdin does not carry the script body after the parameter line")
	}
	blob, _ := strings.CutPrefix(first, ParamPrefix)
	blob, _ = strings.CutSuffix(blob, ParamSuffix)
	js, err := base64.StdEncoding.DecodeString(blob)
	var got map[string]any
	if err != nil || json.Unmarshal(js, &got) != nil || got["SampleInterval"] != 2.0 || got["Facts"] != true {
		t.Errorf("parameter line %q: %v %v", first, err, got)
	}
	for i, r := range text {
		if r > 0x7e || r < 0x20 && r != '\n' {
			t.Fatalf("character %q at %d", r, i)
		}
	}
	if _, _, err := EncodeStdinCommand("no-such-script", nil); err == nil {
		t.Error("unknown script: no error")
	}
}

// TestPollHostReadsWhatTheSeparateScriptsRead keeps the combined read in
// step with the separate ones: every CIM class and property, cmdlet and
// calculated property get-vms and get-host read, poll-host reads too, and
// every class and property get-counters reads (its samples' names are
// one letter long in poll-host, and carry every field of get-counters').
func TestPollHostReadsWhatTheSeparateScriptsRead(t *testing.T) {
	poll := Scripts()[ScriptPollHost]
	names := regexp.MustCompile(`Win32_\w+|\$_\.[A-Za-z_]\w*|\b(?:Get|New)-\w+|@\{n='\w+'`)
	if a, b := reflect.TypeFor[rawSampleJSON]().NumField(), reflect.TypeFor[compactSampleJSON]().NumField(); a != b {
		t.Errorf("get-counters' samples have %d fields, poll-host's %d", a, b)
	}
	for _, s := range []string{ScriptGetCounters, ScriptGetVMs, ScriptGetHost} {
		for _, n := range names.FindAllString(Scripts()[s], -1) {
			if s == ScriptGetCounters && strings.HasPrefix(n, "@{n=") {
				continue
			}
			if !strings.Contains(poll, n) {
				t.Errorf("%s reads %s; poll-host does not", s, n)
			}
		}
	}
}
