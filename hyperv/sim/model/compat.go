package model

// Compatibility: the reasons a destination cannot take a VM, as Compare-VM
// reports them and Move-VM refuses on them before it copies anything. One
// function, incompatibilitiesLocked, decides both, so the report and the
// refusal never disagree.

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/fleetfile"
)

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

// Compare reports every reason req's destination cannot take its VM, as
// Compare-VM run on req.Source with -DestinationHost (and -IncludeStorage,
// -DestinationStoragePath) would: an empty report means the move passes
// every compatibility check Migrate applies. It fails, as Migrate does,
// when the VM is not on Source (or, for a Cluster request, not a clustered
// VM of Source's cluster) or the destination is unknown, unreachable or
// down. It changes nothing.
func (f *Fleet) Compare(req MigrationRequest) ([]Incompatibility, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil, fmt.Errorf("compare %s: %w", req.VMID, ErrClosed)
	}
	ran := f.hosts[strings.ToLower(req.Source)]
	if ran == nil {
		return nil, fmt.Errorf("compare %s: source %s: %w", req.VMID, req.Source, ErrUnknownHost)
	}
	f.settleLocked(f.clock.Now())
	v := f.vms[strings.ToLower(req.VMID)]
	if err := lookupError(req, v, ran); err != nil {
		return nil, err
	}
	dst := f.hosts[strings.ToLower(req.Destination)]
	names := moveNames{vm: v.spec.Name, vmID: v.spec.ID, source: v.host.spec.Name, sourceCluster: v.host.spec.Cluster, destination: req.Destination, cluster: req.Cluster}
	if dst == nil || dst.faults.Unreachable || dst.faults.Crashed {
		return nil, moveFailure(fleetfile.HResultRefused, names)
	}
	return incompatibilities(v, dst, req), nil
}

// lookupError is the error Get-VM (or the cluster cmdlet) gives when req's
// VM is not where req says it is, or nil.
func lookupError(req MigrationRequest, v *simVM, ran *simHost) error {
	switch {
	case !req.Cluster && (v == nil || v.host != ran):
		return VMNotFound(req.VMID)
	case req.Cluster && ran.spec.Cluster == "":
		return notClusterNode(ran.spec.Name)
	case req.Cluster && (v == nil || !v.spec.Clustered || !sameCluster(v.host, ran)):
		return clusteredVMNotFound(req.VMID, ran.spec.Cluster)
	}
	return nil
}

// incompatibilities lists, in Compare-VM's order (processor, version,
// network, storage), every reason dst cannot take v by req: a running,
// paused or saved VM needs the same processor vendor, and the same model
// unless its processor compatibility is on; every VM needs its
// configuration version and switches on dst, and its files reachable from
// dst or, with IncludeStorage, room for them there. The caller holds f.mu.
func incompatibilities(v *simVM, dst *simHost, req MigrationRequest) []Incompatibility {
	var out []Incompatibility
	src := v.host
	if dst == src {
		return nil
	}
	name, host := v.spec.Name, dst.spec.Name
	switch {
	case v.state == VMOff:
		// No processor state moves: an off VM starts afresh on any
		// processor ("Processor Compatibility Mode is not needed for VM
		// moves that involve a stop and restart of the VM",
		// https://technet.microsoft.com/en-us/library/gg299590.aspx).
	case !strings.EqualFold(src.layout.Processor.Vendor, dst.layout.Processor.Vendor):
		out = append(out, Incompatibility{
			Reason: ReasonProcessorVendor, MessageID: MessageProcessorVendor, Source: sourceProcessor,
			Message: "The virtual machine cannot be moved to the destination computer. The hardware on the destination computer is not compatible with the hardware requirements of this virtual machine.",
		})
	case !strings.EqualFold(src.layout.Processor.Model, dst.layout.Processor.Model) && !v.compat:
		out = append(out, Incompatibility{
			Reason: ReasonProcessorFeatures, MessageID: MessageProcessorFeatures, Source: sourceProcessor,
			Message: fmt.Sprintf("The virtual machine '%s' is using processor-specific features not supported on physical computer '%s'. To allow for migration of this virtual machine to physical computers with different processors, modify the virtual machine settings to limit the processor features used by the virtual machine.", name, host),
		})
	}
	if !slices.Contains(dst.layout.ConfigVersions, v.configVersion) {
		out = append(out, Incompatibility{
			Reason: ReasonConfigVersion, MessageID: MessageConfigVersion, Source: sourceVM,
			Message: fmt.Sprintf("The virtual machine '%s' has configuration version %s, which physical computer '%s' does not support. It supports configuration versions %s.", name, v.configVersion, host, strings.Join(dst.layout.ConfigVersions, ", ")),
		})
	}
	seen := map[string]bool{}
	for _, sw := range v.switches {
		if seen[strings.ToLower(sw)] || slices.ContainsFunc(dst.layout.Switches, func(s string) bool { return strings.EqualFold(s, sw) }) {
			continue
		}
		seen[strings.ToLower(sw)] = true
		out = append(out, Incompatibility{
			Reason: ReasonSwitchMissing, MessageID: MessageSwitchMissing, Source: sourceNetworkAdapter,
			Message: fmt.Sprintf("Could not find Ethernet switch '%s'.", sw),
		})
	}
	return append(out, storageIncompatibilities(v, dst, req)...)
}

