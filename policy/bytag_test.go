package policy

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/open-policy-agent/opa/v1/ast"
)

// vmsByTagFleet has tags whose values differ only in case, a VM with two
// tags, one with none, and IDs listed out of order.
func vmsByTagFleet() Fleet {
	return Fleet{VMs: map[string]VM{
		"id-b": {Name: "b", Tags: map[string]string{"role": "SQL", "pin": "HV01"}},
		"id-a": {Name: "a", Tags: map[string]string{"role": "SQL"}},
		"id-c": {Name: "c", Tags: map[string]string{"role": "sql"}},
		"id-d": {Name: "d"},
	}}
}

// The index lists every tag of every VM, the value as written, the IDs
// sorted; a VM without tags is in none of it.
func TestVMsByTag(t *testing.T) {
	want := map[string]map[string][]string{
		"role": {"SQL": {"id-a", "id-b"}, "sql": {"id-c"}},
		"pin":  {"HV01": {"id-b"}},
	}
	if diff := cmp.Diff(want, vmsByTagFleet().VMsByTag()); diff != "" {
		t.Errorf("VMsByTag (-want +got):\n%s", diff)
	}
	if got := (Fleet{}).VMsByTag(); got == nil || len(got) != 0 {
		t.Errorf("VMsByTag of an empty fleet = %#v, want an empty map", got)
	}
}

// Policies see the index in the input's JSON form and in the conversion a
// session evaluates, the same in both.
func TestVMsByTagInTheInput(t *testing.T) {
	in := &Input{Fleet: vmsByTagFleet()}
	raw, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Fleet map[string]json.RawMessage `json:"fleet"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	const want = `{"pin":{"HV01":["id-b"]},"role":{"SQL":["id-a","id-b"],"sql":["id-c"]}}`
	if got := string(doc.Fleet["vms_by_tag"]); got != want {
		t.Errorf("JSON fleet.vms_by_tag = %s, want %s", got, want)
	}
	terms, err := convertInput(in)
	if err != nil {
		t.Fatal(err)
	}
	const wantTerm = `{"pin": {"HV01": ["id-b"]}, "role": {"SQL": ["id-a", "id-b"], "sql": ["id-c"]}}`
	byTag := terms.fleet.Value.(ast.Object).Get(ast.StringTerm("vms_by_tag"))
	if byTag == nil || byTag.String() != wantTerm {
		t.Errorf("converted fleet.vms_by_tag = %v, want %s", byTag, wantTerm)
	}
	// The index is derived: the JSON form reads back as the same fleet.
	var back Input
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatalf("the input's JSON does not read back: %v", err)
	}
	if diff := cmp.Diff(in.Fleet.VMsByTag(), back.Fleet.VMsByTag()); diff != "" {
		t.Errorf("index after a round trip (-want +got):\n%s", diff)
	}
}
