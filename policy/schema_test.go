package policy

import (
	"context"
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/util"
)

// schemaNode is the part of a JSON schema this test compares.
type schemaNode struct {
	Ref                  string                 `json:"$ref"`
	Type                 string                 `json:"type"`
	Properties           map[string]*schemaNode `json:"properties"`
	Required             []string               `json:"required"`
	AdditionalProperties json.RawMessage        `json:"additionalProperties"`
	Items                *schemaNode            `json:"items"`
	Definitions          map[string]*schemaNode `json:"definitions"`
}

// derivedFields are the properties a type's JSON form adds to its fields
// (its MarshalJSON): each is in the schema and always written.
var derivedFields = map[reflect.Type][]struct {
	name string
	typ  reflect.Type
}{
	reflect.TypeFor[Fleet](): {{"vms_by_tag", reflect.TypeOf(Fleet{}.VMsByTag())}},
}

// TestSchemaMatchesInput walks Input and the schema together: every struct
// field is a property of the right type and every property a field;
// required properties are the fields without omitempty or omitzero; structs are closed
// (additionalProperties false) and maps are objects of their value's schema.
func TestSchemaMatchesInput(t *testing.T) {
	var root schemaNode
	if err := json.Unmarshal(InputSchema(), &root); err != nil {
		t.Fatal(err)
	}
	resolve := func(n *schemaNode) *schemaNode {
		for n != nil && n.Ref != "" {
			n = root.Definitions[strings.TrimPrefix(n.Ref, "#/definitions/")]
		}
		return n
	}
	var walk func(path string, typ reflect.Type, n *schemaNode)
	walk = func(path string, typ reflect.Type, n *schemaNode) {
		n = resolve(n)
		if n == nil {
			t.Errorf("%s: no schema", path)
			return
		}
		if typ.Kind() == reflect.Pointer {
			typ = typ.Elem()
		}
		want := map[reflect.Kind]string{
			reflect.String: "string", reflect.Bool: "boolean", reflect.Int: "integer", reflect.Int64: "integer",
			reflect.Float64: "number", reflect.Struct: "object", reflect.Map: "object", reflect.Slice: "array",
		}[typ.Kind()]
		if n.Type != want {
			t.Errorf("%s: schema type %q, Go type %s wants %q", path, n.Type, typ, want)
			return
		}
		switch typ.Kind() {
		case reflect.Struct:
			if string(n.AdditionalProperties) != "false" {
				t.Errorf("%s: additionalProperties %s, want false", path, n.AdditionalProperties)
			}
			var fields, required []string
			for i := range typ.NumField() {
				f := typ.Field(i)
				name := jsonName(f)
				fields = append(fields, name)
				if tag := f.Tag.Get("json"); !strings.Contains(tag, ",omitempty") && !strings.Contains(tag, ",omitzero") {
					required = append(required, name)
				}
				walk(path+"."+name, f.Type, n.Properties[name])
			}
			for _, f := range derivedFields[typ] {
				fields = append(fields, f.name)
				required = append(required, f.name)
				walk(path+"."+f.name, f.typ, n.Properties[f.name])
			}
			props := slices.Sorted(func(yield func(string) bool) {
				for k := range n.Properties {
					if !yield(k) {
						return
					}
				}
			})
			slices.Sort(fields)
			if diff := cmp.Diff(fields, props); diff != "" {
				t.Errorf("%s: properties (-Go fields +schema):\n%s", path, diff)
			}
			slices.Sort(required)
			got := slices.Sorted(slices.Values(n.Required))
			if diff := cmp.Diff(required, got); diff != "" {
				t.Errorf("%s: required (-Go fields without omitempty or omitzero +schema):\n%s", path, diff)
			}
		case reflect.Map:
			var value schemaNode
			if err := json.Unmarshal(n.AdditionalProperties, &value); err != nil {
				t.Errorf("%s: additionalProperties %s is not a schema: %v", path, n.AdditionalProperties, err)
				return
			}
			walk(path+"[key]", typ.Elem(), &value)
		case reflect.Slice:
			walk(path+"[i]", typ.Elem(), n.Items)
		}
	}
	walk("input", reflect.TypeFor[Input](), &root)
}

