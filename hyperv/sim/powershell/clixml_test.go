package powershell

import (
	"encoding/xml"
	"strings"
	"testing"
	"time"

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

func TestConvertToJSON(t *testing.T) {
	type obj struct {
		Name string
		When psDate
		Up   psTimeSpan
	}
	at := time.UnixMilli(1764300000000)
	one := obj{Name: "x'; <b>&", When: psDate(at), Up: psTimeSpan(26*time.Hour + 3*time.Minute + 4*time.Second + 5*time.Millisecond)}
	tests := []struct {
		name  string
		items []any
		want  string
	}{
		{"empty pipeline prints nothing", nil, ""},
		{"one object is bare", []any{map[string]int{"A": 1}}, "{\"A\":1}\r\n"},
		{"two objects are an array", []any{map[string]int{"A": 1}, map[string]int{"A": 2}}, "[{\"A\":1},{\"A\":2}]\r\n"},
		{"escapes, dates and time spans as PowerShell 5.1", []any{one},
			`{"Name":"x\u0027; \u003cb\u003e\u0026","When":"\/Date(1764300000000)\/","Up":{"Ticks":937840050000,"Days":1,"Hours":2,"Milliseconds":5,"Minutes":3,"Seconds":4,"TotalDays":1.0854630208333333,"TotalHours":26.0511125,"TotalMilliseconds":93784005,"TotalMinutes":1563.06675,"TotalSeconds":93784.005}}` + "\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := convertToJSON(tc.items)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, string(got)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
