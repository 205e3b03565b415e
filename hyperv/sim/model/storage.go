package model

// Storage: the volumes hosts keep VM files on (their own, the SMB shares
// they reach, their cluster's CSVs), the files VMs have on them, the free
// space the files leave, and where a storage migration puts each file.
// Pure types and functions; model.go builds the volumes, queue.go moves
// the files.

import (
	"path"
	"strings"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/fleetfile"
)

// StorageKind says where a file lives as its host sees it.
type StorageKind string

// Storage kinds.
const (
	StorageLocal StorageKind = fleetfile.KindLocal // a volume of the host itself
	StorageSMB   StorageKind = fleetfile.KindSMB   // an SMB 3 share
	StorageCSV   StorageKind = fleetfile.KindCSV   // a cluster shared volume
)

// Disk is one virtual hard disk file of a VM, as Get-VMHardDiskDrive and
// Get-VHD report it. A VM with checkpoints lists every file of each disk's chain:
// the .vhdx first, then its differencing .avhdx files, each naming its
// parent; its drive is attached to the last.
type Disk struct {
	Path       string      `json:"path"`                  // full path of the .vhdx or .avhdx file
	Kind       StorageKind `json:"kind"`                  // of the volume holding it
	FileSize   int64       `json:"file_size"`             // bytes the file takes: what a storage migration copies
	Size       int64       `json:"size"`                  // the virtual disk's maximum size, bytes
	ParentPath string      `json:"parent_path,omitempty"` // a differencing disk's parent (Get-VHD ParentPath)
}

// Volume is a place a host keeps VM files, with its free space: one of its
// own volumes, an SMB share it reaches or a CSV of its cluster.
type Volume struct {
	Path string      `json:"path"` // root: D:\, \\fs01\vms, C:\ClusterStorage\Volume1
	Kind StorageKind `json:"kind"`
	Size int64       `json:"size"` // bytes
	Free int64       `json:"free"` // bytes: Size less the files on it and the copies running into it
}

// simVolume is a volume with the bytes its files use. A share or a CSV is
// one simVolume shared by every host that reaches it.
type simVolume struct {
	path     string
	kind     StorageKind
	size     int64
	used     int64 // bytes of the files on it
	reserved int64 // bytes of storage migrations running into it
}

func (v *simVolume) free() int64 { return v.size - v.used - v.reserved }

func (v *simVolume) state() Volume {
	return Volume{Path: v.path, Kind: v.kind, Size: v.size, Free: max(0, v.free())}
}

// simDisk is one virtual disk file of a VM and the volume holding it.
type simDisk struct {
	path     string
	vol      *simVolume
	fileSize int64
	size     int64
	parent   int // index of its parent file in the VM's disks; -1 for none
}

// volumeOf returns the volume of vols whose root is the longest prefix of
// p, or nil.
func volumeOf(vols []*simVolume, p string) *simVolume {
	var best *simVolume
	for _, v := range vols {
		if fleetfile.UnderPath(p, v.path) && (best == nil || len(v.path) > len(best.path)) {
			best = v
		}
	}
	return best
}

// storageTarget is where a storage migration puts one file of a VM.
type storageTarget struct {
	disk int    // index into simVM.disks; -1 for the configuration
	path string // its path on the destination
	vol  *simVolume
}

// storageTargets returns where a storage migration puts the files of a VM
// whose configuration is in cfg: under dir (the configuration in dir
// itself, each disk as dir\<file name>), or, when dir is empty, at the same
// paths. vol is the volume of vols (the destination's) holding each path,
// nil where there is none.
func storageTargets(cfg string, disks []simDisk, vols []*simVolume, dir string) []storageTarget {
	out := make([]storageTarget, 0, len(disks)+1)
	if dir != "" {
		cfg = dir
	}
	out = append(out, storageTarget{disk: -1, path: cfg, vol: volumeOf(vols, cfg)})
	for i, d := range disks {
		p := d.path
		if dir != "" {
			p = fleetfile.JoinPath(dir, path.Base(strings.ReplaceAll(d.path, `\`, "/")))
		}
		out = append(out, storageTarget{disk: i, path: p, vol: volumeOf(vols, p)})
	}
	return out
}

// copyBytes is the bytes a storage migration of disks to targets copies
// into each destination volume: every disk that does not stay where it is.
func copyBytes(disks []simDisk, targets []storageTarget) map[*simVolume]int64 {
	out := map[*simVolume]int64{}
	for _, t := range targets {
		if t.disk < 0 || t.vol == nil {
			continue
		}
		d := disks[t.disk]
		if d.vol == t.vol && strings.EqualFold(d.path, t.path) {
			continue
		}
		out[t.vol] += d.fileSize
	}
	return out
}
