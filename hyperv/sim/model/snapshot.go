package model

// Physics: what a host and its VMs look like at a moment of simulated time,
// from the VMs' load profiles (profiles.go), their memory settings and the
// migrations running on the host. The readers here settle the migrations
// due first (queue.go), then compute; they change nothing else.

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/fleetfile"
)

// Host returns the host named name (case-insensitive, as Windows compares
// computer names) at the current simulated time.
func (f *Fleet) Host(name string) (HostState, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	h := f.hosts[strings.ToLower(name)]
	if h == nil {
		return HostState{}, false
	}
	now := f.clock.Now()
	f.settleLocked(now)
	return f.hostOnlyLocked(h, now), true
}

// HostAndVMs returns the host named name (case-insensitive) and its VMs,
// sorted by Name then ID, at the current simulated time, from one
// computation of the host: what Host and VMs return called at once.
func (f *Fleet) HostAndVMs(name string) (HostState, []VMState, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	h := f.hosts[strings.ToLower(name)]
	if h == nil {
		return HostState{}, nil, false
	}
	now := f.clock.Now()
	f.settleLocked(now)
	hs, vms := f.snapshotLocked(h, now)
	return hs, vms, true
}

// VMs returns the VMs on host at the current simulated time, sorted by Name
// then ID; nil for an unknown host.
func (f *Fleet) VMs(host string) []VMState {
	f.mu.Lock()
	defer f.mu.Unlock()
	h := f.hosts[strings.ToLower(host)]
	if h == nil {
		return nil
	}
	now := f.clock.Now()
	f.settleLocked(now)
	_, vms := f.snapshotLocked(h, now)
	return vms
}

// VM returns the VM with the given ID (a GUID, case-insensitive) at the
// current simulated time, wherever it is.
func (f *Fleet) VM(id string) (VMState, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v := f.vms[strings.ToLower(id)]
	if v == nil {
		return VMState{}, false
	}
	now := f.clock.Now()
	f.settleLocked(now)
	return f.vmStateLocked(v, now), true
}

// VMsByID returns the VMs with the given IDs (case-insensitive) at the
// current simulated time, in the order asked, leaving out unknown IDs. It
// computes each host once, however many of its VMs are asked for: a
// pipeline of a host's VMs into a cmdlet costs one pass, not one per VM.
func (f *Fleet) VMsByID(ids []string) []VMState {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.clock.Now()
	f.settleLocked(now)
	hosts := make(map[*simHost]map[string]VMState)
	var out []VMState
	for _, id := range ids {
		v := f.vms[strings.ToLower(id)]
		if v == nil {
			continue
		}
		states := hosts[v.host]
		if states == nil {
			_, vms := f.snapshotLocked(v.host, now)
			states = make(map[string]VMState, len(vms))
			for _, s := range vms {
				states[s.ID] = s
			}
			hosts[v.host] = states
		}
		s, ok := states[v.spec.ID]
		if !ok {
			panic("sim: VM missing from its host") // placeLocked keeps both sides in step
		}
		out = append(out, s)
	}
	return out
}

// HostName returns the configured name of the host named name
// (case-insensitive), without computing its state.
func (f *Fleet) HostName(name string) (string, bool) {
	spec, ok := f.hostSpec(name)
	return spec.Name, ok
}

// HostCluster returns the cluster of the host named name
// (case-insensitive), "" for a standalone host, without computing its
// state.
func (f *Fleet) HostCluster(name string) (string, bool) {
	spec, ok := f.hostSpec(name)
	return spec.Cluster, ok
}

// hostSpec returns the configuration of the host named name
// (case-insensitive).
func (f *Fleet) hostSpec(name string) (fleetfile.HostSpec, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	h := f.hosts[strings.ToLower(name)]
	if h == nil {
		return fleetfile.HostSpec{}, false
	}
	return h.spec, true
}

func (f *Fleet) vmStateLocked(v *simVM, now time.Time) VMState {
	_, vms := f.snapshotLocked(v.host, now)
	for _, s := range vms {
		if s.ID == v.spec.ID {
			return s
		}
	}
	panic("sim: VM missing from its host") // placeLocked keeps both sides in step
}

