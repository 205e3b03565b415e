package balancer_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/collector/collectortest"
	"github.com/hvbalancer/hvbalancer/hyperv"
)

// fakeFleet is a fleet whose counters derive from which VMs each host
// holds: a host's CPU is its own base plus its VMs' cores, each sample with
// noise; its memory in use is its own base plus its VMs' assigned memory
// (and that of a VM migrating to it, which Hyper-V reserves when the copy
// starts). The real collector polls it through fake sources on a manual
// clock, and moves land on it as the executor lands them: the VM stays on
// its source while the copy runs, then is listed by its destination.
type fakeFleet struct {
	hosts []*fakeHost
	vms   []*fakeVM // by ID
	rng   *rand.Rand
	// cpuNoise is the host CPU noise, ± percentage points; memNoise the
	// host memory noise, ± GiB; vmNoise the VMs' CPU noise, ± a share of
	// their cores.
	cpuNoise, memNoise, vmNoise float64

	clock *collectortest.Clock
	srcs  map[string]*collectortest.Source
	col   *collector.Collector
}

type fakeHost struct {
	name    string
	lps     int
	memGiB  int64
	baseCPU float64 // percent
	baseMem float64 // GiB
}

type fakeVM struct {
	id     string
	cpus   int
	cores  float64 // mean use, logical processors
	memGiB int64
	host   string
	to     string // the host it is migrating to, while the copy runs
	landIn int    // polls until it lands there
}

// failer is what the fake fleet needs of a test: *testing.T and *rapid.T.
type failer interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

// pollEvery and window are the collector's defaults as the daemon runs it.
const (
	pollEvery = 30 * time.Second
	window    = collector.DefaultWindow
)

// start makes the collector over the fleet and fills its windows.
func (f *fakeFleet) start(t failer, seed uint64) {
	t.Helper()
	f.rng = rand.New(rand.NewPCG(seed, 0x5eed))
	f.clock = collectortest.NewClock(taken)
	f.srcs = map[string]*collectortest.Source{}
	var targets []collector.Target
	for _, h := range f.hosts {
		src := collectortest.NewSource(hyperv.HostInfo{
			Name: h.name, LogicalProcessors: h.lps, MemoryCapacity: h.memGiB * gib,
			MigrationEnabled: true, MaxMigrations: 2,
		})
		f.srcs[h.name] = src
		targets = append(targets, collector.Target{Name: h.name, Source: src})
	}
	col, err := collector.New(targets, collector.Config{Now: f.clock.Now}, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	f.col = col
	for range int(window / pollEvery) {
		f.poll(t)
	}
}

// noise is a uniform draw in ±amp.
func (f *fakeFleet) noise(amp float64) float64 { return (f.rng.Float64()*2 - 1) * amp }

// poll lands the migrations due, sets every source from the fleet as it
// stands, advances the clock and polls.
func (f *fakeFleet) poll(t failer) *collector.Snapshot {
	t.Helper()
	for _, v := range f.vms {
		if v.to != "" {
			if v.landIn == 0 {
				v.host, v.to = v.to, ""
			} else {
				v.landIn--
			}
		}
	}
	for _, h := range f.hosts {
		base := max(0, h.baseCPU+f.noise(f.cpuNoise))
		used := (h.baseMem + f.noise(f.memNoise)) * float64(gib)
		cs := hyperv.Counters{VMs: map[string]hyperv.VMCounters{}}
		var vms []hyperv.VM
		want := map[string]float64{}
		var sum float64
		for _, v := range f.vms {
			if v.to == h.name {
				used += float64(v.memGiB * gib)
			}
			if v.host == h.name {
				want[v.id] = max(0, v.cores*(1+f.noise(f.vmNoise)))
				sum += want[v.id]
			}
		}
		// A saturated host's VMs share what it has left.
		share := 1.0
		if room := (100 - base) / 100 * float64(h.lps); sum > room {
			share = room / sum
		}
		cpu := base
		for _, v := range f.vms {
			if v.host != h.name {
				continue
			}
			cores := want[v.id] * share
			cpu += cores / float64(h.lps) * 100
			used += float64(v.memGiB * gib)
			pct := cores / float64(v.cpus) * 100
			cs.VMs[v.id] = hyperv.VMCounters{CPUPercent: []float64{pct}, MeanCPUPercent: pct}
			vms = append(vms, hyperv.VM{
				ID: wireID(v.id), Name: v.id, State: hyperv.VMStateRunning, ProcessorCount: v.cpus,
				MemoryAssigned: v.memGiB * gib, MemoryStartup: v.memGiB * gib, MemoryDemand: v.memGiB * gib,
				Uptime: 72 * time.Hour, Tags: map[string]string{},
			})
		}
		cs.HostCPUPercent = cpu
		cs.AvailableMemory = h.memGiB*gib - int64(used)
		f.srcs[h.name].SetVMs(vms...)
		f.srcs[h.name].SetCounters(cs)
	}
	f.clock.Advance(pollEvery)
	s, err := f.col.Poll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// wireID is the GUID a host reports for the fake VM id (at most 16
// bytes), as Hyper-V reports VM IDs: id's bytes in hex, zero-padded.
func wireID(id string) string {
	b := make([]byte, 16)
	copy(b, id)
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// fakeID is the fake VM id of a reported GUID (wireID's inverse); other
// strings are returned as they are.
func fakeID(id string) string {
	b, err := hex.DecodeString(strings.ReplaceAll(id, "-", ""))
	if err != nil || len(b) != 16 {
		return id
	}
	return strings.TrimRight(string(b), "\x00")
}

// vm returns the VM with the given ID (the fake's own, or the GUID its
// host reports).
func (f *fakeFleet) vm(id string) *fakeVM {
	id = fakeID(id)
	i, ok := slices.BinarySearchFunc(f.vms, id, func(v *fakeVM, id string) int { return strings.Compare(v.id, id) })
	if !ok {
		return nil
	}
	return f.vms[i]
}

// begin starts move m: the VM lands after the copy has run through
// landIn polls. It fails when the fleet does not have the VM on m.From or
// it is already migrating, which a plan must never ask.
func (f *fakeFleet) begin(m balancer.Move, landIn int) error {
	v := f.vm(m.VM)
	switch {
	case v == nil:
		return fmt.Errorf("move %s: no such vm", m.VM)
	case v.to != "":
		return fmt.Errorf("move %s: already migrating to %s", m.VM, v.to)
	case v.host != m.From:
		return fmt.Errorf("move %s from %s: it is on %s", m.VM, m.From, v.host)
	}
	v.to, v.landIn = m.To, landIn
	return nil
}

// migrating reports whether a copy is still running.
func (f *fakeFleet) migrating() bool {
	return slices.ContainsFunc(f.vms, func(v *fakeVM) bool { return v.to != "" })
}

// load is a host's true mean load now: what its window shows once it has
// refilled, noise aside.
func (f *fakeFleet) load(name string) (cpu, mem float64) {
	for _, h := range f.hosts {
		if h.name != name {
			continue
		}
		cpu, memGiB := h.baseCPU, h.baseMem
		for _, v := range f.vms {
			if v.host == name {
				cpu += v.cores / float64(h.lps) * 100
				memGiB += float64(v.memGiB)
			}
		}
		return cpu, memGiB / float64(h.memGiB) * 100
	}
	return 0, 0
}
