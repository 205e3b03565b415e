package collector_test

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/hyperv"
)

// moveFleet is a fleet of fake hosts (32 logical processors, 256 GiB each)
// whose counters follow the VMs they hold: a host's CPU is its own base,
// which varies from poll to poll, plus its VMs' cores; its memory in use is
// its own overhead, which varies too, plus its VMs' assigned memory. A VM
// under migration is listed by its source, and its destination already
// holds its memory, as Hyper-V reserves it when the copy starts.
type moveFleet struct {
	t      *testing.T
	f      *fixture
	hosts  []string
	vms    map[string]hyperv.VM // by ID
	cores  map[string]float64   // by VM ID
	on     map[string]string    // VM ID → host; deleted VMs are not in it
	coming map[string]string    // VM ID → the host it is migrating to
	polls  []time.Time          // when each poll was taken
}

const (
	fleetLPs    = 32
	fleetMemGiB = 256
	pollEvery   = 30 * time.Second
)

func newMoveFleet(t *testing.T, hosts ...string) *moveFleet {
	var targets []collector.Target
	for _, h := range hosts {
		targets = append(targets, collector.Target{Name: h})
	}
	return &moveFleet{
		t: t, f: newFixture(t, collector.Config{}, targets...), hosts: hosts,
		vms: map[string]hyperv.VM{}, cores: map[string]float64{}, on: map[string]string{}, coming: map[string]string{},
	}
}

// add puts a running VM with cpus virtual processors using cores of them
// and memGiB of memory on host.
func (m *moveFleet) add(id, host string, cpus int, cores float64, memGiB int64) {
	v := running(fmt.Sprintf("00000000-0000-4000-8000-%012x", id), "vm-"+id, cpus, 0) // a GUID, as Hyper-V gives
	v.MemoryAssigned = memGiB * gib
	m.vms[id], m.cores[id], m.on[id] = v, cores, host
}

// baseCPU and overhead are a host's own load at poll i, in percent and
// bytes: a pattern of its own, so that windows are not flat.
func baseCPU(host string, i int) float64 { return 10 + float64((i*7+len(host)*3)%11) }
func overhead(host string, i int) int64 {
	return 8*gib + int64((i*5+len(host))%4)*gib/2
}

