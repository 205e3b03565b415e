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

func runLine(sh *Shell, line string) result {
	var out, errOut bytes.Buffer
	code := sh.Run(context.Background(), wsman.Command{CommandID: "c1", Line: line}, &out, &errOut)
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
