package model

// Storage: the volumes hosts keep VM files on (their own, the SMB shares
// they reach, their cluster's CSVs), the files each VM has on them, and the
// free space the files leave. Built from fleetfile's Layout; a storage
// migration (queue.go) moves a VM's files from one volume to another.

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

// Disk is one virtual hard disk of a VM, as Get-VMHardDiskDrive and Get-VHD
// report it.
type Disk struct {
	Path     string      `json:"path"`      // full path of the .vhdx file
	Kind     StorageKind `json:"kind"`      // of the volume holding it
	FileSize int64       `json:"file_size"` // bytes the file takes: what a storage migration copies
	Size     int64       `json:"size"`      // the virtual disk's maximum size, bytes
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

// reaches reports whether h has or reaches vol.
func (h *simHost) reaches(vol *simVolume) bool {
	for _, v := range h.volumes {
		if v == vol {
			return true
		}
	}
	return false
}

// buildStorageLocked makes the fleet's volumes from its layout, gives each
// host the volumes it has or reaches and each VM its files, and accounts
// the space they use.
func (f *Fleet) buildStorageLocked(l fleetfile.Layout) {
	for i, hs := range f.spec.Hosts {
		h := f.hosts[strings.ToLower(hs.Name)]
		h.layout = l.Hosts[i]
		for _, vs := range h.layout.Volumes {
			h.volumes = append(h.volumes, &simVolume{path: vs.Path, kind: StorageLocal, size: gibBytes(vs.SizeGiB)})
		}
	}
	for _, sh := range l.Shares {
		vol := &simVolume{path: sh.Path, kind: StorageSMB, size: gibBytes(sh.SizeGiB)}
		for _, name := range sh.Hosts {
			if h := f.hosts[strings.ToLower(name)]; h != nil {
				h.volumes = append(h.volumes, vol)
			}
		}
	}
	for _, c := range l.CSVs {
		vol := &simVolume{path: c.Path, kind: StorageCSV, size: gibBytes(c.SizeGiB)}
		for _, h := range f.hosts {
			if strings.EqualFold(h.spec.Cluster, c.Cluster) {
				h.volumes = append(h.volumes, vol)
			}
		}
	}
	for i, vs := range f.spec.VMs {
		v := f.vms[vs.ID]
		vl := l.VMs[i]
		v.configVersion, v.compat, v.switches, v.path = vl.ConfigVersion, vl.ProcessorCompatibility, vl.Switches, vl.Path
		for _, d := range vl.Disks {
			disk := simDisk{path: d.Path, vol: volumeOf(v.host.volumes, d.Path), fileSize: gibBytes(d.FileGiB), size: gibBytes(d.MaxGiB)}
			if disk.vol != nil {
				disk.vol.used += disk.fileSize
			}
			v.disks = append(v.disks, disk)
		}
	}
}

// disksState returns v's disks as Get-VHD reports them.
func (v *simVM) disksState() []Disk {
	out := make([]Disk, len(v.disks))
	for i, d := range v.disks {
		kind := StorageKind(fleetfile.StorageKindOf(d.path))
		if d.vol != nil {
			kind = d.vol.kind
		}
		out[i] = Disk{Path: d.path, Kind: kind, FileSize: d.fileSize, Size: d.size}
	}
	return out
}

// storageTarget is where a storage migration puts one file of a VM.
type storageTarget struct {
	disk int    // index into simVM.disks; -1 for the configuration
	path string // its path on the destination
	vol  *simVolume
}

// storageTargets returns where a storage migration of v to dst puts each of
// its files: under dir (its configuration in dir itself, each disk as
// dir\<file name>), or, when dir is empty, at the same paths. vol is nil
// where dst has no volume holding the path.
func storageTargets(v *simVM, dst *simHost, dir string) []storageTarget {
	out := make([]storageTarget, 0, len(v.disks)+1)
	cfg := v.path
	if dir != "" {
		cfg = dir
	}
	out = append(out, storageTarget{disk: -1, path: cfg, vol: volumeOf(dst.volumes, cfg)})
	for i, d := range v.disks {
		p := d.path
		if dir != "" {
			p = fleetfile.JoinPath(dir, path.Base(strings.ReplaceAll(d.path, `\`, "/")))
		}
		out = append(out, storageTarget{disk: i, path: p, vol: volumeOf(dst.volumes, p)})
	}
	return out
}

// copyBytes is the bytes a storage migration to targets copies into each
// destination volume: every disk that does not stay where it is.
func copyBytes(v *simVM, targets []storageTarget) map[*simVolume]int64 {
	out := map[*simVolume]int64{}
	for _, t := range targets {
		if t.disk < 0 || t.vol == nil {
			continue
		}
		d := v.disks[t.disk]
		if d.vol == t.vol && strings.EqualFold(d.path, t.path) {
			continue
		}
		out[t.vol] += d.fileSize
	}
	return out
}
