package powershell

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/hvbalancer/hvbalancer/hyperv"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/fleetfile"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/model"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/powershell/catalog"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/powershell/eval"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/powershell/lang"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/wsman"
)

// testFleet is two stand-alone hosts and a two-node cluster, on a clock
// running 10,000 times real time.
func testFleet(t testing.TB) *model.Fleet {
	t.Helper()
	spec := &fleetfile.FleetSpec{Seed: 7,
		Hosts: []fleetfile.HostSpec{
			{Name: "HV01", LogicalProcessors: 16, MemoryGiB: 128},
			{Name: "HV02", LogicalProcessors: 16, MemoryGiB: 128},
			{Name: "CN01", Cluster: "CL01", LogicalProcessors: 32, MemoryGiB: 256},
			{Name: "CN02", Cluster: "CL01", LogicalProcessors: 32, MemoryGiB: 256},
		},
		VMs: []fleetfile.VMSpec{
			{ID: "11111111-1111-4111-8111-111111111111", Name: "web-01", Host: "HV01", CPUs: 2, MemoryGiB: 4, Notes: "it's <web> & co"},
			{ID: "22222222-2222-4222-8222-222222222222", Name: "sql-01", Host: "HV01", CPUs: 8, MemoryGiB: 32, Dynamic: true, MemoryMinGiB: 8, MemoryMaxGiB: 48},
			{ID: "33333333-3333-4333-8333-333333333333", Name: "off-01", Host: "HV01", State: "Off", CPUs: 1, MemoryGiB: 2},
			{ID: "44444444-4444-4444-8444-444444444444", Name: "app-01", Host: "CN01", CPUs: 4, MemoryGiB: 16, Clustered: true},
		}}
	spec.SetDefaults()
	f, err := model.NewFleet(spec, model.NewScaledClock(fleetfile.DefaultStart, 10000))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// result is what one command run printed and returned.
type result struct {
	code        int
	out, errOut string
}

func runLine(sh *Shell, line string, legacy bool) result {
	var out, errOut bytes.Buffer
	cmd := wsman.Command{CommandID: "c1", Line: line}
	var code int
	if legacy {
		code = sh.Run(context.Background(), cmd, &out, &errOut)
	} else {
		code = sh.runMeaning(context.Background(), cmd, &out, &errOut)
	}
	return result{code, out.String(), errOut.String()}
}

// encode builds the command line hvbalancer sends for a script text.
func encode(t *testing.T, body string, params any) string {
	t.Helper()
	js, err := json.Marshal(params)
	if err != nil {
		t.Fatal(err)
	}
	text := hyperv.ProgressPrefix + "\n" + hyperv.ParamPrefix + base64.StdEncoding.EncodeToString(js) + hyperv.ParamSuffix + "\n" + body
	u := utf16.Encode([]rune(text))
	b := make([]byte, 2*len(u))
	for i, r := range u {
		b[2*i], b[2*i+1] = byte(r), byte(r>>8)
	}
	return "powershell.exe -NoProfile -NonInteractive -EncodedCommand " + base64.StdEncoding.EncodeToString(b)
}

// errorIDs are the FullyQualifiedErrorIds in a CLIXML stderr.
func errorIDs(s string) []string {
	var ids []string
	for _, part := range strings.Split(s, "FullyQualifiedErrorId : ")[1:] {
		ids = append(ids, part[:strings.Index(part, "_x000D_")])
	}
	return ids
}

// TestMeaningAgreesWithTextMatcher runs every shipped script through the
// parser and evaluator and through the text matcher it replaces, on
// identical fleets at the same simulated moment, and compares what each
// printed. The one difference is Windows' own: a lookup whose error
// -ErrorAction SilentlyContinue hides still fails its pipeline, so
// powershell.exe exits 1.
func TestMeaningAgreesWithTextMatcher(t *testing.T) {
	tests := []struct {
		name, script, host string
		params             map[string]any
		newCode            int // when it differs from the text matcher's
	}{
		{name: "host", script: hyperv.ScriptGetHost, host: "HV01"},
		{name: "clustered host", script: hyperv.ScriptGetHost, host: "CN01"},
		{name: "vms", script: hyperv.ScriptGetVMs, host: "HV01"},
		{name: "no vms", script: hyperv.ScriptGetVMs, host: "HV02"},
		{name: "locate", script: hyperv.ScriptLocateVM, host: "HV01", params: map[string]any{"Id": "22222222-2222-4222-8222-222222222222"}},
		{name: "locate absent", script: hyperv.ScriptLocateVM, host: "HV02", params: map[string]any{"Id": "22222222-2222-4222-8222-222222222222"}, newCode: 1},
		{name: "locate bad id", script: hyperv.ScriptLocateVM, host: "HV01", params: map[string]any{"Id": "x'; Stop-Computer"}},
		{name: "move", script: hyperv.ScriptMoveVM, host: "HV01", params: map[string]any{"Id": "11111111-1111-4111-8111-111111111111", "DestinationHost": "HV02"}},
		{name: "move absent", script: hyperv.ScriptMoveVM, host: "HV02", params: map[string]any{"Id": "11111111-1111-4111-8111-111111111111", "DestinationHost": "HV01"}},
		{name: "move to unknown", script: hyperv.ScriptMoveVM, host: "HV01", params: map[string]any{"Id": "22222222-2222-4222-8222-222222222222", "DestinationHost": "HV99"}},
		{name: "move clustered with Move-VM", script: hyperv.ScriptMoveVM, host: "CN01", params: map[string]any{"Id": "44444444-4444-4444-8444-444444444444", "DestinationHost": "CN02"}},
		{name: "cluster move", script: hyperv.ScriptMoveClusterVM, host: "CN01", params: map[string]any{"Id": "44444444-4444-4444-8444-444444444444", "DestinationHost": "CN02"}},
		{name: "cluster cmdlet on stand-alone host", script: hyperv.ScriptMoveClusterVM, host: "HV01", params: map[string]any{"Id": "11111111-1111-4111-8111-111111111111", "DestinationHost": "HV02"}},
		{name: "counters", script: hyperv.ScriptGetCounters, host: "HV01", params: map[string]any{"SampleInterval": 1}},
		{name: "counters interval 0", script: hyperv.ScriptGetCounters, host: "HV01", params: map[string]any{"SampleInterval": 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var params any = struct{}{} // what the client sends for no parameters
			if tc.params != nil {
				params = tc.params
			}
			line, err := hyperv.EncodeCommand(tc.script, params)
			if err != nil {
				t.Fatal(err)
			}
			oldF, newF := testFleet(t), testFleet(t)
			old := runLine(NewShell(oldF, tc.host), line, true)
			got := runLine(NewShell(newF, tc.host), line, false)
			wantCode := old.code
			if tc.newCode != 0 {
				wantCode = tc.newCode
			}
			if got.code != wantCode {
				t.Errorf("exit %d, want %d (text matcher %d); stderr %s", got.code, wantCode, old.code, got.errOut)
			}
			if tc.script == hyperv.ScriptGetCounters || tc.script == hyperv.ScriptGetVMs {
				// Sampled at (slightly) different simulated moments: compare the shape.
				if shape(t, old.out) != shape(t, got.out) {
					t.Errorf("output shape\n got %s\nwant %s", shape(t, got.out), shape(t, old.out))
				}
			} else if got.out != old.out {
				t.Errorf("stdout\n got %q\nwant %q", got.out, old.out)
			}
			if g, w := strings.Join(errorIDs(got.errOut), ";"), strings.Join(errorIDs(old.errOut), ";"); g != w {
				t.Errorf("error ids %q, want %q", g, w)
			}
		})
	}
}

// shape is JSON output with every number and time replaced, keys kept.
func shape(t *testing.T, s string) string {
	t.Helper()
	if strings.TrimSpace(s) == "" {
		return ""
	}
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("not JSON: %v: %q", err, s)
	}
	var walk func(any) any
	walk = func(x any) any {
		switch y := x.(type) {
		case map[string]any:
			for k, e := range y {
				y[k] = walk(e)
			}
		case []any:
			for i, e := range y {
				y[i] = walk(e)
			}
		case float64:
			return 0
		case string:
			if strings.HasPrefix(y, "/Date(") {
				return "date"
			}
		}
		return x
	}
	b, _ := json.Marshal(walk(v))
	return string(b)
}

