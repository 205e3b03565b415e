package catalog

import (
	"strings"
	"testing"
)

// args builds binder arguments from words: "-Name" is a parameter,
// "-Name:v" one with a value, anything else a value.
func args(words ...string) []Arg {
	var out []Arg
	for _, w := range words {
		switch {
		case strings.HasPrefix(w, "-") && strings.Contains(w, ":"):
			n, v, _ := strings.Cut(w[1:], ":")
			out = append(out, Arg{Name: n, Text: w, Attached: true, Value: v})
		case strings.HasPrefix(w, "-"):
			out = append(out, Arg{Name: w[1:], Text: w, Switch: true})
		default:
			out = append(out, Arg{Value: w, Text: w, ScriptBlock: strings.HasPrefix(w, "{")})
		}
	}
	return out
}

func TestBind(t *testing.T) {
	c := Default()
	tests := []struct {
		cmd      string
		args     []Arg
		input    bool
		wantSet  string
		wantVals map[string]any
		wantErr  string
	}{
		{"Get-VM", nil, false, "Name", nil, ""},
		{"Get-VM", args("-Id", "x"), false, "Id", map[string]any{"Id": "x"}, ""},
		{"Get-VM", args("vm1"), false, "Name", map[string]any{"Name": "vm1"}, ""},
		{"get-vm", args("-VMName", "vm1", "-ea", "SilentlyContinue"), false, "Name", map[string]any{"Name": "vm1", "ErrorAction": "SilentlyContinue"}, ""},
		{"Get-VM", args("-I", "x"), false, "", nil, "AmbiguousParameter"},
		{"Get-VM", args("-Id", "x", "-Name", "y"), false, "", nil, "AmbiguousParameterSet"},
		{"Get-VM", args("-Idd", "x"), false, "", nil, "NamedParameterNotFound"},
		{"Get-VM", args("-Id"), false, "", nil, "MissingArgument"},
		{"Get-VM", args("a", "b"), false, "", nil, "PositionalParameterNotFound"},
		{"Move-VM", args("-VM", "v", "-DestinationHost", "h", "-Passthru"), false, "VMSingleDestination", map[string]any{"DestinationHost": "h"}, ""},
		{"Move-VM", args("-VM", "v", "-DestinationHost", "h", "-IncludeStorage", "-DestinationStoragePath", "D:\\VMs"), false, "VMSingleDestination", nil, ""},
		{"Move-VM", args("v", "h"), false, "NameSingleDestination", map[string]any{"Name": "v", "DestinationHost": "h"}, ""},
		{"Move-VM", args("-VM", "v", "-DestinationHost", "h", "-Turbo"), false, "", nil, "NamedParameterNotFound"},
		{"Move-VM", args("-VM", "v"), false, "", nil, "MissingMandatoryParameter"},
		{"Move-VM", args("-DestinationHost", "h"), true, "VMSingleDestination", nil, ""},
		{"Move-VM", args("-Name", "v", "-DestinationHost", "h", "-Passthru", "-Passthru"), false, "", nil, "ParameterAlreadyBound"},
		{"Where-Object", args("State", "-eq", "Running"), true, "EqualSet", map[string]any{"Property": "State", "Value": "Running"}, ""},
		{"Where-Object", args("MemoryAssigned", "-gt", "5"), true, "GreaterThanSet", nil, ""},
		{"Where-Object", args("State", "-eq", "Running", "-gt"), true, "", nil, "AmbiguousParameterSet"},
		{"Where-Object", args("{x}"), true, "ScriptBlockSet", map[string]any{"FilterScript": "{x}"}, ""},
		{"ConvertFrom-Json", args("-AsHashtable"), true, "", nil, "NamedParameterNotFound"},
		{"ConvertTo-Json", args("-AsArray"), true, "", nil, "NamedParameterNotFound"},
		{"ForEach-Object", args("-Parallel", "{x}"), true, "", nil, "NamedParameterNotFound"},
		{"ConvertTo-Json", args("-Compress"), true, "__AllParameterSets", nil, ""},
		{"ConvertTo-Json", args("-Compress"), false, "", nil, "MissingMandatoryParameter"},
		{"Select-Object", args("Name,", "-First", "3"), true, "DefaultParameter", nil, ""},
		{"Select-Object", args("-Index", "1", "-First", "3"), true, "", nil, "AmbiguousParameterSet"},
		{"Get-Counter", args("-Counter", "x", "-SampleInterval", "1", "-MaxSamples", "1"), false, "GetCounterSet", nil, ""},
		{"Get-CimInstance", args("Win32_Processor"), false, "ClassNameComputerSet", map[string]any{"ClassName": "Win32_Processor"}, ""},
		{"Measure-Object", args("-Property", "MemoryAssigned", "-Sum", "-StandardDeviation"), true, "", nil, "NamedParameterNotFound"},
		{"Write-Output", args("a", "b"), false, "__AllParameterSets", map[string]any{"InputObject": []any{"a", "b"}}, ""},
		{"Start-Sleep", args("-ms", "5"), false, "Milliseconds", nil, ""},
		{"Move-ClusterVirtualMachineRole", args("-VMId", "x", "-Node", "n", "-MigrationType", "Live"), false, "__AllParameterSets", nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.cmd+" "+strings.TrimSpace(fmtArgs(tc.args)), func(t *testing.T) {
			cm, ok := c.Lookup(tc.cmd)
			if !ok {
				t.Fatalf("no %s", tc.cmd)
			}
			b, err := cm.Bind(tc.args, tc.input)
			if tc.wantErr != "" {
				if err == nil || err.ID != tc.wantErr {
					t.Fatalf("err = %v, want %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if b.Set != tc.wantSet {
				t.Errorf("set %q, want %q", b.Set, tc.wantSet)
			}
			for k, want := range tc.wantVals {
				got, ok := b.Values[k]
				if !ok || fmtAny(got.Value) != fmtAny(want) {
					t.Errorf("%s = %v, want %v", k, got.Value, want)
				}
			}
		})
	}
}

func fmtArgs(a []Arg) string {
	var b strings.Builder
	for _, x := range a {
		b.WriteString(" " + x.Text)
	}
	return b.String()
}

func fmtAny(v any) string {
	if l, ok := v.([]any); ok {
		var s []string
		for _, x := range l {
			s = append(s, fmtAny(x))
		}
		return "[" + strings.Join(s, ",") + "]"
	}
	if s, ok := v.(string); ok {
		return s
	}
	return "?"
}

func TestCatalogIsComplete(t *testing.T) {
	c := Default()
	for _, n := range c.Names() {
		cm, _ := c.Lookup(n)
		if !strings.HasPrefix(cm.Doc, "https://learn.microsoft.com/") || cm.Class == "" || cm.Module == "" {
			t.Errorf("%s: reference %q, class %q, module %q", n, cm.Doc, cm.Class, cm.Module)
		}
		if cm.Sets[0] != cm.DefaultSet {
			t.Errorf("%s: default set %q is not first of %v", n, cm.DefaultSet, cm.Sets)
		}
		if _, ok := Types[cm.Output]; cm.Output != "" && !ok {
			t.Errorf("%s: output type %q not described", n, cm.Output)
		}
		seen := map[string]bool{}
		for _, p := range cm.AllParams() {
			for _, name := range append([]string{p.Name}, p.Aliases...) {
				if seen[lower(name)] {
					t.Errorf("%s: %s named twice", n, name)
				}
				seen[lower(name)] = true
			}
			for _, u := range p.Use {
				found := false
				for _, s := range cm.Sets {
					found = found || s == u.Set
				}
				if !found {
					t.Errorf("%s -%s: set %q not declared", n, p.Name, u.Set)
				}
			}
		}
	}
	for _, want := range []string{"Get-VM", "Get-VMHost", "Move-VM", "Compare-VM", "Get-VMHardDiskDrive", "Get-VHD", "Get-VMNetworkAdapter", "Get-VMProcessor", "Get-VMSwitch", "Get-VMHostSupportedVersion", "Get-Cluster", "Move-ClusterVirtualMachineRole", "Get-Counter", "Get-Command", "Select-Object", "Where-Object", "Sort-Object", "Measure-Object", "ForEach-Object", "ConvertTo-Json", "ConvertFrom-Json", "Start-Sleep", "Write-Output", "Get-CimInstance"} {
		if _, ok := c.Lookup(want); !ok {
			t.Errorf("%s missing", want)
		}
	}
	if _, ok := c.Lookup(`Hyper-V\Get-VM`); !ok {
		t.Error("module-qualified name not found")
	}
}
