package fleetfile

import (
	"crypto/sha256"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Defaults of a fleet file.
const (
	DefaultDomain          = "lab.example"
	DefaultUsername        = "hvadmin"
	DefaultPassword        = "hvsim-demo-password" // the simulator is a test double
	DefaultReserveGiB      = 4
	DefaultMaxMigrations   = 2
	DefaultBandwidthGbps   = 10
	DefaultOverheadPercent = 3
	DefaultDirtyRateMBps   = 50
	DefaultMemoryDemand    = 0.6
)

// DefaultStart is the simulated time a fleet starts at when its file names none.
var DefaultStart = time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)

// FleetSpec is a fleet file: the hosts, their VMs and how the VMs load them.
type FleetSpec struct {
	Name        string      `yaml:"name,omitempty"`
	Seed        int64       `yaml:"seed"`
	Start       time.Time   `yaml:"start,omitempty"` // simulated clock start; zero means DefaultStart
	Speed       float64     `yaml:"speed,omitempty"` // default clock speed for hvsim (default 1)
	Domain      string      `yaml:"domain,omitempty"`
	Credentials Credentials `yaml:"credentials,omitempty"`
	WinRM       WinRMSpec   `yaml:"winrm,omitempty"` // every host's WinRM service, unless the host says otherwise
	Hosts       []HostSpec  `yaml:"hosts"`
	VMs         []VMSpec    `yaml:"vms"`
	// Shares are the SMB 3 shares hosts keep VM files on. With none
	// declared and a VM left without storage, Layout adds one share every
	// host reaches (\\fs01.<domain>\vms) and puts such VMs there.
	Shares []ShareSpec `yaml:"shares,omitempty"`
	// CSVs are cluster shared volumes; a cluster without one gets
	// C:\ClusterStorage\Volume1 when a VM is stored on it.
	CSVs []CSVSpec `yaml:"csvs,omitempty"`
}

// Credentials are the domain account every host accepts (through NTLM,
// Kerberos or Basic, as each host's WinRM service allows) and the domain's
// lockout policy.
type Credentials struct {
	Username string  `yaml:"username,omitempty"`
	Password string  `yaml:"password,omitempty"`
	Lockout  Lockout `yaml:"lockout,omitempty"`
}

// HostSpec describes one Hyper-V host.
type HostSpec struct {
	Name              string            `yaml:"name"`
	Cluster           string            `yaml:"cluster,omitempty"`
	Group             string            `yaml:"group,omitempty"`
	Labels            map[string]string `yaml:"labels,omitempty"`
	LogicalProcessors int               `yaml:"logical_processors"`
	MemoryGiB         float64           `yaml:"memory_gib"`
	ReserveGiB        float64           `yaml:"reserve_gib,omitempty"`    // memory kept for the host itself (default 4)
	MaxMigrations     int               `yaml:"max_migrations,omitempty"` // simultaneous live migrations (default 2)
	MigrationEnabled  *bool             `yaml:"migration_enabled,omitempty"`
	Authentication    string            `yaml:"authentication,omitempty"` // Kerberos (default) or CredSSP
	Performance       string            `yaml:"performance,omitempty"`    // TCPIP, Compression (default) or SMB
	BandwidthGbps     float64           `yaml:"bandwidth_gbps,omitempty"`
	OverheadPercent   float64           `yaml:"overhead_percent,omitempty"` // hypervisor CPU overhead (default 3)
	Faults            Faults            `yaml:"faults,omitempty"`
	WinRM             *WinRMSpec        `yaml:"winrm,omitempty"`           // overrides the fleet's winrm settings
	Processor         ProcessorSpec     `yaml:"processor,omitempty"`       // default GenuineIntel, Intel64 Family 6 Model 106 Stepping 6
	ConfigVersions    []string          `yaml:"config_versions,omitempty"` // VM configuration versions it runs (default Windows Server 2022's)
	Switches          []string          `yaml:"switches,omitempty"`        // virtual switch names (default [LAN])
	Language          string            `yaml:"language,omitempty"`        // display language: en-US (default) or de-DE
	Volumes           []VolumeSpec      `yaml:"volumes,omitempty"`         // local volumes (default C:\ 127 GiB, D:\ 4096 GiB)
	VMPath            string            `yaml:"vm_path,omitempty"`         // default VM configuration folder (D:\Hyper-V)
	VHDPath           string            `yaml:"vhd_path,omitempty"`        // default virtual disk folder (D:\Hyper-V\Virtual Hard Disks)
}

