package model

import (
	"fmt"
	"hash/fnv"
	"math"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/fleetfile"
)

// Time scales of the profiles.
const (
	steadyNoiseScale = time.Minute      // knots of the tiny noise every profile carries
	steadyNoise      = 0.01             // ± that noise
	burstBucket      = 5 * time.Minute  // a burst lasts one bucket
	burstChance      = 0.15             // share of buckets that burst
	walkSlowScale    = 20 * time.Minute // random-walk knots, slow octave
	walkFastScale    = 4 * time.Minute  // random-walk knots, fast octave
	memoryNoiseScale = 90 * time.Minute // memory demand drifts slowly
	memoryNoise      = 0.1              // ± that drift, relative
	vcpuNoiseScale   = 2 * time.Minute  // per-vCPU spread
	vcpuSpread       = 0.1              // ± that spread, relative
)

// Salts that keep the noise streams of one VM apart.
const (
	saltSteady uint64 = iota + 1
	saltBurst
	saltWalkSlow
	saltWalkFast
	saltMemory
	saltVCPU
	saltUptime
)

// cpuDemand returns the CPU demand of a VM at t, as a fraction 0..1 of its
// vCPUs. It is a pure function of the VM's key (seed and ID), its load and t.
func cpuDemand(key uint64, l fleetfile.Load, t time.Time) float64 {
	d := l.CPU + steadyNoise*(2*valueNoise(key, saltSteady, t, steadyNoiseScale)-1)
	switch l.Profile {
	case fleetfile.ProfileDiurnal:
		period := time.Duration(l.Period)
		if period <= 0 {
			period = 24 * time.Hour
		}
		// Phase 0 at the Unix epoch (midnight UTC); the peak falls at 15/24 of the period.
		x := math.Mod(seconds(t), period.Seconds()) / period.Seconds()
		d += l.Amplitude * math.Sin(2*math.Pi*(x-9.0/24))
	case fleetfile.ProfileBursty:
		bucket := int64(math.Floor(seconds(t) / burstBucket.Seconds()))
		if unit(hash3(key, saltBurst, uint64(bucket))) < burstChance {
			d += l.Amplitude
		}
	case fleetfile.ProfileRandomWalk:
		n := 0.65*valueNoise(key, saltWalkSlow, t, walkSlowScale) + 0.35*valueNoise(key, saltWalkFast, t, walkFastScale)
		d += l.Amplitude * (2*n - 1)
	}
	return clamp(d, 0, 1)
}

// memoryFactor returns the slow relative drift of a VM's memory demand
// around its mean at t, in [1-memoryNoise, 1+memoryNoise].
func memoryFactor(key uint64, t time.Time) float64 {
	return 1 + memoryNoise*(2*valueNoise(key, saltMemory, t, memoryNoiseScale)-1)
}

// guestRunTime spreads received LP-units over cpus vCPUs: percent 0..100
// each, varying a little per vCPU while keeping their mean.
func guestRunTime(key uint64, received float64, cpus int, t time.Time) []float64 {
	out := make([]float64, cpus)
	if cpus == 0 {
		return out
	}
	base := received / float64(cpus) * 100
	w := make([]float64, cpus)
	var sum float64
	for k := range w {
		w[k] = 1 + vcpuSpread*(2*valueNoise(key^uint64(k+1)*0x9e3779b97f4a7c15, saltVCPU, t, vcpuNoiseScale)-1)
		sum += w[k]
	}
	for k := range out {
		out[k] = clamp(base*w[k]*float64(cpus)/sum, 0, 100)
	}
	return out
}

// defaultUptime is the uptime a running VM has at the start when its spec
// names none: between one hour and 45 days, fixed per VM.
func defaultUptime(key uint64) time.Duration {
	span := float64(45*24*time.Hour - time.Hour)
	return time.Hour + time.Duration(unit(hash3(key, saltUptime, 0))*span).Round(time.Second)
}

// vmKey is the noise key of a VM: its seed and lower-case ID.
func vmKey(seed int64, id string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(id))
	return mix64(h.Sum64() ^ mix64(uint64(seed)))
}

// valueNoise is smooth, deterministic noise in [0,1): hashed values at knots
// scale apart, joined by smoothstep interpolation, so it is continuous in t.
func valueNoise(key, salt uint64, t time.Time, scale time.Duration) float64 {
	x := seconds(t) / scale.Seconds()
	i := math.Floor(x)
	frac := x - i
	a := unit(hash3(key, salt, uint64(int64(i))))
	b := unit(hash3(key, salt, uint64(int64(i)+1)))
	s := frac * frac * (3 - 2*frac)
	return a + (b-a)*s
}

// seconds since the Unix epoch, with millisecond resolution.
func seconds(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

func hash3(a, b, c uint64) uint64 { return mix64(a ^ mix64(b^mix64(c))) }

// mix64 is the splitmix64 finalizer.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// unit maps a hash to [0,1).
func unit(h uint64) float64 { return float64(h>>11) / (1 << 53) }

func clamp(x, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, x)) }

// Physics: what a host and its VMs look like at a moment of simulated time.

