package collectortest

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/hyperv"
)

// HostSpec describes one host for Snapshot. Zero fields take the defaults
// in their comments.
type HostSpec struct {
	Name              string
	Cluster, Group    string
	Labels            map[string]string
	Health            collector.Health // "" = ok
	Maintenance       bool
	LPs               int     // logical processors; 0 = 32
	MemoryGiB         float64 // capacity; 0 = 256
	MaxMigrations     int     // 0 = 2
	MigrationDisabled bool
	// CPU is the host's CPU use in percent; 0 = its running VMs' CPU over
	// its logical processors.
	CPU float64
	// Memory is the host's memory use in percent; 0 = its VMs' assigned
	// memory over its capacity.
	Memory float64
	VMs    []VMSpec
	// What the host offers a VM and where it keeps VM files, copied as
	// they are (see collector.Host); left empty, the snapshot does not know.
	ProcessorVendor, ProcessorModel string
	ConfigVersions, Switches        []string
	VMPath, VHDPath                 string
	Volumes                         []collector.Volume
}

// VMSpec describes one VM for Snapshot.
type VMSpec struct {
	ID        string  // 0 = "00000000-0000-4000-8000-" and a 12-digit sequence number
	Name      string  // "" = "vm-" and the sequence number
	State     string  // "" = Running
	CPUs      int     // virtual processors; 0 = 2
	CPU       float64 // logical processors in use
	MemoryGiB float64 // assigned and startup memory; 0 = 4
	Notes     string
	Tags      map[string]string // nil = parsed from Notes
	Clustered bool
	// What the VM needs of a host and where its files are, copied as they
	// are (see collector.VM); left empty, the snapshot does not know.
	ConfigVersion          string
	ProcessorCompatibility bool
	Switches               []string
	Path                   string
	Disks                  []collector.Disk
}

// Taken is when every snapshot made by Snapshot was taken: 2026-01-05 08:00 UTC.
func Taken() time.Time { return time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC) }

// samples is how many samples every window of a made-up snapshot holds.
const samples = 10

// Flat is a Stat whose every figure is v: a load that did not move.
func Flat(v float64) collector.Stat { return collector.Stat{Last: v, Mean: v, P95: v, Max: v} }

// Snapshot builds a valid, sorted snapshot of hosts taken at Taken() with a
// five-minute window, every load flat. Hosts that are not ok carry a reason
// and keep their VMs. It panics when the result would not pass
// collector.ReadSnapshot (a duplicate host or VM ID, an unknown health),
// which is a mistake in the test.
func Snapshot(hosts ...HostSpec) *collector.Snapshot {
	taken := Taken()
	s := &collector.Snapshot{
		Version:       collector.SnapshotVersion,
		Taken:         taken,
		WindowSeconds: (5 * time.Minute).Seconds(),
		Hosts:         []collector.Host{},
		VMs:           []collector.VM{},
	}
	seq := 0
	for _, hs := range hosts {
		h := collector.Host{
			Name:              hs.Name,
			Cluster:           hs.Cluster,
			Group:             hs.Group,
			Labels:            cloneOrNil(hs.Labels),
			Health:            hs.Health,
			LastSeen:          taken,
			Maintenance:       hs.Maintenance,
			LogicalProcessors: orInt(hs.LPs, 32),
			MemoryBytes:       gib(orFloat(hs.MemoryGiB, 256)),
			MigrationEnabled:  !hs.MigrationDisabled,
			MaxMigrations:     orInt(hs.MaxMigrations, 2),
			Samples:           samples,
			ProcessorVendor:   hs.ProcessorVendor,
			ProcessorModel:    hs.ProcessorModel,
			ConfigVersions:    slices.Clone(hs.ConfigVersions),
			Switches:          slices.Clone(hs.Switches),
			VMPath:            hs.VMPath,
			VHDPath:           hs.VHDPath,
			Volumes:           slices.Clone(hs.Volumes),
		}
		if h.Health == "" {
			h.Health = collector.HealthOK
		}
		if h.Health != collector.HealthOK {
			h.Reason = "made unhealthy by the test"
			h.LastSeen = taken.Add(-10 * time.Minute)
		}
		var cores float64
		var assigned int64
		for _, vs := range hs.VMs {
			seq++
			v := vm(vs, seq, hs.Name)
			if v.Running() {
				cores += vs.CPU
			}
			assigned += v.MemoryAssigned
			s.VMs = append(s.VMs, v)
		}
		cpu, mem := hs.CPU, hs.Memory
		if cpu == 0 {
			cpu = min(cores/float64(h.LogicalProcessors)*100, 100)
		}
		if mem == 0 {
			mem = min(float64(assigned)/float64(h.MemoryBytes)*100, 100)
		}
		h.CPU, h.Memory = Flat(cpu), Flat(mem)
		s.Hosts = append(s.Hosts, h)
	}
	s.Sort()
	var buf bytes.Buffer
	if err := s.Write(&buf); err != nil {
		panic(fmt.Sprintf("collectortest: %v", err))
	}
	if _, err := collector.ReadSnapshot(&buf); err != nil {
		panic(fmt.Sprintf("collectortest: %v", err))
	}
	return s
}

// vm builds the seq-th VM, on host.
func vm(vs VMSpec, seq int, host string) collector.VM {
	v := collector.VM{
		ID:            vs.ID,
		Name:          vs.Name,
		Host:          host,
		State:         vs.State,
		CPUs:          orInt(vs.CPUs, 2),
		Clustered:     vs.Clustered,
		Notes:         vs.Notes,
		Tags:          cloneOrNil(vs.Tags),
		MemoryStartup: gib(orFloat(vs.MemoryGiB, 4)),
		UptimeSeconds: (72 * time.Hour).Seconds(),
		Samples:       samples,

		ConfigVersion:          vs.ConfigVersion,
		ProcessorCompatibility: vs.ProcessorCompatibility,
		Switches:               slices.Clone(vs.Switches),
		Path:                   vs.Path,
		Disks:                  slices.Clone(vs.Disks),
	}
	if v.ID == "" {
		v.ID = fmt.Sprintf("00000000-0000-4000-8000-%012d", seq)
	}
	if v.Name == "" {
		v.Name = fmt.Sprintf("vm-%d", seq)
	}
	if v.State == "" {
		v.State = hyperv.VMStateRunning.String()
	}
	if vs.Tags == nil {
		v.Tags = cloneOrNil(hyperv.ParseTags(vs.Notes))
	}
	if v.State != "Off" && v.State != "Saved" { // holds its memory
		v.MemoryAssigned, v.MemoryDemand = v.MemoryStartup, v.MemoryStartup/2
	}
	if v.Running() {
		v.CPU = Flat(vs.CPU)
	}
	return v
}

func cloneOrNil(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return maps.Clone(m)
}

func gib(x float64) int64 { return int64(x * (1 << 30)) }

func orInt(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

func orFloat(v, def float64) float64 {
	if v == 0 {
		return def
	}
	return v
}
