package eval

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestWriteJSONStringEscapesAsJavaScriptSerializer writes strings that
// need no escape as they are and the others as encoding/json escapes
// them, with the apostrophe too, as Windows PowerShell 5.1 does.
func TestWriteJSONStringEscapesAsJavaScriptSerializer(t *testing.T) {
	for _, s := range []string{"", "vm-01", "Hv VP 0", `a"b`, `back\slash`, "<tag>", "a&b", "o'brien", "tab\there", "line\nbreak", "é", "\u2028", "\x7f", "\xff",
		`\\fs01.lab.example\vms\app-0007\app-0007.vhdx`, `C:\`, `\`, `a\'b`, `\"`, "\\\n", `\<`} {
		var got bytes.Buffer
		writeJSONString(&got, s)
		out, _ := json.Marshal(s)
		want := bytes.ReplaceAll(out, []byte("'"), []byte(`\u0027`))
		if !bytes.Equal(got.Bytes(), want) {
			t.Errorf("%q: wrote %s, want %s", s, got.Bytes(), want)
		}
	}
}

// FuzzWriteJSONString: whatever the string, it is written as encoding/json
// and the apostrophe's escape write it.
func FuzzWriteJSONString(f *testing.F) {
	for _, s := range []string{`C:\VMs\a.vhdx`, `\\fs\share`, "a'b\\c", "plain"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var got bytes.Buffer
		writeJSONString(&got, s)
		out, _ := json.Marshal(s)
		if want := bytes.ReplaceAll(out, []byte("'"), []byte(`\u0027`)); !bytes.Equal(got.Bytes(), want) {
			t.Errorf("%q: wrote %s, want %s", s, got.Bytes(), want)
		}
	})
}
