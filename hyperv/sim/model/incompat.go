package model

// The vocabulary of a refused move: why a destination cannot take a VM,
// Compare-VM's MessageIds and the HRESULTs of storage refusals. Plain
// values; compat.go decides them.

// Reason names the kind of an incompatibility, for a client to classify.
type Reason string

// Reasons a destination cannot take a VM.
const (
	// ReasonProcessorVendor: the hosts' processors come from different
	// manufacturers; processor compatibility does not help.
	ReasonProcessorVendor Reason = "processor-vendor"
	// ReasonProcessorFeatures: same manufacturer, different model, and the
	// VM's processor compatibility is off.
	ReasonProcessorFeatures Reason = "processor-features"
	// ReasonSwitchMissing: a network adapter's switch does not exist on the
	// destination.
	ReasonSwitchMissing Reason = "switch-missing"
	// ReasonConfigVersion: the destination does not run the VM's
	// configuration version.
	ReasonConfigVersion Reason = "config-version"
	// ReasonStorageUnreachable: a file of the VM is on a volume the
	// destination does not reach, and the move does not include storage.
	ReasonStorageUnreachable Reason = "storage-unreachable"
	// ReasonStoragePathMissing: the destination has no volume holding the
	// path a storage migration would put a file at.
	ReasonStoragePathMissing Reason = "storage-path-missing"
	// ReasonStorageFull: a destination volume has too little free space
	// for the files a storage migration copies into it.
	ReasonStorageFull Reason = "storage-full"
)

// Incompatibility is one entry of Compare-VM's report
// (VMCompatibilityReport.Incompatibilities): why the destination cannot
// take the VM, in Windows' words.
type Incompatibility struct {
	Reason    Reason `json:"reason"`
	MessageID int64  `json:"message_id"` // Compare-VM's MessageId
	Message   string `json:"message"`    // Compare-VM's Message
	// Source is the type of the object it concerns, as the report's Source
	// property names it, e.g. "Microsoft.HyperV.PowerShell.VMNetworkAdapter".
	Source string `json:"source"`
	// HResult is the code Move-VM reports when it refuses for this reason;
	// 0 when Windows' text carries none.
	HResult uint32 `json:"hresult,omitempty"`
}

// Compare-VM MessageIds. Only MessageSwitchMissing is documented; for the
// others no public source quotes the id Windows uses, so the simulator
// assigns its own (distinct, stable) and a client must classify by Reason,
// by the message's words or by the HRESULT, never by these numbers.
const (
	// MessageSwitchMissing is "Could not find Ethernet switch '<name>'.",
	// Compare-VM's own example
	// (https://learn.microsoft.com/powershell/module/hyper-v/compare-vm).
	MessageSwitchMissing int64 = 33012
	// MessageProcessorFeatures is "The virtual machine '<vm>' is using
	// processor-specific features not supported on physical computer
	// '<host>'. To allow for migration ..." (event 21502, "Troubleshoot
	// live migration issues",
	// https://learn.microsoft.com/troubleshoot/windows-server/virtualization/troubleshoot-live-migration-issues).
	// The id is the simulator's.
	MessageProcessorFeatures int64 = 24004
	// MessageProcessorVendor is "The virtual machine cannot be moved to the
	// destination computer. The hardware on the destination computer is
	// not compatible with the hardware requirements of this virtual
	// machine." (same page). The id is the simulator's.
	MessageProcessorVendor int64 = 24005
	// MessageConfigVersion is the destination lacking the VM's
	// configuration version. Text and id are the simulator's: no public
	// source quotes Windows' words.
	MessageConfigVersion int64 = 14420
	// MessageFileNotFound is a file of the VM the destination cannot
	// reach, ending in Win32's ERROR_PATH_NOT_FOUND text. The id is the
	// simulator's.
	MessageFileNotFound int64 = 40010
	// MessageDiskFull is a destination volume without room for the files,
	// ending in Win32's ERROR_DISK_FULL text. The id is the simulator's.
	MessageDiskFull int64 = 40012
)

// Win32 HRESULTs of storage refusals (winerror.h).
const (
	HResultPathNotFound uint32 = 0x80070003 // ERROR_PATH_NOT_FOUND: "The system cannot find the path specified."
	HResultDiskFull     uint32 = 0x80070070 // ERROR_DISK_FULL: "There is not enough space on the disk."
)

// Object types Compare-VM names as an incompatibility's Source.
const (
	sourceVM             = "Microsoft.HyperV.PowerShell.VirtualMachine"
	sourceProcessor      = "Microsoft.HyperV.PowerShell.VMProcessor"
	sourceNetworkAdapter = "Microsoft.HyperV.PowerShell.VMNetworkAdapter"
	sourceHardDisk       = "Microsoft.HyperV.PowerShell.HardDiskDrive"
)