// VMSpec describes one virtual machine and its load.
type VMSpec struct {
	ID            string   `yaml:"id,omitempty"` // GUID; derived from seed, index and name when empty
	Name          string   `yaml:"name"`
	Host          string   `yaml:"host"`
	State         string   `yaml:"state,omitempty"` // Running (default), Off, Saved or Paused
	CPUs          int      `yaml:"cpus"`
	MemoryGiB     float64  `yaml:"memory_gib"` // startup memory
	Dynamic       bool     `yaml:"dynamic,omitempty"`
	MemoryMinGiB  float64  `yaml:"memory_min_gib,omitempty"` // dynamic only
	MemoryMaxGiB  float64  `yaml:"memory_max_gib,omitempty"` // dynamic only
	Notes         string   `yaml:"notes,omitempty"`
	Clustered     bool     `yaml:"clustered,omitempty"`
	Load          Load     `yaml:"load,omitempty"`
	DirtyRateMBps float64  `yaml:"dirty_rate_mbps,omitempty"` // MiB of memory dirtied per second (default 50)
	Uptime        Duration `yaml:"uptime,omitempty"`          // uptime at the start; derived when zero
	// Storage is where the VM's configuration and disks live: "local" (the
	// host's vm_path and vhd_path), the path of a share, "csv" (its
	// cluster's first CSV) or the path of a CSV of its cluster. Default:
	// csv for a clustered VM, else the first share its host reaches.
	Storage                string    `yaml:"storage,omitempty"`
	DisksGiB               []float64 `yaml:"disks_gib,omitempty"`               // virtual disk files' sizes on disk (default [40])
	Checkpoints            int       `yaml:"checkpoints,omitempty"`             // checkpoints: a differencing .avhdx per disk each (see DiskLayout)
	ConfigVersion          string    `yaml:"config_version,omitempty"`          // configuration version (default 9.0)
	ProcessorCompatibility bool      `yaml:"processor_compatibility,omitempty"` // CompatibilityForMigrationEnabled
	Switches               []string  `yaml:"switches,omitempty"`                // switch of each network adapter (default the host's first)
}

// Load is how busy a VM is over time. CPU is what the VM wants: a host's
// VMs may together want more than its logical processors, and the
// simulator then shares them among the VMs' processors, which read less
// than they want and wait for the rest (model/contention.go).
type Load struct {
	Profile   string   `yaml:"profile,omitempty"`   // steady (default), diurnal, bursty or randomwalk
	CPU       float64  `yaml:"cpu,omitempty"`       // mean demand, fraction 0..1 of its vCPUs
	Amplitude float64  `yaml:"amplitude,omitempty"` // swing around the mean, fraction 0..1
	Period    Duration `yaml:"period,omitempty"`    // diurnal period (default 24h)
	Memory    float64  `yaml:"memory,omitempty"`    // memory demand, fraction of startup (or maximum when dynamic); default 0.6
}

