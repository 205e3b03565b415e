package model

// Compatibility: the reasons a destination cannot take a VM, as Compare-VM
// reports them and Move-VM refuses on them before it copies anything. One
// function, incompatibilities, decides both (compare.go and migrate.go), so
// the report and the refusal never disagree.

import (
	"fmt"
	"slices"
	"strings"
)

// incompatibilities lists, in Compare-VM's order (processor, version,
// network, storage), every reason dst cannot take v, moved with its storage (into dir) or not: a running,
// paused or saved VM needs the same processor vendor, and the same model
// unless its processor compatibility is on; every VM needs its
// configuration version and switches on dst, and its files reachable from
// dst or, with IncludeStorage, room for them there. The caller holds f.mu.
func incompatibilities(v *simVM, dst *simHost, includeStorage bool, dir string) []Incompatibility {
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
	return append(out, storageIncompatibilities(v, dst, includeStorage, dir)...)
}

// storageIncompatibilities lists the storage reasons dst cannot take v:
// without IncludeStorage, every file on a volume dst does not reach; with
// it, every target path on no volume of dst and every volume of dst too
// full for the files copied into it.
func storageIncompatibilities(v *simVM, dst *simHost, includeStorage bool, dir string) []Incompatibility {
	var out []Incompatibility
	if !includeStorage {
		if cfg := volumeOf(v.host.volumes, v.path); cfg != nil && !reaches(dst.volumes, cfg) {
			out = append(out, fileNotFound(v.path, dst.spec.Name, sourceVM))
		}
		for _, d := range v.disks {
			if d.vol != nil && !reaches(dst.volumes, d.vol) {
				out = append(out, fileNotFound(d.path, dst.spec.Name, sourceHardDisk))
			}
		}
		return out
	}
	targets := storageTargets(v.path, v.disks, dst.volumes, dir)
	missing := map[string]bool{}
	for _, t := range targets {
		p := t.path // every file under dir is on its volume or none: name the folder once
		if dir != "" {
			p = dir
		}
		if t.vol == nil && !missing[strings.ToLower(p)] {
			missing[strings.ToLower(p)] = true
			out = append(out, Incompatibility{
				Reason: ReasonStoragePathMissing, MessageID: MessageFileNotFound, Source: sourceVM, HResult: HResultPathNotFound,
				Message: fmt.Sprintf("The path '%s' does not exist on physical computer '%s': The system cannot find the path specified. (0x80070003)", p, dst.spec.Name),
			})
		}
	}
	need := copyBytes(v.disks, targets)
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

// reaches reports whether vols holds vol.
func reaches(vols []*simVolume, vol *simVolume) bool {
	for _, v := range vols {
		if v == vol {
			return true
		}
	}
	return false
}
