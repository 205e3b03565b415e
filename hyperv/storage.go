package hyperv

import "strings"

// StorageKind says where a file a VM uses lives, as its host sees it, and
// so whether a live migration must copy it.
type StorageKind string

// Storage kinds.
const (
	// StorageLocal is a volume of the host itself: a live migration to
	// another host must copy the file (shared-nothing live migration,
	// Move-VM -IncludeStorage).
	StorageLocal StorageKind = "local"
	// StorageSMB is an SMB 3 share: every host that reaches the share runs
	// the VM from it, and a live migration moves only memory and state.
	StorageSMB StorageKind = "smb"
	// StorageCSV is a cluster shared volume: every node of the host's
	// failover cluster reaches it.
	StorageCSV StorageKind = "csv"
)

// csvRoot is where Windows mounts cluster shared volumes on every node.
const csvRoot = `c:\clusterstorage\`

// StorageKindOf classifies a Windows path: a UNC path (\\server\share\…)
// is on an SMB share, a path under C:\ClusterStorage\ on a cluster shared
// volume, any other path on a volume of the host itself.
//
// Only the path's first bytes decide: they are lower-cased, with / as \, in
// a small buffer rather than the whole path in a new string (a planning pass
// classifies the files of every VM of the fleet). The prefixes compared are
// ASCII and no other character lower-cases into them, so the result is the
// same as classifying the whole lower-cased path.
func StorageKindOf(path string) StorageKind {
	var buf [len(`\\?\`) + len(csvRoot)]byte
	p := buf[:copy(buf[:], path)]
	for i, c := range p {
		switch {
		case c == '/':
			p[i] = '\\'
		case 'A' <= c && c <= 'Z':
			p[i] = c + ('a' - 'A')
		}
	}
	has := func(b []byte, prefix string) bool { return len(b) >= len(prefix) && string(b[:len(prefix)]) == prefix }
	switch {
	case has(p, `\\?\unc\`), has(p, `\\`) && !has(p, `\\?\`) && !has(p, `\\.\`):
		return StorageSMB
	case has(p, csvRoot), has(p, `\\?\`) && has(p[len(`\\?\`):], csvRoot):
		return StorageCSV
	}
	return StorageLocal
}

// Disk is one virtual hard disk of a VM, as Get-VHD reports it.
type Disk struct {
	Path     string      // full path of the file the drive is attached to (.vhdx, .vhd, or a checkpoint's .avhdx)
	Kind     StorageKind // StorageKindOf(Path)
	FileSize int64       // bytes of the file and, for a checkpoint's differencing file, of its parents: what a storage migration copies
	Size     int64       // the virtual disk's maximum size, bytes
}

// Volume is a place where a host keeps VM files, with its free space: a
// local volume, a cluster shared volume or an SMB share the host reaches.
type Volume struct {
	Path string // root, e.g. `D:\`, `C:\ClusterStorage\Volume1`, `\\fs01\vms`
	Kind StorageKind
	Size int64 // bytes
	Free int64 // bytes
}

// VolumeOf returns the volume of vols that holds path: the one whose root
// is the longest prefix of path (case-insensitive), or false.
func VolumeOf(vols []Volume, path string) (Volume, bool) {
	p := strings.ToLower(strings.ReplaceAll(path, "/", `\`))
	best, found := Volume{}, false
	for _, v := range vols {
		root := strings.ToLower(strings.TrimRight(strings.ReplaceAll(v.Path, "/", `\`), `\`))
		if root == "" {
			continue
		}
		if p == root || strings.HasPrefix(p, root+`\`) {
			if !found || len(v.Path) > len(best.Path) {
				best, found = v, true
			}
		}
	}
	return best, found
}
