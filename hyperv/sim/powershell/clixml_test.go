package powershell

import (
	"encoding/xml"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCLIXMLIsWellFormedAndRoundTrips(t *testing.T) {
	e := psError{
		Command:  "Move-VM",
		Message:  []string{"Virtual machine migration operation for 'x<&>_x0041_' failed.", "No credentials (0x8009030E)."},
		Line:     7,
		Char:     1,
		Source:   "Move-VM @m | Select-Object Name",
		Category: "NotSpecified: (:) [Move-VM], VirtualizationException",
		ErrorID:  "OperationFailed,Microsoft.HyperV.PowerShell.Commands.MoveVM",
	}
	out := clixml(e)
	if !strings.HasPrefix(out, "#< CLIXML\r\n") {
		t.Fatalf("missing header: %q", out[:20])
	}
	var objs struct {
		S []struct {
			S    string `xml:"S,attr"`
			Text string `xml:",chardata"`
		} `xml:"S"`
		Obj []struct {
			S string `xml:"S,attr"`
		} `xml:"Obj"`
	}
	if err := xml.Unmarshal([]byte(strings.TrimPrefix(out, clixmlHeader)), &objs); err != nil {
		t.Fatalf("not XML: %v", err)
	}
	if len(objs.Obj) != 1 || objs.Obj[0].S != "progress" {
		t.Errorf("want one progress record, got %+v", objs.Obj)
	}
	var lines []string
	for _, s := range objs.S {
		if s.S != "Error" {
			t.Errorf("stream %q, want Error", s.S)
		}
		l := strings.ReplaceAll(s.Text, "_x000D__x000A_", "")
		l = strings.ReplaceAll(l, "_x005F_", "_")
		lines = append(lines, l)
	}
	want := []string{
		"Move-VM : Virtual machine migration operation for 'x<&>_x0041_' failed.",
		"No credentials (0x8009030E).",
		"At line:7 char:1",
		"+ Move-VM @m | Select-Object Name",
		"+ " + strings.Repeat("~", len("Move-VM @m | Select-Object Name")),
		"    + CategoryInfo          : NotSpecified: (:) [Move-VM], VirtualizationException",
		"    + FullyQualifiedErrorId : OperationFailed,Microsoft.HyperV.PowerShell.Commands.MoveVM",
		" ",
	}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
}
