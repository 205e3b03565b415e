package balancer_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/policy"
)

// fakeRules is a configurable policy session.
type fakeRules struct {
	settings policy.Settings
	requests []policy.Request
	frozen   map[string]bool
	// deny and penalty judge a candidate; nil allows everything at no cost.
	deny    func(m policy.Move, p policy.Projected) []string
	penalty func(m policy.Move, p policy.Projected) float64
	err     error // returned by Judge when set
	judged  []policy.Move
}

func (f *fakeRules) Settings() policy.Settings  { return f.settings }
func (f *fakeRules) Requests() []policy.Request { return f.requests }
func (f *fakeRules) Frozen(id string) bool      { return f.frozen[id] }

func (f *fakeRules) Judge(ctx context.Context, m policy.Move, p policy.Projected) (policy.Verdict, error) {
	if err := ctx.Err(); err != nil {
		return policy.Verdict{}, err
	}
	f.judged = append(f.judged, m)
	if f.err != nil {
		return policy.Verdict{}, f.err
	}
	var v policy.Verdict
	if f.deny != nil {
		v.Deny = f.deny(m, p)
	}
	if f.penalty != nil {
		v.Penalty = f.penalty(m, p)
	}
	return v, nil
}

var errJudge = errors.New("policy exploded")

// taken is the time of every test snapshot.
var taken = time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)

const gib = int64(1) << 30

// hostOpt adjusts a test host.
type hostOpt func(*collector.Host)

func cluster(c string) hostOpt { return func(h *collector.Host) { h.Cluster = c } }
func maintenance() hostOpt     { return func(h *collector.Host) { h.Maintenance = true } }
func health(s collector.Health) hostOpt {
	return func(h *collector.Host) { h.Health = s; h.Reason = "no answer for 5m" }
}
func noMigration() hostOpt { return func(h *collector.Host) { h.MigrationEnabled = false } }

// newHost is a healthy host with lp logical processors and mem GiB; its
// load is filled in by fleet.
func newHost(name string, lp int, mem int64, opts ...hostOpt) collector.Host {
	h := collector.Host{
		Name: name, Health: collector.HealthOK, LogicalProcessors: lp, MemoryBytes: mem * gib,
		MigrationEnabled: true, MaxMigrations: 2, Samples: 30,
		CPU: collector.Stat{Last: 2}, Memory: collector.Stat{Last: float64(4*gib) / float64(mem*gib) * 100},
	}
	for _, o := range opts {
		o(&h)
	}
	return h
}

// vmOpt adjusts a test VM.
type vmOpt func(*collector.VM)

func state(s string) vmOpt { return func(v *collector.VM) { v.State = s } }
func clustered() vmOpt     { return func(v *collector.VM) { v.Clustered = true } }
func named(n string) vmOpt { return func(v *collector.VM) { v.Name = n } }

// newVM is a running VM using cores logical processors (steadily) and
// mem GiB of memory.
func newVM(id, host string, cores float64, mem int64, opts ...vmOpt) collector.VM {
	cpus := int(cores*2) + 1
	v := collector.VM{
		ID: id, Name: id, Host: host, State: "Running", CPUs: cpus,
		MemoryAssigned: mem * gib, MemoryStartup: mem * gib, MemoryDemand: mem * gib,
		CPU: collector.Stat{Last: cores, Mean: cores, P95: cores, Max: cores}, Samples: 30,
	}
	for _, o := range opts {
		o(&v)
	}
	return v
}

// fleet makes a snapshot whose host loads are their base load plus their
// VMs' (running VMs use CPU; all hold memory).
func fleet(hosts []collector.Host, vms []collector.VM) *collector.Snapshot {
	s := &collector.Snapshot{Version: collector.SnapshotVersion, Taken: taken, WindowSeconds: 300,
		Hosts: append([]collector.Host(nil), hosts...), VMs: append([]collector.VM(nil), vms...)}
	s.Sort()
	cpu := map[string]float64{}
	mem := map[string]int64{}
	for _, v := range s.VMs {
		if v.Running() {
			cpu[v.Host] += v.CPU.Mean
		}
		mem[v.Host] += v.MemoryAssigned
	}
	for i := range s.Hosts {
		h := &s.Hosts[i]
		c := h.CPU.Last + cpu[h.Name]/float64(h.LogicalProcessors)*100
		m := h.Memory.Last + float64(mem[h.Name])/float64(h.MemoryBytes)*100
		h.CPU = collector.Stat{Last: c, Mean: c, P95: c, Max: c}
		h.Memory = collector.Stat{Last: m, Mean: m, P95: m, Max: m}
	}
	return s
}

// ids returns n VM IDs with a prefix: p01, p02, ...
func ids(p string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%02d", p, i+1)
	}
	return out
}

// Storage and compatibility facts for test hosts and VMs.
func processor(vendor, model string) hostOpt {
	return func(h *collector.Host) { h.ProcessorVendor, h.ProcessorModel = vendor, model }
}
func versions(v ...string) hostOpt { return func(h *collector.Host) { h.ConfigVersions = v } }
func switches(s ...string) hostOpt { return func(h *collector.Host) { h.Switches = s } }
func vhdPath(p string) hostOpt     { return func(h *collector.Host) { h.VHDPath = p } }

// volume gives a host a volume with freeGiB free (of twice that).
func volume(path, kind string, freeGiB int64) hostOpt {
	return func(h *collector.Host) {
		h.Volumes = append(h.Volumes, collector.Volume{Path: path, Kind: kind, Size: 2 * freeGiB * gib, Free: freeGiB * gib})
	}
}

func vmVersion(v string) vmOpt     { return func(vm *collector.VM) { vm.ConfigVersion = v } }
func compatible() vmOpt            { return func(vm *collector.VM) { vm.ProcessorCompatibility = true } }
func vmSwitches(s ...string) vmOpt { return func(vm *collector.VM) { vm.Switches = s } }
func configPath(p string) vmOpt    { return func(vm *collector.VM) { vm.Path = p } }

// disk gives a VM a virtual disk of fileGiB on disk, its kind left for
// the planner to derive from the path.
func disk(path string, fileGiB int64) vmOpt {
	return func(vm *collector.VM) {
		vm.Disks = append(vm.Disks, collector.Disk{Path: path, FileSize: fileGiB * gib, Size: 2 * fileGiB * gib})
	}
}