// fullInput is an Input with every field set, Move and Projected included.
func fullInput() *Input {
	in := goldenInput()
	in.Fleet.Hosts["HV01"] = func(h Host) Host { h.Labels["maintenance"] = "false"; return h }(in.Fleet.Hosts["HV01"])
	for name, h := range in.Fleet.Hosts {
		if h.VMs == nil {
			h.VMs = []string{}
		}
		h.ProcessorVendor, h.ProcessorModel = "GenuineIntel", "Intel64 Family 6 Model 106 Stepping 6"
		h.ConfigVersions, h.Switches = []string{"9.0", "10.0"}, []string{"prod"}
		h.VMPath, h.VHDPath = `D:\Hyper-V`, `D:\Hyper-V\Virtual Hard Disks`
		h.Volumes = []Volume{{Path: `D:\`, Kind: "local", SizeBytes: 2000 * gib, FreeBytes: 900 * gib}, {Path: `\\fs01\vms`, Kind: "smb", SizeBytes: 9000 * gib, FreeBytes: 4000 * gib}}
		// Saturated: what its VMs wanted beyond what they received.
		h.CPU.Demand = LoadStat{Mean: h.CPU.Mean + 20, P95: h.CPU.P95 + 25}
		in.Fleet.Hosts[name] = h
	}
	for id, v := range in.Fleet.VMs {
		v.ConfigVersion, v.ProcessorCompatibility, v.Switches = "9.0", true, []string{"prod"}
		v.Path, v.Storage, v.StorageBytes = `D:\Hyper-V`, "local", 40*gib
		v.CPU.Demand = LoadStat{Mean: v.CPU.Mean * 1.3, P95: v.CPU.P95 * 1.3}
		in.Fleet.VMs[id] = v
	}
	in.History.MovesByVM = map[string]int{"0011-web": 1, "gone": 3}
	in.Move = &Move{VM: "0001-sql", From: "HV01", To: "HV03"}
	p := project(in, *in.Move)
	in.Projected = &p
	return in
}

// TestSchemaValidatesInput checks the JSON of an Input with every field set
// against the schema with OPA's own JSON schema validator, and that a
// document with a misspelled field fails it.
func TestSchemaValidatesInput(t *testing.T) {
	raw, err := json.Marshal(fullInput())
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := util.UnmarshalJSON(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var schema any
	if err := util.UnmarshalJSON(InputSchema(), &schema); err != nil {
		t.Fatal(err)
	}
	check := func(doc any) []any {
		t.Helper()
		rs, err := rego.New(
			rego.Query("x := json.match_schema(input.doc, input.schema)"),
			rego.Input(map[string]any{"doc": doc, "schema": schema}),
		).Eval(context.Background())
		if err != nil || len(rs) != 1 {
			t.Fatalf("match_schema: %v, %v", rs, err)
		}
		res := rs[0].Bindings["x"].([]any)
		if res[0] == true {
			return nil
		}
		return res[1].([]any)
	}
	if errs := check(doc); errs != nil {
		t.Errorf("the JSON of a full Input does not match the schema: %v", errs)
	}
	doc["fleet"].(map[string]any)["hosts"].(map[string]any)["HV01"].(map[string]any)["maintenanse"] = true
	if errs := check(doc); len(errs) == 0 {
		t.Error("a host with a misspelled field matches the schema")
	}
}

// TestConvertMatchesJSON: the value Begin and Judge build directly from the
// Go types equals OPA's conversion of the input's JSON.
func TestConvertMatchesJSON(t *testing.T) {
	// generatedInput is large enough to be converted in two halves.
	for _, in := range []*Input{fullInput(), emptyInput(), generatedInput(16, parallelConversion+1, 3)} {
		raw, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		var doc any
		if err := util.UnmarshalJSON(raw, &doc); err != nil {
			t.Fatal(err)
		}
		want, err := ast.InterfaceToValue(doc)
		if err != nil {
			t.Fatal(err)
		}
		terms, err := convertInput(in)
		if err != nil {
			t.Fatal(err)
		}
		var move, proj *ast.Term
		if in.Move != nil {
			move = moveTerm(*in.Move)
			if proj, err = projectedTerm(inputTerms{}, *in.Move, *in.Projected); err != nil {
				t.Fatal(err)
			}
		}
		got := terms.object(move, proj)
		// JSON has null where Go has a nil map or slice; the direct
		// conversion gives an empty object or array, as the schema wants.
		wantStr := strings.NewReplacer(`"labels": null`, `"labels": {}`, `"tags": null`, `"tags": {}`,
			`"vms": null`, `"vms": []`, `"moves": null`, `"moves": []`, `"failures": null`, `"failures": []`, `"moves_by_vm": null`, `"moves_by_vm": {}`,
			`"config_versions": null`, `"config_versions": []`, `"switches": null`, `"switches": []`, `"volumes": null`, `"volumes": []`).Replace(want.String())
		if got.String() != wantStr {
			t.Errorf("converted input differs from its JSON:\n got %s\nwant %s", got, wantStr)
		}
	}
}

// A VM that cannot be converted fails the conversion, and of two the
// first in ID order is named, wherever the halves of a large fleet split.
func TestConvertNamesTheFirstBadVM(t *testing.T) {
	in := generatedInput(16, parallelConversion+1, 3)
	ids := sortedKeys(in.Fleet.VMs)
	for _, i := range []int{len(ids) - 1, len(ids) / 2, 1} {
		v := in.Fleet.VMs[ids[i]]
		v.CPU.Mean = math.NaN()
		in.Fleet.VMs[ids[i]] = v
		_, err := convertInput(in)
		if err == nil || !strings.Contains(err.Error(), "vm "+ids[i]+":") {
			t.Errorf("a NaN CPU on VM %d of %d: error %v, want one naming %s", i, len(ids), err, ids[i])
		}
	}
}

func TestConvertZeroInput(t *testing.T) {
	terms, err := convertInput(&Input{})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"fleet": {"hosts": {}, "vms": {}, "vms_by_tag": {}}, "history": {"failures": [], "moves": [], "moves_by_vm": {}}, "now": ""}`
	if got := terms.object(nil, nil).String(); got != want {
		t.Errorf("zero Input converts to %s, want %s", got, want)
	}
}

func TestFloatTermMatchesJSON(t *testing.T) {
	for _, f := range []float64{0, 1, -1, 0.5, 75, 85.25, 1e-7, 1.5e-7, 123456789.125, 1e20, 1e21, 3.4e38, -2.5e-9, 100.0 / 3} {
		want, _ := json.Marshal(f)
		got, err := floatTerm(f)
		if err != nil {
			t.Fatal(err)
		}
		if got.String() != string(want) {
			t.Errorf("floatTerm(%v) = %s, want %s", f, got, want)
		}
	}
}
