package collector

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// SnapshotVersion is the version of the snapshot file format.
const SnapshotVersion = 1

// Health says whether a host can take part in a round.
type Health string

// Host health values. Only HealthOK hosts are migration sources or targets.
// A host that is not ok keeps its last known load and VMs in a snapshot
// (Reason says why, LastSeen when it last answered): the planner sees them
// and counts what they hold, but must not move its VMs nor send it any.
const (
	HealthOK          Health = "ok"          // its latest poll succeeded
	HealthStale       Health = "stale"       // answered before, but its last good sample is older than the stale limit
	HealthUnreachable Health = "unreachable" // never answered, or its latest poll failed
)

// Stat summarizes one metric over the collector's window.
type Stat struct {
	Last float64 `json:"last"`
	Mean float64 `json:"mean"`
	P95  float64 `json:"p95"`
	Max  float64 `json:"max"`
	// Demand, of a CPU window only, summarizes what was wanted where it
	// was more than what was received (a saturated host and its VMs; see
	// demand.go); left out where nothing wanted more. CPUDemand uses it.
	Demand Demand `json:"demand,omitzero"`
}

// Snapshot is one immutable view of the fleet: every host and VM with its
// load smoothed over the window. Nothing may change it after it is made;
// hosts are sorted by name and VMs by ID so that it serializes the same way
// every time.
type Snapshot struct {
	Version       int       `json:"version"`
	Taken         time.Time `json:"taken"`
	WindowSeconds float64   `json:"window_seconds"`
	Hosts         []Host    `json:"hosts"`
	VMs           []VM      `json:"vms"`
}

