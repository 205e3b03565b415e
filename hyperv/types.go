package hyperv

import (
	"strconv"
	"time"
)

// HostInfo describes a Hyper-V host and its live-migration settings.
type HostInfo struct {
	Name              string // computer name, e.g. "HV01"
	FQDN              string // fully qualified domain name
	Cluster           string // failover cluster name; empty when the host is stand-alone
	LogicalProcessors int
	MemoryCapacity    int64 // bytes
	MigrationEnabled  bool  // VirtualMachineMigrationEnabled
	MaxMigrations     int   // MaximumVirtualMachineMigrations
	AuthType          MigrationAuthType
	PerformanceOption MigrationPerformance

	// Compatibility: what a VM needs of a host to run there.
	ProcessorVendor string   // Win32_Processor.Manufacturer, e.g. "GenuineIntel", "AuthenticAMD"
	ProcessorModel  string   // Win32_Processor.Caption, e.g. "Intel64 Family 6 Model 106 Stepping 6"
	ConfigVersions  []string // VM configuration versions it runs (Get-VMHostSupportedVersion), e.g. "9.0"
	Switches        []string // its virtual switches' names (Get-VMSwitch)

	// Storage: where new VM files go by default, and the volumes it keeps
	// VM files on with their free space.
	VMPath  string // Get-VMHost VirtualMachinePath
	VHDPath string // Get-VMHost VirtualHardDiskPath
	Volumes []Volume
}

// MigrationAuthType is the host's VirtualMachineMigrationAuthenticationType.
type MigrationAuthType int

// Migration authentication types, numbered as Hyper-V numbers them.
const (
	MigrationAuthCredSSP  MigrationAuthType = 0
	MigrationAuthKerberos MigrationAuthType = 1
)

// String returns the PowerShell name of the authentication type.
func (t MigrationAuthType) String() string {
	switch t {
	case MigrationAuthCredSSP:
		return "CredSSP"
	case MigrationAuthKerberos:
		return "Kerberos"
	}
	return "MigrationAuthType(" + strconv.Itoa(int(t)) + ")"
}

// MigrationPerformance is the host's VirtualMachineMigrationPerformanceOption.
type MigrationPerformance int

// Migration performance options, numbered as Hyper-V numbers them.
const (
	MigrationTCPIP       MigrationPerformance = 0
	MigrationCompression MigrationPerformance = 1
	MigrationSMB         MigrationPerformance = 2
)

// String returns the PowerShell name of the performance option.
func (p MigrationPerformance) String() string {
	switch p {
	case MigrationTCPIP:
		return "TCPIP"
	case MigrationCompression:
		return "Compression"
	case MigrationSMB:
		return "SMB"
	}
	return "MigrationPerformance(" + strconv.Itoa(int(p)) + ")"
}

// VMState is a virtual machine's state, numbered as Hyper-V numbers it.
type VMState int

// VM states.
const (
	VMStateOther    VMState = 1
	VMStateRunning  VMState = 2
	VMStateOff      VMState = 3
	VMStateStopping VMState = 4
	VMStateSaved    VMState = 6
	VMStatePaused   VMState = 9
	VMStateStarting VMState = 10
	VMStateReset    VMState = 11
	VMStateSaving   VMState = 32773
	VMStatePausing  VMState = 32776
	VMStateResuming VMState = 32777
)

var vmStateNames = map[VMState]string{
	VMStateOther:    "Other",
	VMStateRunning:  "Running",
	VMStateOff:      "Off",
	VMStateStopping: "Stopping",
	VMStateSaved:    "Saved",
	VMStatePaused:   "Paused",
	VMStateStarting: "Starting",
	VMStateReset:    "Reset",
	VMStateSaving:   "Saving",
	VMStatePausing:  "Pausing",
	VMStateResuming: "Resuming",
}

// String returns the PowerShell name of the state, e.g. "Running".
func (s VMState) String() string {
	if n, ok := vmStateNames[s]; ok {
		return n
	}
	return "VMState(" + strconv.Itoa(int(s)) + ")"
}