// SetDefaults fills in every field left empty with its default. VM IDs left
// empty are derived from the seed, the VM's index and its name.
func (s *FleetSpec) SetDefaults() {
	if s.Name == "" {
		s.Name = "fleet"
	}
	if s.Start.IsZero() {
		s.Start = DefaultStart
	}
	if s.Speed == 0 {
		s.Speed = 1
	}
	if s.Domain == "" {
		s.Domain = DefaultDomain
	}
	if s.Credentials.Username == "" {
		s.Credentials.Username = DefaultUsername
	}
	if s.Credentials.Password == "" {
		s.Credentials.Password = DefaultPassword
	}
	s.Credentials.Lockout.setDefaults()
	for i := range s.Hosts {
		h := &s.Hosts[i]
		if h.ReserveGiB == 0 {
			h.ReserveGiB = DefaultReserveGiB
		}
		if h.MaxMigrations == 0 {
			h.MaxMigrations = DefaultMaxMigrations
		}
		if h.MigrationEnabled == nil {
			t := true
			h.MigrationEnabled = &t
		}
		h.Authentication = canonical(h.Authentication, "Kerberos", "Kerberos", "CredSSP")
		h.Performance = canonical(h.Performance, "Compression", "TCPIP", "Compression", "SMB")
		if h.BandwidthGbps == 0 {
			h.BandwidthGbps = DefaultBandwidthGbps
		}
		if h.OverheadPercent == 0 {
			h.OverheadPercent = DefaultOverheadPercent
		}
		h.Faults.Normalize()
	}
	for i := range s.VMs {
		v := &s.VMs[i]
		if v.ID == "" {
			v.ID = deriveID(s.Seed, i, v.Name)
		}
		v.ID = strings.ToLower(v.ID)
		v.State = canonical(v.State, "Running", "Running", "Off", "Saved", "Paused")
		if v.DirtyRateMBps == 0 {
			v.DirtyRateMBps = DefaultDirtyRateMBps
		}
		v.Load.Profile = canonical(v.Load.Profile, ProfileSteady, ProfileSteady, ProfileDiurnal, ProfileBursty, ProfileRandomWalk)
		if v.Load.Period == 0 && v.Load.Profile == ProfileDiurnal {
			v.Load.Period = Duration(24 * time.Hour)
		}
		if v.Load.Memory == 0 {
			v.Load.Memory = DefaultMemoryDemand
		}
	}
}

// canonical returns def for an empty s, the spelling from choices that
// matches s case-insensitively, or s itself (for Validate to reject).
func canonical(s, def string, choices ...string) string {
	if s == "" {
		return def
	}
	for _, c := range choices {
		if strings.EqualFold(s, c) {
			return c
		}
	}
	return s
}

// deriveID returns a stable version-4-shaped GUID for VM index i.
func deriveID(seed int64, i int, name string) string {
	sum := sha256.Sum256([]byte(strconv.FormatInt(seed, 10) + "/" + strconv.Itoa(i) + "/" + name))
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Clone returns a copy of s that shares no hosts, labels or VMs with it.
func (s *FleetSpec) Clone() *FleetSpec {
	c := *s
	c.Hosts = make([]HostSpec, len(s.Hosts))
	for i, h := range s.Hosts {
		if h.Labels != nil {
			labels := make(map[string]string, len(h.Labels))
			for k, v := range h.Labels {
				labels[k] = v
			}
			h.Labels = labels
		}
		if h.MigrationEnabled != nil {
			e := *h.MigrationEnabled
			h.MigrationEnabled = &e
		}
		h.ConfigVersions = slices.Clone(h.ConfigVersions)
		h.Switches = slices.Clone(h.Switches)
		h.Volumes = slices.Clone(h.Volumes)
		c.Hosts[i] = h
	}
	c.VMs = append([]VMSpec(nil), s.VMs...)
	for i := range c.VMs {
		c.VMs[i].DisksGiB = slices.Clone(c.VMs[i].DisksGiB)
		c.VMs[i].Switches = slices.Clone(c.VMs[i].Switches)
	}
	c.Shares = slices.Clone(s.Shares)
	for i := range c.Shares {
		c.Shares[i].Hosts = slices.Clone(c.Shares[i].Hosts)
	}
	c.CSVs = slices.Clone(s.CSVs)
	return &c
}

// HostWinRM returns the WinRM service settings of the host at index i.
func (s *FleetSpec) HostWinRM(i int) WinRMSettings {
	w := WinRMSettings{Auth: []string{AuthNegotiate, AuthKerberos}}
	w.apply(&s.WinRM)
	w.apply(s.Hosts[i].WinRM)
	return w
}
