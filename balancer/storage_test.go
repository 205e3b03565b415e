package balancer_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/collector/collectortest"
	"github.com/hvbalancer/hvbalancer/policy"
)

// onAll gives every VM of hotFleet the same options.
func onAll(opts ...vmOpt) map[string][]vmOpt {
	m := map[string][]vmOpt{}
	for _, p := range []string{"a", "b", "c"} {
		for _, id := range ids(p, 6) {
			m[id] = opts
		}
	}
	return m
}

// localDisks puts every VM of hotFleet on its host's D: volume with one
// disk of fileGiB, and gives every host a D: volume with freeGiB free as
// its default virtual hard disk path.
func localDisks(fileGiB, freeGiB int64) (map[string][]hostOpt, map[string][]vmOpt) {
	h := map[string][]hostOpt{}
	for _, n := range []string{"hv01", "hv02", "hv03"} {
		h[n] = []hostOpt{vhdPath(`D:\Hyper-V\Virtual Hard Disks`), volume(`D:\`, "local", freeGiB)}
	}
	return h, onAll(configPath(`D:\Hyper-V`), disk(`D:\Hyper-V\Virtual Hard Disks\disk.vhdx`, fileGiB))
}

// limitedTo returns the plan's refused destinations into host to, by
// their first message.
func limitedTo(p *balancer.Plan, to string) []string {
	var out []string
	for _, r := range p.Limited {
		if r.To == to {
			out = append(out, r.Messages[0])
		}
	}
	return out
}

// noneInto fails when a move goes into host to, or when the plan does not
// list a refusal into it that contains why.
func noneInto(to, why string) func(t *testing.T, p *balancer.Plan, _ *fakeRules) {
	return func(t *testing.T, p *balancer.Plan, _ *fakeRules) {
		for _, m := range p.Moves {
			if m.To == to {
				t.Errorf("%s moves into %s", m.VM, to)
			}
		}
		got := limitedTo(p, to)
		if len(got) == 0 || !strings.Contains(got[0], why) {
			t.Errorf("refusals into %s: %q, want one saying %q", to, got, why)
		}
	}
}

func with(h map[string][]hostOpt, host string, opts ...hostOpt) map[string][]hostOpt {
	if h == nil {
		h = map[string][]hostOpt{}
	}
	h[host] = append(append([]hostOpt(nil), h[host]...), opts...)
	return h
}

func TestPlanCompatibility(t *testing.T) {
	intel := processor("GenuineIntel", "Intel64 Family 6 Model 106 Stepping 6")
	intelOld := processor("GenuineIntel", "Intel64 Family 6 Model 85 Stepping 7")
	amd := processor("AuthenticAMD", "AMD64 Family 25 Model 1 Stepping 1")
	all := func(o hostOpt) map[string][]hostOpt {
		return map[string][]hostOpt{"hv01": {o}, "hv02": {o}, "hv03": {o}}
	}
	runPlanCases(t, []planCase{
		{
			name: "known and equal facts change nothing",
			snap: hotFleet(map[string][]hostOpt{
				"hv01": {intel, versions("9.0", "10.0"), switches("prod", "backup")},
				"hv02": {processor("GenuineIntel", "Intel64 Family 6 Model 106 Stepping 4"), versions("9.0"), switches("PROD")},
				"hv03": {intel, versions("10.0", "9.0"), switches("prod")},
			}, onAll(vmVersion("9.0"), vmSwitches("prod"))),
			want: []moveKey{bal("a01", "hv01", "hv02"), bal("a02", "hv01", "hv03"), bal("a03", "hv01", "hv02"), bal("b01", "hv02", "hv03")},
			check: func(t *testing.T, p *balancer.Plan, _ *fakeRules) {
				if len(p.Limited) != 0 {
					t.Errorf("refused destinations %+v", p.Limited)
				}
			},
		},
		{
			name: "unknown facts on either side refuse nothing",
			snap: hotFleet(map[string][]hostOpt{"hv01": {intel}, "hv03": {amd, versions("8.0")}}, nil),
			// hv02 reports no processor: it takes hv01's VMs and sends its
			// own to hv03; hv03 has a version list but the VMs report none.
			want: []moveKey{bal("a01", "hv01", "hv02"), bal("a02", "hv01", "hv02"), bal("b01", "hv02", "hv03"), bal("a03", "hv01", "hv02"), bal("b02", "hv02", "hv03")},
			check: func(t *testing.T, p *balancer.Plan, _ *fakeRules) {
				got := limitedTo(p, "hv03")
				if len(got) == 0 || !strings.HasPrefix(got[0], "incompatible processor: host hv03 has AuthenticAMD processors") {
					t.Errorf("refusals into hv03 %q", got)
				}
				for _, r := range p.Limited {
					if r.From != "hv01" || r.To != "hv03" {
						t.Errorf("refused %s from %s to %s: %q", r.VM, r.From, r.To, r.Messages)
					}
				}
			},
		},
		{
			name:  "another processor vendor",
			snap:  hotFleet(with(all(intel), "hv03", amd), onAll(compatible())),
			want:  []moveKey{bal("a01", "hv01", "hv02"), bal("a02", "hv01", "hv02"), bal("a03", "hv01", "hv02"), bal("b01", "hv02", "hv01")},
			check: noneInto("hv03", "incompatible processor: host hv03 has AuthenticAMD processors, the vm runs on GenuineIntel ones (host hv01)"),
		},
		{
			name: "another processor model only with processor compatibility",
			snap: hotFleet(map[string][]hostOpt{"hv01": {intel}, "hv02": {intel}, "hv03": {intelOld}},
				map[string][]vmOpt{"a02": {compatible()}}),
			want: []moveKey{bal("a01", "hv01", "hv02"), bal("a02", "hv01", "hv03"), bal("a03", "hv01", "hv02")},
			check: func(t *testing.T, p *balancer.Plan, r *fakeRules) {
				got := limitedTo(p, "hv03")
				want := "incompatible processor: host hv03 has a Intel64 Family 6 Model 85, the vm runs on a Intel64 Family 6 Model 106 (host hv01) without processor compatibility for migration"
				if len(got) == 0 || got[0] != want {
					t.Errorf("refusals into hv03 %q, want %q first", got, want)
				}
			},
		},
		{
			name: "configuration version the destination cannot run",
			snap: hotFleet(map[string][]hostOpt{"hv02": {versions("8.0", "9.0")}, "hv03": {versions("9.0", "10.0")}},
				onAll(vmVersion("10.0"))),
			want:  []moveKey{bal("a01", "hv01", "hv03"), bal("a02", "hv01", "hv03"), bal("a03", "hv01", "hv03"), bal("c01", "hv03", "hv01")},
			check: noneInto("hv02", "unsupported configuration version: host hv02 runs versions 8.0, 9.0, not the vm's 10.0"),
		},
		{
			name: "missing virtual switch",
			snap: hotFleet(map[string][]hostOpt{"hv02": {switches("mgmt", "backup")}, "hv03": {switches("Prod", "backup")}},
				onAll(vmSwitches("prod", "backup"))),
			want:  []moveKey{bal("a01", "hv01", "hv03"), bal("a02", "hv01", "hv03"), bal("a03", "hv01", "hv03"), bal("c01", "hv03", "hv01")},
			check: noneInto("hv02", `missing virtual switch: host hv02 has no switch "prod"`),
		},
		{
			name: "a request to an incompatible host is refused with the reason",
			snap: hotFleet(map[string][]hostOpt{"hv01": {intel}, "hv02": {amd}, "hv03": {intel}}, nil),
			cfg:  func(c *balancer.Config) { c.Aggressiveness = 1 },
			rules: &fakeRules{requests: []policy.Request{
				{VM: "a01", To: "hv02", Reason: "pin", Priority: 2},
				{VM: "a02", Reason: "evacuate", Priority: 1},
			}},
			want: []moveKey{req("a02", "hv01", "hv03")},
			check: func(t *testing.T, p *balancer.Plan, _ *fakeRules) {
				if len(p.Rejected) != 1 || !strings.Contains(p.Rejected[0].Messages[0], "requested (pin), but incompatible processor: host hv02 has AuthenticAMD") {
					t.Errorf("rejected %+v", p.Rejected)
				}
				if got := limitedTo(p, "hv02"); len(got) != 1 || p.Limited[0].Trigger != balancer.TriggerRequest {
					t.Errorf("refused destinations %+v", p.Limited)
				}
			},
		},
	})
}

func TestPlanStorage(t *testing.T) {
	hosts, vms := localDisks(100, 1000)
	small := func(freeGiB int64) map[string][]hostOpt {
		h, _ := localDisks(100, 1000)
		h["hv02"] = []hostOpt{vhdPath(`D:\Hyper-V\Virtual Hard Disks`), volume(`D:\`, "local", freeGiB)}
		return h
	}
	smb := onAll(configPath(`\\fs01\vms\x`), disk(`\\fs01\vms\x\disk.vhdx`, 100))
	runPlanCases(t, []planCase{
		{
			name: "a vm on local storage moves with its disks",
			snap: hotFleet(hosts, vms),
			want: []moveKey{bal("a01", "hv01", "hv02"), bal("a02", "hv01", "hv03"), bal("a03", "hv01", "hv02"), bal("b01", "hv02", "hv03")},
			check: func(t *testing.T, p *balancer.Plan, _ *fakeRules) {
				for _, m := range p.Moves {
					if m.StorageBytes != 100*gib || m.StoragePath != `D:\Hyper-V\Virtual Hard Disks\`+m.VMName {
						t.Errorf("move %s: storage %d to %q", m.VM, m.StorageBytes, m.StoragePath)
					}
					// 100 GiB of disk at 1.25 GB/s before the memory.
					if m.EstimatedSeconds < 85 {
						t.Errorf("move %s estimated at %gs, less than its disk copy", m.VM, m.EstimatedSeconds)
					}
				}
				e := p.Efficacy
				if e.StorageBytes != 400*gib || e.StorageMoves != 4 || e.Bytes != 88*gib {
					t.Errorf("efficacy: storage %d in %d moves, memory %d", e.StorageBytes, e.StorageMoves, e.Bytes)
				}
				if !strings.Contains(p.Message, "88.0 GiB of memory and 400.0 GiB of disks (4 storage moves) to copy") {
					t.Errorf("message %q", p.Message)
				}
			},
		},
		{
			name: "disk copies cost: a high migration cost weight keeps storage moves back",
			snap: hotFleet(hosts, vms),
			cfg:  func(c *balancer.Config) { c.MigrationCostWeight = 1 },
			want: []moveKey{},
			check: func(t *testing.T, _ *balancer.Plan, _ *fakeRules) {
				cfg := balancer.DefaultConfig()
				cfg.MigrationCostWeight = 1
				pl, err := balancer.NewPlanner(cfg, nil)
				if err != nil {
					t.Fatal(err)
				}
				p, err := pl.Plan(context.Background(), hotFleet(nil, nil), &fakeRules{}, "sha256:test", nil)
				if err != nil || len(p.Moves) == 0 {
					t.Errorf("without storage the same weight plans %d moves (%v), want some", len(p.Moves), err)
				}
			},
		},
		{
			name:  "a destination volume that would fall under the reserve",
			snap:  hotFleet(small(149), vms),
			want:  []moveKey{bal("a01", "hv01", "hv03"), bal("a02", "hv01", "hv03")},
			check: noneInto("hv02", `storage full: volume D:\ of host hv02 would have 49.0 GiB free after copying 100.0 GiB of disks (and 0 MiB planned before), under the 50.0 GiB storage reserve`),
		},
		{
			name: "earlier storage moves into a volume count against it",
			snap: hotFleet(small(260), vms),
			cfg: func(c *balancer.Config) {
				c.MaxInflowPerHost = 4
				c.StoragePaths = map[string]string{"hv03": `E:\VMs`} // hv03 has no E:
			},
			want: []moveKey{bal("a01", "hv01", "hv02"), bal("a02", "hv01", "hv02")},
			check: func(t *testing.T, p *balancer.Plan, _ *fakeRules) {
				noneInto("hv03", `storage: host hv03 reports no volume holding its storage path E:\VMs`)(t, p, nil)
				var full bool
				for _, msg := range limitedTo(p, "hv02") {
					full = full || strings.Contains(msg, "would have -40.0 GiB free after copying 100.0 GiB of disks (and 200.0 GiB planned before)")
				}
				if !full {
					t.Errorf("no refusal into hv02 for the space the first two moves took: %q", limitedTo(p, "hv02"))
				}
			},
		},
		{
			name: "a per-host storage path goes to its own volume",
			snap: hotFleet(with(small(10), "hv02", volume(`E:\`, "local", 500)), vms),
			cfg:  func(c *balancer.Config) { c.StoragePaths = map[string]string{"hv02": `E:\VMs`} },
			want: []moveKey{bal("a01", "hv01", "hv02"), bal("a02", "hv01", "hv03"), bal("a03", "hv01", "hv02"), bal("b01", "hv02", "hv03")},
			check: func(t *testing.T, p *balancer.Plan, _ *fakeRules) {
				if got := p.Moves[0].StoragePath; got != `E:\VMs\`+p.Moves[0].VMName {
					t.Errorf("storage path into hv02 %q", got)
				}
				if got := p.Settings.StoragePaths; got["hv02"] != `E:\VMs` {
					t.Errorf("plan settings' storage paths %v", got)
				}
			},
		},
		{
			name:  "a host that reports no storage path takes no storage move",
			snap:  hotFleet(map[string][]hostOpt{"hv01": hosts["hv01"], "hv02": {volume(`D:\`, "local", 1000)}, "hv03": hosts["hv03"]}, vms),
			want:  []moveKey{bal("a01", "hv01", "hv03"), bal("a02", "hv01", "hv03")},
			check: noneInto("hv02", "storage: host hv02 reports no default virtual hard disk path and the configuration sets no storage_path for it"),
		},
		{
			// Which hosts reach a share only the destination can say (a
			// host lists only the shares its own VMs use): Compare-VM, asked
			// before every move, refuses one that does not.
			name: "a vm on an SMB share moves memory only, to any host",
			snap: hotFleet(map[string][]hostOpt{
				"hv01": {volume(`\\FS01\VMs`, "smb", 5000)},
				"hv02": {volume(`D:\`, "local", 1000), volume(`\\fs02\vms`, "smb", 5000)},
				"hv03": {volume(`\\fs01\vms`, "smb", 5000)},
			}, smb),
			want: []moveKey{bal("a01", "hv01", "hv02"), bal("a02", "hv01", "hv03"), bal("a03", "hv01", "hv02"), bal("b01", "hv02", "hv03")},
			check: func(t *testing.T, p *balancer.Plan, r *fakeRules) {
				for _, m := range p.Moves {
					if m.StorageBytes != 0 || m.StoragePath != "" {
						t.Errorf("move %s copies %d to %q", m.VM, m.StorageBytes, m.StoragePath)
					}
				}
			},
		},
		{
			name: "a vm on a cluster shared volume moves only within its cluster",
			snap: hotFleet(map[string][]hostOpt{"hv01": {cluster("c1")}, "hv02": {cluster("c2")}, "hv03": {cluster("c1")}},
				onAll(disk(`C:\ClusterStorage\Volume1\x\disk.vhdx`, 100))),
			want:  []moveKey{bal("a01", "hv01", "hv03"), bal("a02", "hv01", "hv03"), bal("a03", "hv01", "hv03"), bal("c01", "hv03", "hv01")},
			check: noneInto("hv02", "the vm's files are on a cluster shared volume of cluster c1, which host hv02 is not in"),
		},
	})
}

// TestRecheckStorageAndCompatibility: the re-check refuses what the
// planner refuses, and a move that no longer matches the VM's storage.
func TestRecheckStorageAndCompatibility(t *testing.T) {
	hosts, vms := localDisks(100, 1000)
	hosts = with(hosts, "hv03", processor("AuthenticAMD", ""))
	hosts = with(hosts, "hv01", processor("GenuineIntel", ""))
	hosts = with(hosts, "hv02", volume(`\\fs01\vms`, "smb", 1000))
	vms["b01"] = nil // no path, no disks reported
	vms["c01"] = []vmOpt{configPath(`\\fs01\vms\c01`)}
	s := hotFleet(hosts, vms)
	cfg := balancer.DefaultConfig()
	cfg.MaxInflowPerHost = 5
	cfg.CPUHigh = 90 // some moves go into the hot host: this test is about storage
	store := func(vm, from, to string) balancer.Move {
		return balancer.Move{VM: vm, VMName: vm, From: from, To: to, StorageBytes: 100 * gib, StoragePath: `D:\Hyper-V\Virtual Hard Disks`}
	}
	full := func(free int64) *collector.Snapshot {
		h, _ := localDisks(100, 1000)
		h["hv02"] = []hostOpt{vhdPath(`D:\Hyper-V\Virtual Hard Disks`), volume(`D:\`, "local", free)}
		return hotFleet(h, vms)
	}
	tests := []struct {
		name    string
		snap    *collector.Snapshot
		m       balancer.Move
		earlier []balancer.Move
		why     string // "" when allowed
	}{
		{name: "within", m: store("a01", "hv01", "hv02")},
		{name: "incompatible", m: store("a01", "hv01", "hv03"), why: "incompatible processor"},
		{name: "volume full", snap: full(120), m: store("a01", "hv01", "hv02"), why: "storage full"},
		{name: "earlier storage moves count", snap: full(260), m: store("a03", "hv01", "hv02"),
			earlier: []balancer.Move{store("a01", "hv01", "hv02"), store("a02", "hv01", "hv02")}, why: "storage full"},
		{name: "planned without storage, now on local disks", m: balancer.Move{VM: "a01", VMName: "a01", From: "hv01", To: "hv02"},
			why: "the plan moves memory only"},
		{name: "planned with storage, storage now unknown", m: store("b01", "hv02", "hv01"), why: "the snapshot no longer shows where its files are"},
		{name: "planned with storage, now on shared storage", m: store("c01", "hv03", "hv02"), why: "none of its files is on a local volume now"},
		{name: "memory only on shared storage", m: balancer.Move{VM: "b01", VMName: "b01", From: "hv02", To: "hv01"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap := tt.snap
			if snap == nil {
				snap = s
			}
			_, err := balancer.Recheck(snap, cfg, tt.m, tt.earlier)
			switch {
			case tt.why == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.why == "":
			case !errors.Is(err, balancer.ErrLimit) || !strings.Contains(err.Error(), tt.why):
				t.Fatalf("got %v, want a limit saying %q", err, tt.why)
			}
		})
	}
}

// TestPlanWithoutStorageDataIsUnchanged: the same fleet with and without
// storage data the planner cannot use (shared storage every host reaches,
// equal processors) plans the same moves.
func TestPlanWithoutStorageDataIsUnchanged(t *testing.T) {
	plan := func(s *collector.Snapshot) *balancer.Plan {
		pl, err := balancer.NewPlanner(balancer.DefaultConfig(), nil)
		if err != nil {
			t.Fatal(err)
		}
		p, err := pl.Plan(context.Background(), s, &fakeRules{}, "sha256:test", nil)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	same := processor("GenuineIntel", "Intel64 Family 6 Model 106 Stepping 6")
	share := volume(`\\fs01\vms`, "smb", 5000)
	a := plan(hotFleet(nil, nil))
	b := plan(hotFleet(map[string][]hostOpt{"hv01": {same, share}, "hv02": {same, share}, "hv03": {same, share}},
		onAll(configPath(`\\fs01\vms\x`), disk(`\\fs01\vms\x\d.vhdx`, 100))))
	if got, want := keys(b), keys(a); len(got) != len(want) || len(want) == 0 {
		t.Fatalf("moves %v, want %v", got, want)
	} else {
		for i := range want {
			if got[i] != want[i] || b.Moves[i].EstimatedSeconds != a.Moves[i].EstimatedSeconds || b.Moves[i].Gain != a.Moves[i].Gain {
				t.Errorf("move %d: %+v, want %+v", i, b.Moves[i], a.Moves[i])
			}
		}
	}
}

// TestStorageReportsGolden pins every report of a plan with storage moves,
// a memory-only move of a VM on a share, and destinations refused for
// their processor and their full volume.
func TestStorageReportsGolden(t *testing.T) {
	intel := processor("GenuineIntel", "Intel64 Family 6 Model 106 Stepping 6")
	share := volume(`\\fs01\vms`, "smb", 8000)
	hosts := map[string][]hostOpt{
		"hv01": {intel, vhdPath(`D:\Hyper-V`), volume(`D:\`, "local", 2000), share},
		"hv02": {intel, vhdPath(`D:\Hyper-V`), volume(`D:\`, "local", 250), share},
		"hv03": {processor("AuthenticAMD", "AMD64 Family 25 Model 1 Stepping 1"), vhdPath(`D:\Hyper-V`), volume(`D:\`, "local", 2000), share},
	}
	vms := onAll(configPath(`D:\Hyper-V`), disk(`D:\Hyper-V\a.vhdx`, 120), vmSwitches("prod"))
	vms["a02"] = []vmOpt{configPath(`\\fs01\vms\a02`), disk(`\\fs01\vms\a02\a.vhdx`, 300), compatible()}
	cfg := balancer.DefaultConfig()
	cfg.MaxInflowPerHost = 3
	pl, err := balancer.NewPlanner(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := pl.Plan(context.Background(), hotFleet(hosts, vms), &fakeRules{}, "sha256:storage", nil)
	if err != nil {
		t.Fatal(err)
	}
	var storage, memory int
	for _, m := range p.Moves {
		if m.StoragePath != "" {
			storage++
		} else {
			memory++
		}
	}
	if storage == 0 || memory == 0 || len(p.Limited) == 0 {
		t.Fatalf("the fixture no longer shows both kinds of move and refusals: %d storage, %d memory-only, %d refused", storage, memory, len(p.Limited))
	}
	for _, f := range []struct {
		file  string
		write func(*bytes.Buffer) error
	}{
		{"storage.golden.json", func(b *bytes.Buffer) error { return p.WriteJSON(b) }},
		{"storage.golden.md", func(b *bytes.Buffer) error { return p.WriteMarkdown(b) }},
		{"storage.golden.html", func(b *bytes.Buffer) error { return p.WriteHTML(b) }},
		{"storage.golden.txt", func(b *bytes.Buffer) error { _, err := b.WriteString(p.Summary()); return err }},
	} {
		t.Run(f.file, func(t *testing.T) {
			var b bytes.Buffer
			if err := f.write(&b); err != nil {
				t.Fatal(err)
			}
			golden(t, f.file, b.Bytes())
			if strings.HasSuffix(f.file, ".md") {
				checkMarkdownTables(t, b.String())
			}
		})
	}
}

// TestPlanBeforeStorageStillReads: a plan written before storage was in the
// model (its golden JSON as it was) reads back with its digest intact, so
// plans approved across an upgrade are not taken for tampered ones.
func TestPlanBeforeStorageStillReads(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "plan-v1-before-storage.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := balancer.ReadPlan(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Moves) == 0 || p.Efficacy.StorageBytes != 0 || p.Moves[0].StoragePath != "" {
		t.Errorf("old plan read as %d moves, %d storage bytes", len(p.Moves), p.Efficacy.StorageBytes)
	}
}

// TestPlanStorageFromCollectortest plans a fleet made with the collector's
// test builder: a hot host whose VMs sit on its D: volume, a destination
// with room and one whose volume is nearly full.
func TestPlanStorageFromCollectortest(t *testing.T) {
	local := func(n int) []collectortest.VMSpec {
		var out []collectortest.VMSpec
		for i := range n {
			dir := fmt.Sprintf(`D:\Hyper-V\vm%d`, i)
			out = append(out, collectortest.VMSpec{CPU: 6, MemoryGiB: 16, Path: dir,
				Disks: []collector.Disk{{Path: dir + `\disk.vhdx`, FileSize: 80 * gib, Size: 127 * gib}}})
		}
		return out
	}
	host := func(name string, freeGiB int64, vms []collectortest.VMSpec) collectortest.HostSpec {
		return collectortest.HostSpec{Name: name, VHDPath: `D:\Hyper-V`, VMs: vms,
			Volumes: []collector.Volume{{Path: `D:\`, Kind: "local", Size: 4000 * gib, Free: freeGiB * gib}}}
	}
	s := collectortest.Snapshot(host("HV01", 1000, local(5)), host("HV02", 1000, nil), host("HV03", 100, nil))
	pl, err := balancer.NewPlanner(balancer.DefaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := pl.Plan(context.Background(), s, &fakeRules{}, "sha256:test", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Moves) == 0 {
		t.Fatalf("no move: %s", p.Message)
	}
	for i, m := range p.Moves {
		if m.To != "HV02" || m.StorageBytes != 80*gib || m.StoragePath != `D:\Hyper-V\`+m.VMName {
			t.Errorf("move %d: %s to %s copying %d to %q", i, m.VMName, m.To, m.StorageBytes, m.StoragePath)
		}
		if _, err := balancer.Recheck(s, balancer.DefaultConfig(), m, p.Moves[:i]); err != nil {
			t.Errorf("move %d fails its re-check: %v", i, err)
		}
	}
	if got := limitedTo(p, "HV03"); len(got) == 0 || !strings.HasPrefix(got[0], "storage full: volume D:\\ of host HV03 would have 20.0 GiB free") {
		t.Errorf("refusals into HV03: %q", got)
	}
}
