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
	for _, s := range []string{"", "vm-01", "Hv VP 0", `a"b`, `back\slash`, "<tag>", "a&b", "o'brien", "tab\there", "line\nbreak", "é", "\u2028", "\x7f", "\xff"} {
		var got bytes.Buffer
		writeJSONString(&got, s)
		out, _ := json.Marshal(s)
		want := bytes.ReplaceAll(out, []byte("'"), []byte(`\u0027`))
		if !bytes.Equal(got.Bytes(), want) {
			t.Errorf("%q: wrote %s, want %s", s, got.Bytes(), want)
		}
	}
}
