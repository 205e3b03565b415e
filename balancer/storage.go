package balancer

import (
	"fmt"
	"strings"

	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/hyperv"
)

// Storage. Where a VM's files are decides what a move of it takes:
//
//   - Any file (its configuration or a virtual disk) on a local volume of
//     its host: the move is a shared-nothing live migration that copies all
//     its virtual disks (Move-VM -IncludeStorage) into the destination's
//     storage path, the storage_paths override for that host or else its
//     default virtual hard disk path (else its default VM path). The
//     destination must report the volume holding that path, and that volume
//     must keep storage_reserve_bytes free after this copy and every
//     storage move planned into it before (a CSV or SMB share is one volume
//     for every host that has it). Space the copy frees on the source is
//     not counted until a snapshot shows it.
//   - Otherwise the move copies memory only, and the destination must reach
//     the VM's files: a VM on a cluster shared volume moves only within its
//     host's cluster, and one on an SMB share only to a host whose volumes
//     include that share (a host that reports no volumes is not refused).
//
// The bytes copied are the disks' file sizes (Get-VHD FileSize); the
// configuration, its runtime state and smart paging files are a few MiB
// beside them and are not counted. A VM that reports neither a path nor
// disks (a snapshot from before storage was collected) moves memory only,
// as before.

const (
	kindLocal = hyperv.StorageLocal
	kindSMB   = hyperv.StorageSMB
	kindCSV   = hyperv.StorageCSV
)

// kindOf is a file's storage kind: as the snapshot says, or else as its
// path says.
func kindOf(kind, path string) hyperv.StorageKind {
	switch k := hyperv.StorageKind(kind); k {
	case kindLocal, kindSMB, kindCSV:
		return k
	}
	return hyperv.StorageKindOf(path)
}

