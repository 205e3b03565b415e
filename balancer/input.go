package balancer

import (
	"sort"
	"time"

	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/policy"
)

// PolicyInput builds the document the policy sees for one round (the
// daemon's tick) from a snapshot and the recent history: hosts keyed by name
// (loads in percent, capacity, health, maintenance, the sorted IDs of their
// VMs, processor, configuration versions, switches, default paths and
// volumes), VMs keyed by ID (CPU in percent of the VM's own virtual
// processors, assigned memory, Notes tags, last migration from h, what it
// needs of a host, where its files are and the bytes a move of it copies),
// each CPU load with the collector's demand beside it where it recorded
// one (a saturated host and its VMs), and Now, the
// snapshot's time in loc (UTC when loc is nil) as RFC 3339. Maps and slices
// are never nil, so a policy sees {} and [] rather than null.
func PolicyInput(s *collector.Snapshot, h policy.History, loc *time.Location) *policy.Input {
	if loc == nil {
		loc = time.UTC
	}
	in := &policy.Input{
		Now: s.Taken.In(loc).Format(time.RFC3339),
		Fleet: policy.Fleet{
			Hosts: make(map[string]policy.Host, len(s.Hosts)),
			VMs:   make(map[string]policy.VM, len(s.VMs)),
		},
		History: policy.History{
			Moves:     nonNilEvents(h.Moves),
			Failures:  nonNilEvents(h.Failures),
			MovesByVM: nonNilCounts(h.MovesByVM),
		},
	}
	onHost := make(map[string][]string, len(s.Hosts))
	for i := range s.VMs {
		v := &s.VMs[i]
		onHost[v.Host] = append(onHost[v.Host], v.ID)
	}
	for i := range s.Hosts {
		hs := &s.Hosts[i]
		ids := onHost[hs.Name]
		if ids == nil {
			ids = []string{}
		}
		sort.Strings(ids)
		in.Fleet.Hosts[hs.Name] = policy.Host{
			Name:        hs.Name,
			Cluster:     hs.Cluster,
			Group:       hs.Group,
			Labels:      nonNilMap(hs.Labels),
			Health:      string(hs.Health),
			Maintenance: hs.Maintenance,
			Capacity:    policy.Capacity{CPUs: hs.LogicalProcessors, MemoryBytes: hs.MemoryBytes},
			CPU:         policy.CPULoad{Mean: hs.CPU.Mean, P95: hs.CPU.P95, Demand: policy.LoadStat{Mean: hs.CPU.Demand.Mean, P95: hs.CPU.Demand.P95}},
			Memory:      policy.LoadStat{Mean: hs.Memory.Mean, P95: hs.Memory.P95},
			VMs:         ids,

			ProcessorVendor: hs.ProcessorVendor,
			ProcessorModel:  hs.ProcessorModel,
			ConfigVersions:  nonNilStrings(hs.ConfigVersions),
			Switches:        nonNilStrings(hs.Switches),
			VMPath:          hs.VMPath,
			VHDPath:         hs.VHDPath,
			Volumes:         policyVolumes(hs.Volumes),
		}
	}
	last := lastMigrations(h.Moves)
	for i := range s.VMs {
		v := &s.VMs[i]
		var cpu policy.CPULoad
		if v.CPUs > 0 {
			perVP := 100 / float64(v.CPUs)
			cpu = policy.CPULoad{Mean: v.CPU.Mean * perVP, P95: v.CPU.P95 * perVP,
				Demand: policy.LoadStat{Mean: v.CPU.Demand.Mean * perVP, P95: v.CPU.Demand.P95 * perVP}}
		}
		lm := ""
		if t, ok := last[v.ID]; ok {
			lm = t.In(loc).Format(time.RFC3339)
		}
		storage, storageBytes := storageSummary(v)
		in.Fleet.VMs[v.ID] = policy.VM{
			Name:          v.Name,
			Host:          v.Host,
			State:         v.State,
			CPUs:          v.CPUs,
			MemoryBytes:   v.MemoryAssigned,
			CPU:           cpu,
			Clustered:     v.Clustered,
			Notes:         v.Notes,
			Tags:          nonNilMap(v.Tags),
			LastMigration: lm,

			ConfigVersion:          v.ConfigVersion,
			ProcessorCompatibility: v.ProcessorCompatibility,
			Switches:               nonNilStrings(v.Switches),
			Path:                   v.Path,
			Storage:                storage,
			StorageBytes:           storageBytes,
		}
	}
	return in
}

// lastMigrations returns the latest time each VM moved, from history
// events whose time parses as RFC 3339.
func lastMigrations(moves []policy.Event) map[string]time.Time {
	last := make(map[string]time.Time)
	for _, e := range moves {
		t, err := time.Parse(time.RFC3339, e.At)
		if err != nil {
			continue
		}
		if prev, ok := last[e.VM]; !ok || t.After(prev) {
			last[e.VM] = t
		}
	}
	return last
}

func nonNilEvents(e []policy.Event) []policy.Event {
	if e == nil {
		return []policy.Event{}
	}
	return e
}

func nonNilCounts(c map[string]int) map[string]int {
	if c == nil {
		return map[string]int{}
	}
	return c
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func policyVolumes(vols []collector.Volume) []policy.Volume {
	out := make([]policy.Volume, len(vols))
	for i, v := range vols {
		out[i] = policy.Volume{Path: v.Path, Kind: string(kindOf(v.Kind, v.Path)), SizeBytes: v.Size, FreeBytes: v.Free}
	}
	return out
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
