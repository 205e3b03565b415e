package model

// What the fleet reports: the states of VMs and hosts at a moment of
// simulated time, in the units Hyper-V reports them in. Plain values; the
// Fleet (model.go) builds them.

import (
	"fmt"
	"math"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/fleetfile"
)

// Memory units.
const (
	MiB = 1 << 20
	GiB = 1 << 30
)

// VMStateCode is a Hyper-V VMState value as Get-VM reports it.
type VMStateCode int

// VM states the simulator models.
const (
	VMRunning VMStateCode = 2
	VMOff     VMStateCode = 3
	VMSaved   VMStateCode = 6
	VMPaused  VMStateCode = 9
)

// String returns the state's name as PowerShell prints it.
func (s VMStateCode) String() string {
	switch s {
	case VMRunning:
		return "Running"
	case VMOff:
		return "Off"
	case VMSaved:
		return "Saved"
	case VMPaused:
		return "Paused"
	}
	return fmt.Sprintf("VMState(%d)", int(s))
}

func parseState(s string) VMStateCode {
	switch s {
	case "Off":
		return VMOff
	case "Saved":
		return VMSaved
	case "Paused":
		return VMPaused
	}
	return VMRunning
}

// StatusNormal is the Status of a VM that is not being migrated.
const StatusNormal = "Operating normally"

// VMState is one VM as Get-VM reports it at a moment of simulated time.
type VMState struct {
	ID           string      `json:"id"`
	Name         string      `json:"name"`
	Host         string      `json:"host"`
	State        VMStateCode `json:"state"`
	Status       string      `json:"status"` // StatusNormal, or "Migrating - NN% complete" while it is migrated away
	CPUs         int         `json:"cpus"`
	CPUUsage     int         `json:"cpu_usage"`      // percent of the HOST's total capacity, as Get-VM reports
	GuestRunTime []float64   `json:"guest_run_time"` // per vCPU, percent 0..100
	// CPUDemand is the CPU the VM wants, in logical processors; on a
	// saturated host it receives less (GuestRunTime, CPUUsage).
	CPUDemand float64 `json:"cpu_demand"`
	// WaitPerDispatch (ns) and Dispatches (per second) are, per vCPU,
	// \Hyper-V Hypervisor Virtual Processor(*)\CPU Wait Time Per Dispatch
	// and the rate of its base (contention.go).
	WaitPerDispatch []float64     `json:"wait_per_dispatch"`
	Dispatches      []float64     `json:"dispatches"`
	MemoryAssigned  int64         `json:"memory_assigned"` // bytes
	MemoryDemand    int64         `json:"memory_demand"`   // bytes
	MemoryStartup   int64         `json:"memory_startup"`  // bytes
	Dynamic         bool          `json:"dynamic"`
	MemoryPressure  int           `json:"memory_pressure"` // dynamic only: demand/assigned×100
	Clustered       bool          `json:"clustered"`
	Uptime          time.Duration `json:"uptime"`
	Notes           string        `json:"notes"`
	// ConfigVersion is Get-VM's Version, e.g. "9.0".
	ConfigVersion string `json:"config_version"`
	// ProcessorCompatibility is Get-VMProcessor's CompatibilityForMigrationEnabled.
	ProcessorCompatibility bool `json:"processor_compatibility"`
	// Switches is the SwitchName of each network adapter (Get-VMNetworkAdapter).
	Switches []string `json:"switches"`
	// Path is the folder of its configuration (Get-VM's Path).
	Path string `json:"path"`
	// Disks are its virtual hard disks (Get-VMHardDiskDrive, Get-VHD).
	Disks []Disk `json:"disks"`
}

// HostState is one host at a moment of simulated time.
type HostState struct {
	Name              string            `json:"name"`
	FQDN              string            `json:"fqdn"`
	Cluster           string            `json:"cluster"`
	Group             string            `json:"group"`
	Labels            map[string]string `json:"labels"`
	LogicalProcessors int               `json:"logical_processors"`
	MemoryCapacity    int64             `json:"memory_capacity"` // bytes
	MemoryReserve     int64             `json:"memory_reserve"`  // bytes
	MemoryAssigned    int64             `json:"memory_assigned"` // bytes, sum over its VMs
	AvailableMBytes   int64             `json:"available_mbytes"`
	// CPUPercent is \Hyper-V Hypervisor Logical Processor(_Total)\% Total Run Time:
	// VM demand + overhead + migration CPU cost, over LPs, capped at 100.
	CPUPercent        float64          `json:"cpu_percent"`
	MigrationEnabled  bool             `json:"migration_enabled"`
	MaxMigrations     int              `json:"max_migrations"`
	AuthType          int              `json:"auth_type"`          // CredSSP=0, Kerberos=1
	PerformanceOption int              `json:"performance_option"` // TCPIP=0, Compression=1, SMB=2
	ActiveMigrations  int              `json:"active_migrations"`  // running, sending or receiving
	Faults            fleetfile.Faults `json:"faults"`
	VMIDs             []string         `json:"vm_ids"` // in the order of Fleet.VMs
	// ProcessorVendor is Win32_Processor.Manufacturer, e.g. "GenuineIntel".
	ProcessorVendor string `json:"processor_vendor"`
	// ProcessorModel is Win32_Processor.Caption, e.g. "Intel64 Family 6 Model 106 Stepping 6".
	ProcessorModel string `json:"processor_model"`
	// ConfigVersions are the VM configuration versions it runs, oldest
	// first (Get-VMHostSupportedVersion).
	ConfigVersions []string `json:"config_versions"`
	// Switches are its virtual switch names (Get-VMSwitch).
	Switches []string `json:"switches"`
	// Language is its display language, "en-US" or "de-DE": the language
	// of its performance counter names.
	Language string `json:"language"`
	// VMPath and VHDPath are Get-VMHost's VirtualMachinePath and
	// VirtualHardDiskPath.
	VMPath  string `json:"vm_path"`
	VHDPath string `json:"vhd_path"`
	// Volumes are its own volumes, then the shares and CSVs it reaches,
	// with their free space now.
	Volumes []Volume `json:"volumes"`
}

// gibBytes is g GiB in bytes, rounded to whole MiB.
func gibBytes(g float64) int64 { return int64(math.Round(g*GiB/MiB)) * MiB }

// roundMiB rounds x bytes to whole MiB.
func roundMiB(x float64) int64 { return int64(math.Round(x/MiB)) * MiB }