// TestObjectsMatchTheCatalog checks every object the host's cmdlets write
// has the properties, in order, the catalog gives its type.
func TestObjectsMatchTheCatalog(t *testing.T) {
	f := testFleet(t)
	byType := map[string]catalog.Type{}
	for _, ty := range catalog.Types {
		byType[ty.Name] = ty
	}
	h := &fleetHost{fleet: f, host: "HV01", shell: NewShell(f, "HV01")}
	in := eval.New(context.Background(), h, cmdlets)
	tree, err := lang.Parse(`Get-VM; Get-VMHost; Get-VM | Get-VMHardDiskDrive; Get-VM | Get-VMProcessor; Get-VM | Get-VMNetworkAdapter; Get-VMSwitch; Get-VMHostSupportedVersion; Get-VHD -Path (Get-VM | Get-VMHardDiskDrive).Path; Compare-VM -Name web-01 -DestinationHost HV02; (Compare-VM -Name web-01 -DestinationHost HV02 -IncludeStorage -DestinationStoragePath 'D:\x').Incompatibilities; Get-Counter -SampleInterval 1; (Get-Counter -SampleInterval 1).CounterSamples; Get-VM | Measure-Object`)
	if err != nil {
		t.Fatal(err)
	}
	if code := in.Run(tree); code != 0 {
		t.Fatalf("exit %d: %+v", code, in.Errors)
	}
	seen := map[string]bool{}
	for _, o := range in.Output {
		obj, ok := o.(*eval.Object)
		if !ok {
			continue
		}
		ty, ok := byType[obj.TypeNames[0]]
		if !ok {
			t.Errorf("%s is not in the catalog", obj.TypeNames[0])
			continue
		}
		seen[ty.Name] = true
		var names []string
		for _, p := range obj.Props {
			names = append(names, p.Name)
		}
		if strings.Join(names, ",") != strings.Join(ty.Props, ",") {
			t.Errorf("%s: properties %v, catalog %v", ty.Name, names, ty.Props)
		}
	}
	if len(seen) < 10 {
		t.Errorf("only %d types seen: %v", len(seen), seen)
	}
}