// shareOf is the share of a UNC path, lower-case: `\\fs01\vms\a.vhdx` →
// `\\fs01\vms`.
func shareOf(path string) string {
	p := strings.ToLower(strings.ReplaceAll(path, "/", `\`))
	p = strings.TrimPrefix(p, `\\?\unc\`)
	p = strings.TrimLeft(p, `\`)
	parts := strings.SplitN(p, `\`, 3)
	if len(parts) > 2 {
		parts = parts[:2]
	}
	return `\\` + strings.Join(parts, `\`)
}

// vmStorage is where a VM's files are, as a move sees them.
type vmStorage struct {
	local  bool  // some file on its host's own volumes: its storage moves with it
	bytes  int64 // what a move copies: its disks' file sizes when local, else 0
	csv    bool  // some file on a cluster shared volume (and none local)
	shares bits  // SMB shares its files are on (none local)
}

// storageOf works out where VM v's files are.
func storageOf(v *collector.VM, in *interners) vmStorage {
	var s vmStorage
	var files []struct{ kind, path string }
	if v.Path != "" {
		files = append(files, struct{ kind, path string }{"", v.Path})
	}
	for _, d := range v.Disks {
		files = append(files, struct{ kind, path string }{d.Kind, d.Path})
	}
	for _, f := range files {
		switch kindOf(f.kind, f.path) {
		case kindLocal:
			s.local = true
		case kindCSV:
			s.csv = true
		case kindSMB:
			s.shares.add(in.shares.id(shareOf(f.path)))
		}
	}
	if s.local {
		for _, d := range v.Disks {
			s.bytes += max(d.FileSize, 0)
		}
		s.csv, s.shares = false, nil
	}
	return s
}

// storageSummary says where VM v's files are for a policy: local when any
// is on its host's own volumes, else csv, else smb, "" when it reports no
// files; and the bytes a move of it copies.
func storageSummary(v *collector.VM) (string, int64) {
	s := storageOf(v, &interners{shares: interner{fold: true}})
	switch {
	case s.local:
		return string(kindLocal), s.bytes
	case s.csv:
		return string(kindCSV), 0
	case len(s.shares) > 0:
		return string(kindSMB), 0
	}
	return "", 0
}

// storeTarget is where storage moves into a host go.
type storeTarget struct {
	path    string // directory; "" when the host reports none and none is configured
	volPath string // root of the volume holding it
	vol     int    // interned volume; -1 when the host reports no volume holding path
	free    int64  // the volume's free bytes in the snapshot
}

// storeTargetOf works out where storage moves into host h go.
func storeTargetOf(h *collector.Host, in *interners, cfg Config) storeTarget {
	t := storeTarget{path: cfg.StoragePaths[h.Name], vol: -1}
	if t.path == "" {
		t.path = h.VHDPath
	}
	if t.path == "" {
		t.path = h.VMPath
	}
	if t.path == "" {
		return t
	}
	vols := make([]hyperv.Volume, len(h.Volumes))
	for i, v := range h.Volumes {
		vols[i] = hyperv.Volume{Path: v.Path, Kind: kindOf(v.Kind, v.Path), Size: v.Size, Free: v.Free}
	}
	v, ok := hyperv.VolumeOf(vols, t.path)
	if !ok {
		return t
	}
	key := "local\x00" + strings.ToLower(h.Name) + "\x00" + strings.ToLower(v.Path)
	switch v.Kind {
	case kindSMB:
		key = "smb\x00" + shareOf(v.Path)
	case kindCSV:
		key = "csv\x00" + strings.ToLower(h.Cluster) + "\x00" + strings.ToLower(v.Path)
	}
	t.volPath, t.vol, t.free = v.Path, in.volumes.id(key), v.Free
	return t
}

// reachFault is the limit a memory-only move of a VM whose files are as n
// says, from a host of cluster srcCluster to a host of cluster dstCluster,
// breaks because the destination cannot reach its files, or faultNone: a
// cluster shared volume is reached only within its cluster. An SMB share
// is not judged here: a host lists only the shares its own VMs use, so one
// it does not list may well be reached, and Compare-VM, asked before every
// move, is the destination's own answer. No allocation.
func reachFault(n *vmStorage, srcCluster, dstCluster string) fault {
	if !n.local && n.csv && (srcCluster == "" || dstCluster != srcCluster) {
		return faultCSV
	}
	return faultNone
}

// spaceFault is the limit a storage move of a VM whose files are as n says
// breaks on a destination whose storage target is t, given planned, the
// bytes already planned into each volume, or faultNone. No allocation.
func spaceFault(n *vmStorage, t *storeTarget, planned []int64, reserve int64) fault {
	if !n.local {
		return faultNone
	}
	switch {
	case t.path == "":
		return faultStoragePath
	case t.vol < 0:
		return faultStorageVolume
	case t.free-planned[t.vol]-n.bytes < reserve:
		return faultStorageFull
	}
	return faultNone
}

// storageMessage says why f refuses moving VM v (whose files are as n
// says) from host src to host dst, whose storage target is t with planned
// bytes already planned into its volume.
func storageMessage(f fault, v *collector.VM, n *vmStorage, src, dst *collector.Host, t *storeTarget, planned, reserve int64) string {
	switch f {
	case faultCSV:
		if src.Cluster == "" {
			return fmt.Sprintf("the vm's files are on a cluster shared volume, but host %s is in no cluster", src.Name)
		}
		return fmt.Sprintf("the vm's files are on a cluster shared volume of cluster %s, which host %s is not in", src.Cluster, dst.Name)
	case faultStoragePath:
		return fmt.Sprintf("storage: host %s reports no default virtual hard disk path and the configuration sets no storage_path for it", dst.Name)
	case faultStorageVolume:
		return fmt.Sprintf("storage: host %s reports no volume holding its storage path %s", dst.Name, t.path)
	case faultStorageFull:
		left := t.free - planned - n.bytes
		return fmt.Sprintf("storage full: volume %s of host %s would have %s free after copying %s of disks (and %s planned before), under the %s storage reserve",
			t.volPath, dst.Name, formatBytes(left), formatBytes(n.bytes), formatBytes(planned), formatBytes(reserve))
	}
	return ""
}

// vmFolder is the directory of its own a storage move puts a VM's files
// in under the destination's storage path, as Hyper-V Manager's move
// wizard does: the VM's name when it is a plain Windows folder name,
// otherwise its ID, so that two VMs whose disks share a file name never
// collide and no name can point outside the storage path.
func vmFolder(storagePath string, v *collector.VM) string {
	name := v.Name
	if !plainFolderName(name) {
		name = v.ID
	}
	return strings.TrimRight(storagePath, `\/`) + `\` + name
}

// plainFolderName reports whether s can be one folder name on every
// Windows volume: 1 to 100 characters, none of them a control character
// or one of \/:*?"<>|, not . or .., not ending in a dot or a space, and
// not a device name (CON, NUL, COM1, …).
func plainFolderName(s string) bool {
	if s == "" || len(s) > 100 || strings.HasSuffix(s, ".") || strings.HasSuffix(s, " ") {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || strings.ContainsRune(`\/:*?"<>|`, r) {
			return false
		}
	}
	base := strings.ToUpper(strings.SplitN(s, ".", 2)[0])
	switch base {
	case "CON", "PRN", "AUX", "NUL":
		return false
	}
	if len(base) == 4 && (strings.HasPrefix(base, "COM") || strings.HasPrefix(base, "LPT")) && base[3] >= '0' && base[3] <= '9' {
		return false
	}
	return true
}