// vmsOn lists the VM IDs host holds, by ID.
func (m *moveFleet) vmsOn(host string) []string {
	var ids []string
	for id, h := range m.on {
		if h == host {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// poll sets every source from the fleet as it stands and polls after
// pollEvery.
func (m *moveFleet) poll() *collector.Snapshot {
	m.t.Helper()
	i := len(m.polls)
	for _, h := range m.hosts {
		var vms []hyperv.VM
		cpu, used := baseCPU(h, i), overhead(h, i)
		vc := map[string]float64{}
		for _, id := range m.vmsOn(h) {
			v := m.vms[id]
			vms = append(vms, v)
			cpu += m.cores[id] / fleetLPs * 100
			used += v.MemoryAssigned
			vc[strings.ToLower(v.Name)] = m.cores[id] / float64(v.ProcessorCount) * 100
		}
		for id, to := range m.coming {
			if to == h {
				used += m.vms[id].MemoryAssigned
			}
		}
		src := m.f.srcs[h]
		src.SetHost(hostInfo(h, fleetLPs, fleetMemGiB))
		src.SetVMs(vms...)
		c := counters(cpu, 0, nil)
		c.AvailableMemory = fleetMemGiB*gib - used
		for name, pct := range vc {
			c.VMs[name] = hyperv.VMCounters{CPUPercent: []float64{pct}, MeanCPUPercent: pct}
		}
		src.SetCounters(c)
	}
	s := m.f.poll(pollEvery)
	m.polls = append(m.polls, s.Taken)
	return s
}

// polls polls n times and returns the last snapshot.
func (m *moveFleet) pollN(n int) *collector.Snapshot {
	m.t.Helper()
	var s *collector.Snapshot
	for range n {
		s = m.poll()
	}
	return s
}

// asIfAlways is host's load as it would have been measured over the
// window had it held its current VMs all along.
func (m *moveFleet) asIfAlways(host string) (cpu, mem collector.Stat) {
	now := m.polls[len(m.polls)-1]
	var cs, ms []float64
	for i, at := range m.polls {
		if now.Sub(at) > collector.DefaultWindow {
			continue
		}
		c, used := baseCPU(host, i), overhead(host, i)
		for _, id := range m.vmsOn(host) {
			c += m.cores[id] / fleetLPs * 100
			used += m.vms[id].MemoryAssigned
		}
		cs = append(cs, c)
		ms = append(ms, float64(used)/float64(fleetMemGiB*gib)*100)
	}
	return statOf(cs), statOf(ms)
}

// statOf summarizes vals as a window does (nearest-rank p95).
func statOf(vals []float64) collector.Stat {
	sorted := slices.Clone(vals)
	slices.Sort(sorted)
	var sum float64
	for _, v := range vals {
		sum += v
	}
	n := len(vals)
	return collector.Stat{Last: vals[n-1], Mean: sum / float64(n), P95: sorted[(95*n+99)/100-1], Max: sorted[n-1]}
}

// sameStat reports whether two stats agree to rounding.
func sameStat(a, b collector.Stat) bool {
	near := func(x, y float64) bool { return math.Abs(x-y) < 1e-9 }
	return near(a.Last, b.Last) && near(a.Mean, b.Mean) && near(a.P95, b.P95) && near(a.Max, b.Max)
}

// checkAsIfAlways fails unless every host's load in s is what it would
// have measured with its current VMs all along, and says whether it is
// projected as want says.
func (m *moveFleet) checkAsIfAlways(s *collector.Snapshot, projected map[string]bool) {
	m.t.Helper()
	for _, name := range m.hosts {
		h := host(m.t, s, name)
		cpu, mem := m.asIfAlways(name)
		if !sameStat(h.CPU, cpu) || !sameStat(h.Memory, mem) {
			m.t.Errorf("%s: cpu %+v memory %+v, want as if it had always held %v: cpu %+v memory %+v",
				name, h.CPU, h.Memory, m.vmsOn(name), cpu, mem)
		}
		want := collector.LoadMeasured
		if projected[name] {
			want = collector.LoadProjected
		}
		if h.LoadModel != want {
			m.t.Errorf("%s: load model %q, want %q", name, h.LoadModel, want)
		}
		if (h.LoadModel == collector.LoadProjected) == h.ProjectedUntil.IsZero() {
			m.t.Errorf("%s: load model %q with projected_until %v", name, h.LoadModel, h.ProjectedUntil)
		}
	}
}

// twoHosts is HV01 with a, b and c, and HV02 with d, after a full window.
func twoHosts(t *testing.T) *moveFleet {
	m := newMoveFleet(t, "HV01", "HV02")
	m.add("a", "HV01", 8, 6, 32)
	m.add("b", "HV01", 4, 3, 16)
	m.add("c", "HV01", 2, 1.5, 8)
	m.add("d", "HV02", 4, 2, 16)
	s := m.pollN(12)
	m.checkAsIfAlways(s, nil)
	return m
}

func TestLoadAfterMoves(t *testing.T) {
	tests := []struct {
		name      string
		steps     func(m *moveFleet) *collector.Snapshot
		projected map[string]bool
	}{
		{"an arrival and its departure", func(m *moveFleet) *collector.Snapshot {
			m.on["a"] = "HV02"
			return m.poll()
		}, map[string]bool{"HV01": true, "HV02": true}},
		{"arrivals and departures both ways between two polls", func(m *moveFleet) *collector.Snapshot {
			m.on["a"], m.on["d"] = "HV02", "HV01"
			return m.poll()
		}, map[string]bool{"HV01": true, "HV02": true}},
		{"moves at different times", func(m *moveFleet) *collector.Snapshot {
			m.on["a"] = "HV02"
			m.pollN(3)
			m.on["b"] = "HV02"
			m.poll()
			m.on["d"] = "HV01"
			return m.pollN(2)
		}, map[string]bool{"HV01": true, "HV02": true}},
		{"a vm that moves there and back", func(m *moveFleet) *collector.Snapshot {
			m.on["b"] = "HV02"
			m.pollN(3)
			m.on["b"] = "HV01"
			return m.poll()
		}, map[string]bool{"HV01": true, "HV02": true}},
		{"a vm that disappears", func(m *moveFleet) *collector.Snapshot {
			delete(m.on, "b")
			return m.poll()
		}, map[string]bool{"HV01": true}},
		{"a new vm", func(m *moveFleet) *collector.Snapshot {
			m.add("e", "HV02", 4, 2.5, 24)
			return m.pollN(2)
		}, map[string]bool{"HV02": true}},
		{"the window refilled", func(m *moveFleet) *collector.Snapshot {
			m.on["a"] = "HV02"
			m.poll()
			return m.pollN(int(collector.DefaultWindow / pollEvery))
		}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := twoHosts(t)
			m.checkAsIfAlways(tc.steps(m), tc.projected)
		})
	}
}

// The load stays projected up to the poll at ProjectedUntil, when the last
// sample taken before the move is still in the window, and is measured
// from the next one on.
func TestLoadProjectedUntil(t *testing.T) {
	m := twoHosts(t)
	lastBefore := m.polls[len(m.polls)-1]
	m.on["a"] = "HV02"
	s := m.poll()
	want := lastBefore.Add(collector.DefaultWindow)
	for _, name := range m.hosts {
		if got := host(t, s, name).ProjectedUntil; !got.Equal(want) {
			t.Fatalf("%s: projected until %v, want %v", name, got, want)
		}
	}
	for !s.Taken.After(want) {
		m.checkAsIfAlways(s, map[string]bool{"HV01": true, "HV02": true})
		s = m.poll()
	}
	m.checkAsIfAlways(s, nil)
}

// A migration under way changes nothing: its source still lists the VM
// (and so holds its load) until it is done. Its destination's memory
// already holds the VM's while the copy runs, so once the VM is listed
// there, the samples taken during the copy are not shifted again.
func TestLoadWhileMigrating(t *testing.T) {
	m := twoHosts(t)
	m.coming["a"] = "HV02"
	s := m.pollN(2)
	for _, name := range m.hosts {
		if h := host(t, s, name); h.LoadModel != collector.LoadMeasured {
			t.Errorf("%s: load model %q while a vm is only on its way", name, h.LoadModel)
		}
	}
	delete(m.coming, "a")
	m.on["a"] = "HV02"
	s = m.poll()
	// As if always: the samples of the copy held a's memory, and the
	// fleet's pattern says so as well (asIfAlways counts a throughout).
	m.checkAsIfAlways(s, map[string]bool{"HV01": true, "HV02": true})
}

func TestReadSnapshotLoadModel(t *testing.T) {
	for _, tc := range []struct {
		model string
		ok    bool
	}{{"", true}, {"projected", true}, {"guessed", false}} {
		s := &collector.Snapshot{Version: collector.SnapshotVersion, Taken: t0,
			Hosts: []collector.Host{{Name: "HV01", Health: collector.HealthOK, LoadModel: collector.LoadModel(tc.model)}}}
		_, err := collector.ReadSnapshot(jsonReader(t, s))
		if (err == nil) != tc.ok {
			t.Errorf("load model %q: error %v", tc.model, err)
		}
	}
}