// snapshotLocked computes h and its VMs at now. Host CPU demand, in
// LP-units, is the running VMs' demand × vCPUs, plus the hypervisor overhead
// and the CPU cost of running migrations; when it exceeds the logical
// processors, the VMs' processors share what is left (contention.go).
func (f *Fleet) snapshotLocked(h *simHost, now time.Time) (HostState, []VMState) {
	vms := h.sortedVMs()
	lps := float64(h.spec.LogicalProcessors)
	overhead := h.spec.OverheadPercent / 100 * lps
	migCPU, inbound := f.migrationLoadLocked(h)
	wants := make([][]float64, len(vms))
	cpus := 0
	for _, v := range vms {
		cpus += v.spec.CPUs
	}
	// Each VM's per-processor figures are slices of one array apiece,
	// capped so that appending to one copies it.
	buf := make([]float64, 4*cpus)
	all := make([]float64, 0, cpus)
	var total float64
	for i, v := range vms {
		if v.state == VMRunning && !h.faults.Crashed {
			d := cpuDemand(v.key, v.spec.Load, now) * float64(v.spec.CPUs)
			wants[i] = vcpuWants(v.key, d, v.spec.CPUs, now)
			all = append(all, wants[i]...)
			total += d
		} else {
			wants[i] = buf[:v.spec.CPUs:v.spec.CPUs]
			buf = buf[v.spec.CPUs:]
		}
	}
	share := fairShare(all, math.Max(0, lps-overhead-migCPU))
	mem, assigned := h.memory(vms, now)
	states := make([]VMState, len(vms))
	ids := make([]string, len(vms))
	for i, v := range vms {
		var received, wanted float64
		n := len(wants[i])
		if len(buf) < 3*n {
			buf = make([]float64, 3*n)
		}
		run, wpd, disp := buf[:n:n], buf[n:2*n:2*n], buf[2*n:3*n:3*n]
		buf = buf[3*n:]
		for k, d := range wants[i] {
			l := contend(d, share)
			run[k], wpd[k], disp[k] = l.run*100, l.waitPerDispatch, l.dispatches
			received += l.run
			wanted += d
		}
		s := VMState{
			ID: v.spec.ID, Name: v.spec.Name, Host: h.spec.Name, State: v.state, Status: StatusNormal,
			CPUs: v.spec.CPUs, CPUUsage: int(math.Round(received / lps * 100)),
			GuestRunTime: run, CPUDemand: wanted, WaitPerDispatch: wpd, Dispatches: disp,
			MemoryAssigned: mem[i].assigned, MemoryDemand: mem[i].demand, MemoryStartup: v.startup,
			Dynamic: v.spec.Dynamic, Clustered: v.spec.Clustered, Notes: v.spec.Notes,
			ConfigVersion: v.configVersion, ProcessorCompatibility: v.compat, Switches: slices.Clone(v.switches),
			Path: v.path, Disks: disksState(v.disks),
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
	return f.hostStateLocked(h, total, migCPU, inbound, assigned, ids), states
}

// hostOnlyLocked computes h at now as snapshotLocked does, without its
// VMs' states: what a read of the host alone needs (its VMs' CPU demand
// and memory, in the same order, so the figures are the same), a
// fraction of the cost.
func (f *Fleet) hostOnlyLocked(h *simHost, now time.Time) HostState {
	vms := h.sortedVMs()
	migCPU, inbound := f.migrationLoadLocked(h)
	var total float64
	ids := make([]string, len(vms))
	for i, v := range vms {
		if v.state == VMRunning && !h.faults.Crashed {
			total += cpuDemand(v.key, v.spec.Load, now) * float64(v.spec.CPUs)
		}
		ids[i] = v.spec.ID
	}
	_, assigned := h.memory(vms, now)
	return f.hostStateLocked(h, total, migCPU, inbound, assigned, ids)
}

// hostStateLocked is h's state from its VMs' CPU demand (total, in
// LP-units), its migrations' CPU and inbound memory, its VMs' assigned
// memory and their IDs.
func (f *Fleet) hostStateLocked(h *simHost, total, migCPU float64, inbound, assigned int64, ids []string) HostState {
	lps := float64(h.spec.LogicalProcessors)
	overhead := h.spec.OverheadPercent / 100 * lps
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
		ProcessorVendor: h.layout.Processor.Vendor, ProcessorModel: h.layout.Processor.Model,
		ConfigVersions: slices.Clone(h.layout.ConfigVersions), Switches: slices.Clone(h.layout.Switches),
		Language: h.layout.Language, VMPath: h.layout.VMPath, VHDPath: h.layout.VHDPath,
		Volumes: make([]Volume, len(h.volumes)),
	}
	for i, vol := range h.volumes {
		hs.Volumes[i] = vol.state()
	}
	return hs
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

// disksState returns disks as Get-VHD reports them.
func disksState(disks []simDisk) []Disk {
	out := make([]Disk, len(disks))
	for i, d := range disks {
		kind := StorageKind(fleetfile.StorageKindOf(d.path))
		if d.vol != nil {
			kind = d.vol.kind
		}
		out[i] = Disk{Path: d.path, Kind: kind, FileSize: d.fileSize, Size: d.size}
		if d.parent >= 0 {
			out[i].ParentPath = disks[d.parent].path
		}
	}
	return out
}