// snapshotLocked computes h and its VMs at now. Host CPU demand, in
// LP-units, is the running VMs' demand × vCPUs, plus the hypervisor overhead
// and the CPU cost of running migrations; when it exceeds the logical
// processors, the VMs are starved in proportion to their demand.
func (f *Fleet) snapshotLocked(h *simHost, now time.Time) (HostState, []VMState) {
	vms := h.sortedVMs()
	lps := float64(h.spec.LogicalProcessors)
	overhead := h.spec.OverheadPercent / 100 * lps
	migCPU, inbound := f.migrationLoadLocked(h)
	demand := make([]float64, len(vms))
	var total float64
	for i, v := range vms {
		if v.state == VMRunning && !h.faults.Crashed {
			demand[i] = cpuDemand(v.key, v.spec.Load, now) * float64(v.spec.CPUs)
			total += demand[i]
		}
	}
	share := 1.0
	if avail := math.Max(0, lps-overhead-migCPU); total > avail {
		share = avail / total
	}
	mem, assigned := h.memory(vms, now)
	states := make([]VMState, len(vms))
	ids := make([]string, len(vms))
	for i, v := range vms {
		received := demand[i] * share
		s := VMState{
			ID: v.spec.ID, Name: v.spec.Name, Host: h.spec.Name, State: v.state, Status: StatusNormal,
			CPUs: v.spec.CPUs, CPUUsage: int(math.Round(received / lps * 100)),
			GuestRunTime:   guestRunTime(v.key, received, v.spec.CPUs, now),
			MemoryAssigned: mem[i].assigned, MemoryDemand: mem[i].demand, MemoryStartup: v.startup,
			Dynamic: v.spec.Dynamic, Clustered: v.spec.Clustered, Notes: v.spec.Notes,
		}
		if v.spec.Dynamic && mem[i].assigned > 0 {
			s.MemoryPressure = int(math.Round(float64(mem[i].demand) / float64(mem[i].assigned) * 100))
		}
		if v.state == VMRunning || v.state == VMPaused {
			s.Uptime = now.Sub(v.boot)
		}
		if v.moving != nil {
			s.Status = fmt.Sprintf("Migrating - %d%% complete", v.moving.progress(now))
		}
		states[i], ids[i] = s, v.spec.ID
	}
	cpu := math.Min(100, (total+overhead+migCPU)/lps*100)
	if h.faults.Crashed {
		cpu = 0
	}
	capacity, reserve := gibBytes(h.spec.MemoryGiB), gibBytes(h.spec.ReserveGiB)
	hs := HostState{
		Name: h.spec.Name, FQDN: h.spec.Name + "." + f.spec.Domain, Cluster: h.spec.Cluster, Group: h.spec.Group,
		Labels: copyLabels(h.spec.Labels), LogicalProcessors: h.spec.LogicalProcessors,
		MemoryCapacity: capacity, MemoryReserve: reserve, MemoryAssigned: assigned,
		AvailableMBytes:  max(0, capacity-reserve-assigned-inbound) / MiB,
		CPUPercent:       cpu,
		MigrationEnabled: *h.spec.MigrationEnabled, MaxMigrations: h.spec.MaxMigrations,
		AuthType: authType(h.spec.Authentication), PerformanceOption: performanceOption(h.spec.Performance),
		ActiveMigrations: h.active, Faults: h.faults, VMIDs: ids,
	}
	return hs, states
}

type vmMemory struct{ assigned, demand int64 }

// memory returns the memory of vms (in that order) and their sum. A static
// VM is assigned its startup memory. A dynamic VM's demand is Load.Memory ×
// its maximum, drifting slowly; it is assigned 120% of that, kept within its
// minimum and maximum, and squeezed toward its minimum when the host runs
// out. Off and saved VMs hold none.
func (h *simHost) memory(vms []*simVM, now time.Time) ([]vmMemory, int64) {
	out := make([]vmMemory, len(vms))
	want := make([]float64, len(vms))
	var sum, reducible float64
	for i, v := range vms {
		if v.state != VMRunning && v.state != VMPaused {
			continue
		}
		factor := memoryFactor(v.key, now)
		if !v.spec.Dynamic {
			want[i] = float64(v.startup)
			out[i].demand = min(roundMiB(v.spec.Load.Memory*float64(v.startup)*factor), v.startup)
		} else {
			d := v.spec.Load.Memory * float64(v.max) * factor
			want[i] = clamp(d*1.2, float64(v.min), float64(v.max))
			reducible += want[i] - float64(v.min)
			out[i].demand = roundMiB(d)
		}
		sum += want[i]
	}
	squeeze := 0.0
	if free := float64(gibBytes(h.spec.MemoryGiB) - gibBytes(h.spec.ReserveGiB)); sum > free && reducible > 0 {
		squeeze = math.Min(1, (sum-free)/reducible)
	}
	var total int64
	for i, v := range vms {
		a := want[i]
		if v.spec.Dynamic {
			a -= (a - float64(v.min)) * squeeze
		}
		out[i].assigned = roundMiB(a)
		total += out[i].assigned
	}
	return out, total
}

// freeLocked is the memory h can still give a VM: capacity − reserve −
// assigned − memory reserved by inbound migrations.
func (f *Fleet) freeLocked(h *simHost, now time.Time) int64 {
	_, assigned := h.memory(h.sortedVMs(), now)
	_, inbound := f.migrationLoadLocked(h)
	return gibBytes(h.spec.MemoryGiB) - gibBytes(h.spec.ReserveGiB) - assigned - inbound
}

// assignedLocked is the memory v holds now.
func (f *Fleet) assignedLocked(v *simVM, now time.Time) int64 {
	vms := v.host.sortedVMs()
	mem, _ := v.host.memory(vms, now)
	for i, o := range vms {
		if o == v {
			return mem[i].assigned
		}
	}
	return 0
}

func roundMiB(x float64) int64 { return int64(math.Round(x/MiB)) * MiB }

func authType(s string) int {
	if s == "CredSSP" {
		return 0
	}
	return 1
}

func performanceOption(s string) int {
	switch s {
	case "TCPIP":
		return 0
	case "SMB":
		return 2
	}
	return 1
}

func copyLabels(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}