// storageIncompatibilities lists the storage reasons dst cannot take v:
// without IncludeStorage, every file on a volume dst does not reach; with
// it, every target path on no volume of dst and every volume of dst too
// full for the files copied into it.
func storageIncompatibilities(v *simVM, dst *simHost, req MigrationRequest) []Incompatibility {
	var out []Incompatibility
	if !req.IncludeStorage {
		if cfg := volumeOf(v.host.volumes, v.path); cfg != nil && !dst.reaches(cfg) {
			out = append(out, fileNotFound(v.path, dst.spec.Name, sourceVM))
		}
		for _, d := range v.disks {
			if d.vol != nil && !dst.reaches(d.vol) {
				out = append(out, fileNotFound(d.path, dst.spec.Name, sourceHardDisk))
			}
		}
		return out
	}
	targets := storageTargets(v, dst, req.DestinationStoragePath)
	missing := map[string]bool{}
	for _, t := range targets {
		p := t.path // every file under DestinationStoragePath is on its volume or none: name the folder once
		if req.DestinationStoragePath != "" {
			p = req.DestinationStoragePath
		}
		if t.vol == nil && !missing[strings.ToLower(p)] {
			missing[strings.ToLower(p)] = true
			out = append(out, Incompatibility{
				Reason: ReasonStoragePathMissing, MessageID: MessageFileNotFound, Source: sourceVM, HResult: HResultPathNotFound,
				Message: fmt.Sprintf("The path '%s' does not exist on physical computer '%s': The system cannot find the path specified. (0x80070003)", p, dst.spec.Name),
			})
		}
	}
	need := copyBytes(v, targets)
	for _, t := range targets {
		n, ok := need[t.vol]
		if !ok {
			continue
		}
		delete(need, t.vol)
		if n > t.vol.free() {
			out = append(out, Incompatibility{
				Reason: ReasonStorageFull, MessageID: MessageDiskFull, Source: sourceVM, HResult: HResultDiskFull,
				Message: fmt.Sprintf("Not enough space on '%s' of physical computer '%s' for the virtual machine's files: %d bytes needed, %d bytes free. There is not enough space on the disk. (0x80070070)", t.vol.path, dst.spec.Name, n, max(0, t.vol.free())),
			})
		}
	}
	return out
}

func fileNotFound(path, host, source string) Incompatibility {
	return Incompatibility{
		Reason: ReasonStorageUnreachable, MessageID: MessageFileNotFound, Source: source, HResult: HResultPathNotFound,
		Message: fmt.Sprintf("The file '%s' could not be found on physical computer '%s': The system cannot find the path specified. (0x80070003)", path, host),
	}
}