// Host is one Hyper-V host in a Snapshot.
type Host struct {
	Name        string            `json:"name"`
	Cluster     string            `json:"cluster,omitempty"`
	Group       string            `json:"group,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Health      Health            `json:"health"`
	Reason      string            `json:"reason,omitempty"` // why it is not ok
	Cause       Cause             `json:"cause,omitempty"`  // the last failure's cause, when it is not ok
	LastSeen    time.Time         `json:"last_seen,omitzero"`
	Maintenance bool              `json:"maintenance,omitempty"`
	// Attention lists what in the host's answers needs an administrator
	// although the host is ok: VMs it reports with IDs that are not GUIDs
	// (left out of the snapshot), VMs another host reports too.
	Attention []string `json:"attention,omitempty"`

	LogicalProcessors int   `json:"logical_processors"`
	MemoryBytes       int64 `json:"memory_bytes"`
	MigrationEnabled  bool  `json:"migration_enabled"`
	MaxMigrations     int   `json:"max_migrations"`

	// What a VM needs of a host to run there (see hyperv.HostInfo).
	ProcessorVendor string   `json:"processor_vendor,omitempty"`
	ProcessorModel  string   `json:"processor_model,omitempty"`
	ConfigVersions  []string `json:"config_versions,omitempty"`
	Switches        []string `json:"switches,omitempty"`
	// Where it puts VM files by default, and the volumes it keeps them on.
	VMPath  string   `json:"vm_path,omitempty"`
	VHDPath string   `json:"vhd_path,omitempty"`
	Volumes []Volume `json:"volumes,omitempty"`

	// CPU is the hypervisor's total run time over all logical processors,
	// percent 0..100; its Demand, when set, what the host's VMs wanted
	// on top, percent of its logical processors (above 100 when they
	// wanted more than it has).
	CPU Stat `json:"cpu"`
	// CPUWaitUnknown says the host's last good poll lacked the CPU wait
	// per dispatch of some running VM: their demand is taken as the CPU
	// they received.
	CPUWaitUnknown bool `json:"cpu_wait_unknown,omitempty"`
	// Memory is the memory in use (capacity minus available), percent of
	// capacity 0..100.
	Memory Stat `json:"memory"`
	// Samples is how many samples the window holds.
	Samples int `json:"samples"`
	// LoadModel says how CPU and Memory were made: measured (left out)
	// from the window's samples as taken, or projected when VMs arrived or
	// left within the window, the samples taken before shifted by those
	// VMs' demand; ProjectedUntil is when the last of those leaves the
	// window (at the next poll after it, the load is measured again).
	LoadModel      LoadModel `json:"load_model,omitempty"`
	ProjectedUntil time.Time `json:"projected_until,omitzero"`
}

// VM is one virtual machine in a Snapshot.
type VM struct {
	ID        string            `json:"id"`
	Name      string            `json:"name"`
	Host      string            `json:"host"`
	State     string            `json:"state"` // Running, Off, Saved, Paused, ...
	CPUs      int               `json:"cpus"`
	Clustered bool              `json:"clustered,omitempty"`
	Notes     string            `json:"notes,omitempty"`
	Tags      map[string]string `json:"tags,omitempty"`
	// ReportedBy, when set, are the hosts (two or more, by name) that all
	// reported this VM in one poll. Host is the first of them; the planner
	// does not move the VM until one host reports it.
	ReportedBy []string `json:"reported_by,omitempty"`

	MemoryAssigned int64 `json:"memory_assigned"` // bytes; what a migration copies and the destination must hold
	MemoryStartup  int64 `json:"memory_startup"`
	MemoryDemand   int64 `json:"memory_demand"`
	DynamicMemory  bool  `json:"dynamic_memory,omitempty"`

	// What it needs of a host (see hyperv.VM).
	ConfigVersion          string   `json:"config_version,omitempty"`
	ProcessorCompatibility bool     `json:"processor_compatibility,omitempty"`
	Switches               []string `json:"switches,omitempty"`
	// Where its files are: its configuration's location and its disks.
	Path  string `json:"path,omitempty"`
	Disks []Disk `json:"disks,omitempty"`

	// CPU is the VM's processor use in logical processors (1.5 = one and a
	// half host cores), so it adds up across hosts of any size; its
	// Demand, when set, what it wanted, in logical processors.
	CPU Stat `json:"cpu"`
	// UptimeSeconds is the VM's uptime at the last sample.
	UptimeSeconds float64 `json:"uptime_seconds"`
	Samples       int     `json:"samples"`
}

// Volume is a place where a host keeps VM files (see hyperv.Volume).
type Volume struct {
	Path string `json:"path"`
	Kind string `json:"kind"` // local, smb or csv (hyperv.StorageKind)
	Size int64  `json:"size"` // bytes
	Free int64  `json:"free"` // bytes
}

// Disk is one virtual hard disk of a VM (see hyperv.Disk).
type Disk struct {
	Path     string `json:"path"`
	Kind     string `json:"kind"`      // local, smb or csv (hyperv.StorageKind)
	FileSize int64  `json:"file_size"` // bytes on disk: what a storage migration copies
	Size     int64  `json:"size"`      // maximum size, bytes
}

// Running reports whether the VM is running (only running VMs are live-migrated).
func (v *VM) Running() bool { return v.State == "Running" }

// Host returns the named host.
func (s *Snapshot) Host(name string) (*Host, bool) {
	i := sort.Search(len(s.Hosts), func(i int) bool { return s.Hosts[i].Name >= name })
	if i < len(s.Hosts) && s.Hosts[i].Name == name {
		return &s.Hosts[i], true
	}
	return nil, false
}

// VM returns the VM with the given ID.
func (s *Snapshot) VM(id string) (*VM, bool) {
	i := sort.Search(len(s.VMs), func(i int) bool { return s.VMs[i].ID >= id })
	if i < len(s.VMs) && s.VMs[i].ID == id {
		return &s.VMs[i], true
	}
	return nil, false
}

// Sort puts hosts in name order and VMs in ID order, as a Snapshot must be.
func (s *Snapshot) Sort() {
	sort.Slice(s.Hosts, func(i, j int) bool { return s.Hosts[i].Name < s.Hosts[j].Name })
	sort.Slice(s.VMs, func(i, j int) bool { return s.VMs[i].ID < s.VMs[j].ID })
}

// Digest is "sha256:" and the hex SHA-256 of the snapshot's JSON form. It
// panics when the snapshot holds what JSON cannot carry (a NaN load, a time
// zone offset of a day or more); the collector and ReadSnapshot never make
// such a snapshot.
//
// The JSON is the one Write writes, indented into the hash as it is made
// (see indentWriter) rather than in memory first, its VMs encoded one at a
// time (see digest).
func (s *Snapshot) Digest() string {
	d, err := digest(s)
	if err != nil {
		panic(fmt.Sprintf("collector: snapshot digest: %v", err))
	}
	return d
}

// Write writes the snapshot as indented JSON.
func (s *Snapshot) Write(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

// Save writes the snapshot to path atomically (a temporary file renamed).
func (s *Snapshot) Save(path string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".snapshot-*")
	if err != nil {
		return fmt.Errorf("save snapshot: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := s.Write(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("save snapshot: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("save snapshot: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save snapshot: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("save snapshot: %w", err)
	}
	return nil
}

// ReadSnapshot decodes and checks a snapshot: one JSON object with known
// fields only, the right version, every host named with a known health,
// hosts and VMs unique, every VM on a known host. It sorts hosts by name
// and VMs by ID.
func ReadSnapshot(r io.Reader) (*Snapshot, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var s Snapshot
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("read snapshot: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("read snapshot: data after the snapshot")
	}
	if s.Version != SnapshotVersion {
		return nil, fmt.Errorf("read snapshot: version %d, want %d", s.Version, SnapshotVersion)
	}
	for i, h := range s.Hosts {
		if h.Name == "" {
			return nil, fmt.Errorf("read snapshot: hosts[%d]: no name", i)
		}
		switch h.Health {
		case HealthOK, HealthStale, HealthUnreachable:
		default:
			return nil, fmt.Errorf("read snapshot: host %q: unknown health %q", h.Name, h.Health)
		}
		if !h.Cause.known() {
			return nil, fmt.Errorf("read snapshot: host %q: unknown cause %q", h.Name, h.Cause)
		}
		if !h.LoadModel.known() {
			return nil, fmt.Errorf("read snapshot: host %q: unknown load model %q", h.Name, h.LoadModel)
		}
	}
	for i, v := range s.VMs {
		if v.ID == "" {
			return nil, fmt.Errorf("read snapshot: vms[%d]: no id", i)
		}
	}
	s.Sort()
	for i := 1; i < len(s.Hosts); i++ {
		if s.Hosts[i].Name == s.Hosts[i-1].Name {
			return nil, fmt.Errorf("read snapshot: host %q twice", s.Hosts[i].Name)
		}
	}
	for i, v := range s.VMs {
		if i > 0 && v.ID == s.VMs[i-1].ID {
			return nil, fmt.Errorf("read snapshot: vm %s twice", v.ID)
		}
		if _, ok := s.Host(v.Host); !ok {
			return nil, fmt.Errorf("read snapshot: vm %s is on unknown host %q", v.ID, v.Host)
		}
	}
	// What is accepted must write back (Digest, Save): a time such as
	// "+24:00" decodes but does not encode.
	if err := s.Write(io.Discard); err != nil {
		return nil, fmt.Errorf("read snapshot: cannot be written back: %w", err)
	}
	return &s, nil
}

// LoadSnapshot reads a snapshot file written by Save.
func LoadSnapshot(path string) (*Snapshot, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load snapshot: %w", err)
	}
	defer f.Close()
	s, err := ReadSnapshot(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}