// VM is one virtual machine as Get-VM reports it.
type VM struct {
	ID             string // GUID, as PowerShell prints it (lower-case)
	Name           string // not unique
	State          VMState
	CPUUsage       int // percent of the host's total processor capacity
	ProcessorCount int
	MemoryAssigned int64 // bytes; 0 when off
	MemoryDemand   int64 // bytes; 0 when off
	MemoryStartup  int64 // bytes
	DynamicMemory  bool
	Clustered      bool
	Uptime         time.Duration
	Notes          string
	Tags           map[string]string // parsed from Notes, see ParseTags; never nil
	Host           string            // ComputerName of the host running it

	// Compatibility.
	ConfigVersion          string   // configuration version, e.g. "9.0"
	ProcessorCompatibility bool     // Get-VMProcessor CompatibilityForMigrationEnabled
	Switches               []string // the switches its network adapters are connected to; "" for none

	// Storage.
	Path  string // its configuration's location (Get-VM Path)
	Disks []Disk // its virtual hard disks
}

// Counters is one sample of a host's performance counters.
type Counters struct {
	Time            time.Time // UTC time of the sample
	HostCPUPercent  float64   // logical processors, _Total, % Total Run Time
	AvailableMemory int64     // bytes
	// VMs holds the running VMs' counters keyed by lower-case VM name.
	// VM names are not unique: VMs sharing a name share an entry.
	VMs map[string]VMCounters
}

// VMCounters are the counters of the running VMs that share one name.
type VMCounters struct {
	CPUPercent     []float64 // % guest run time per virtual processor, by vp index
	MeanCPUPercent float64   // mean of CPUPercent
	MemoryPressure float64   // dynamic memory average pressure (percent)
	HasPressure    bool      // false when the VM has no dynamic memory counter
	// CPU wait (\Hyper-V Hypervisor Virtual Processor(*)\CPU Wait Time Per
	// Dispatch) over the sample interval, per virtual processor in
	// CPUPercent's order. HasWait is false, and both nil, when the host
	// did not report it for every one of the entry's processors.
	WaitPerDispatch     []float64 // nanoseconds waited for a logical processor, per dispatch
	DispatchesPerSecond []float64 // dispatches onto a logical processor per second
	HasWait             bool
}

// VMLocation is where a VM is and what it is doing.
type VMLocation struct {
	ID        string
	Name      string
	Host      string // ComputerName (or owner node) of the host running the VM
	State     VMState
	Status    string // e.g. "Operating normally", "Migrating - 45% complete"
	Clustered bool
}

// Migrating reports whether the VM's status says a migration is under way.
func (l VMLocation) Migrating() bool {
	return len(l.Status) >= 9 && l.Status[:9] == "Migrating"
}

// MoveOptions tunes one live migration.
type MoveOptions struct {
	// Clustered moves a clustered VM role with Move-ClusterVirtualMachineRole
	// instead of Move-VM.
	Clustered bool
	// StoragePath, when set, moves the VM's storage too (shared-nothing live
	// migration) into this directory on the destination. Ignored when Clustered.
	StoragePath string
}

// ClusterGroupState is a cluster group's state as Move-ClusterVirtualMachineRole reports it.
type ClusterGroupState int

// Cluster group states.
const (
	ClusterGroupOnline        ClusterGroupState = 0
	ClusterGroupOffline       ClusterGroupState = 1
	ClusterGroupFailed        ClusterGroupState = 2
	ClusterGroupPartialOnline ClusterGroupState = 3
	ClusterGroupPending       ClusterGroupState = 4
)

// String returns the PowerShell name of the state.
func (s ClusterGroupState) String() string {
	switch s {
	case ClusterGroupOnline:
		return "Online"
	case ClusterGroupOffline:
		return "Offline"
	case ClusterGroupFailed:
		return "Failed"
	case ClusterGroupPartialOnline:
		return "PartialOnline"
	case ClusterGroupPending:
		return "Pending"
	}
	return "ClusterGroupState(" + strconv.Itoa(int(s)) + ")"
}

// vmState maps a cluster group state onto the VM state a caller would see.
func (s ClusterGroupState) vmState() VMState {
	switch s {
	case ClusterGroupOnline:
		return VMStateRunning
	case ClusterGroupOffline:
		return VMStateOff
	}
	return VMStateOther
}
