package hyperv

import (
	"fmt"
	"strings"
)

// volumeJSON is one volume of get-host's output: a local volume or cluster
// shared volume (Win32_Volume Name, Capacity, FreeSpace) or the root of an
// SMB share its VMs or default paths use (Scripting.FileSystemObject
// GetDrive TotalSize, AvailableSpace). Size and Free are null for a share
// the host could not read (no delegated credentials to reach it).
type volumeJSON struct {
	Path string
	Size psInt64
	Free psInt64
}

// diskJSON is one virtual hard disk drive of a VM in get-vms' output
// (Get-VMHardDiskDrive Path, Get-VHD FileSize and Size). FileSize and
// Size are null when Get-VHD could not read the file, or the drive is a
// physical disk passed through.
type diskJSON struct {
	Path     string
	FileSize psInt64
	Size     psInt64
}

// volumesOf converts get-host's volumes. A volume whose size could not be
// read (a share the host's VMs run from, which the WinRM session may not
// open without delegated credentials) is kept with Size and Free 0: the
// host reaches it, but no room on it is known, so nothing is planned to be
// copied into it.
func volumesOf(list []volumeJSON) ([]Volume, error) {
	var out []Volume
	for i, v := range list {
		if strings.TrimSpace(v.Path) == "" {
			return nil, fmt.Errorf("parse %s output: volume %d: field Path: missing: %w", ScriptGetHost, i, ErrUnexpectedOutput)
		}
		if !v.Size.ok || !v.Free.ok {
			out = append(out, Volume{Path: v.Path, Kind: StorageKindOf(v.Path)})
			continue
		}
		if v.Free.v > v.Size.v {
			return nil, fmt.Errorf("parse %s output: volume %s: %d bytes free of %d: %w", ScriptGetHost, v.Path, v.Free.v, v.Size.v, ErrUnexpectedOutput)
		}
		out = append(out, Volume{Path: v.Path, Kind: StorageKindOf(v.Path), Size: v.Size.v, Free: v.Free.v})
	}
	return out, nil
}

// disksOf converts a VM's disks; a disk whose sizes are unknown keeps its
// path with sizes 0, and a drive with no file is left out.
func disksOf(list []diskJSON) []Disk {
	var out []Disk
	for _, d := range list {
		if strings.TrimSpace(d.Path) == "" {
			// A drive without a file: an empty drive slot or a physical
			// disk without a path. Nothing a migration copies.
			continue
		}
		out = append(out, Disk{Path: d.Path, Kind: StorageKindOf(d.Path), FileSize: d.FileSize.v, Size: d.Size.v})
	}
	return out
}
