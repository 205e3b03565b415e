package fleetfile

// Where hosts keep VM files and what a host offers a VM: processors,
// configuration versions, virtual switches, display language and volumes,
// and, per VM, where its files live and what it needs of a host. A fleet
// file may say none of it: Layout fills every default in without changing
// the spec, so a fleet file written before storage existed still reads,
// marshals and behaves as it did (every VM's files on one SMB share that
// every host reaches, clustered VMs on their cluster's CSV).

import (
	"slices"
	"strings"
)

// Defaults of the host and VM facts a fleet file may leave out.
const (
	DefaultProcessorVendor = "GenuineIntel"                          // Win32_Processor.Manufacturer
	DefaultProcessorModel  = "Intel64 Family 6 Model 106 Stepping 6" // Win32_Processor.Caption (Ice Lake-SP)
	DefaultSwitch          = "LAN"
	DefaultLanguage        = "en-US"
	DefaultConfigVersion   = "9.0" // runs on Windows Server 2019 and 2022
	DefaultVMPath          = `D:\Hyper-V`
	DefaultVHDPath         = `D:\Hyper-V\Virtual Hard Disks`
	DefaultSystemGiB       = 127  // C:\
	DefaultDataGiB         = 4096 // D:\
	DefaultDiskGiB         = 40   // a VM's one virtual disk file when disks_gib is left out
	DefaultDiskMaxGiB      = 127  // a virtual disk's maximum size (New-VHD's default in Hyper-V Manager)
	DefaultShareName       = "fs01"
	DefaultShareMinGiB     = 16384 // the implicit share holds at least this, and twice its files
	DefaultCSVMinGiB       = 4096  // a cluster's implicit CSV likewise
)

// Storage values of a VM besides the path of a share or a CSV.
const (
	StorageLocal = "local" // the host's own volumes: vm_path and vhd_path
	StorageCSV   = "csv"   // its cluster's first cluster shared volume
)

// Volume kinds, as StorageKindOf names them.
const (
	KindLocal = "local"
	KindSMB   = "smb"
	KindCSV   = "csv"
)

// Languages a host's display language may be.
var Languages = []string{"en-US", "de-DE"}

// WindowsServer2022Versions is what Get-VMHostSupportedVersion lists on
// Windows Server 2022, oldest first: 8.0 to 10.0 ("Supported VM
// configuration versions for long-term servicing hosts",
// https://learn.microsoft.com/windows-server/virtualization/hyper-v/deploy/upgrade-virtual-machine-version-in-hyper-v-on-windows-or-windows-server).
var WindowsServer2022Versions = []string{"8.0", "8.1", "8.2", "8.3", "9.0", "9.1", "9.2", "9.3", "10.0"}

// WindowsServer2019Versions is the same list on Windows Server 2019: 5.0 to 9.0.
var WindowsServer2019Versions = []string{"5.0", "6.2", "7.0", "7.1", "8.0", "8.1", "8.2", "8.3", "9.0"}

// ProcessorSpec is a host's processor as Win32_Processor reports it.
type ProcessorSpec struct {
	Vendor string `yaml:"vendor,omitempty"` // Manufacturer: GenuineIntel or AuthenticAMD
	Model  string `yaml:"model,omitempty"`  // Caption, e.g. "Intel64 Family 6 Model 106 Stepping 6"
}

// VolumeSpec is a local volume of a host.
type VolumeSpec struct {
	Path    string  `yaml:"path"` // drive root such as D:\
	SizeGiB float64 `yaml:"size_gib"`
}

// ShareSpec is an SMB 3 share hosts keep VM files on.
type ShareSpec struct {
	Path    string   `yaml:"path"` // \\server\share
	SizeGiB float64  `yaml:"size_gib"`
	Hosts   []string `yaml:"hosts,omitempty"` // hosts that reach it; empty means every host
}

// CSVSpec is a cluster shared volume, reached by every node of its cluster.
type CSVSpec struct {
	Cluster string  `yaml:"cluster"`
	Path    string  `yaml:"path,omitempty"` // C:\ClusterStorage\VolumeN; default the next free N of the cluster
	SizeGiB float64 `yaml:"size_gib,omitempty"`
}

// StorageKindOf classifies a Windows path as Hyper-V hosts see it: a UNC
// path is on an SMB share (KindSMB), a path under C:\ClusterStorage\ on a
// cluster shared volume (KindCSV), any other on a local volume.
func StorageKindOf(path string) string {
	p := strings.ToLower(strings.ReplaceAll(path, "/", `\`))
	switch {
	case strings.HasPrefix(p, `\\`):
		return KindSMB
	case strings.HasPrefix(p, `c:\clusterstorage\`):
		return KindCSV
	}
	return KindLocal
}

// JoinPath joins Windows path elements with single backslashes.
func JoinPath(elem ...string) string {
	var b strings.Builder
	for i, e := range elem {
		if i > 0 {
			e = strings.TrimLeft(e, `\`)
			if !strings.HasSuffix(b.String(), `\`) {
				b.WriteByte('\\')
			}
		}
		b.WriteString(e)
	}
	return b.String()
}

// UnderPath reports whether path is root or lies beneath it, compared as
// Windows does (case-insensitive, / and \ alike).
func UnderPath(path, root string) bool {
	p := strings.ToLower(strings.ReplaceAll(path, "/", `\`))
	r := strings.ToLower(strings.TrimRight(strings.ReplaceAll(root, "/", `\`), `\`))
	return r != "" && (p == r || strings.HasPrefix(p, r+`\`))
}

// FileName returns a name usable as a Windows file name: the characters
// Windows forbids (and control characters) become '_'.
func FileName(name string) string {
	out := strings.Map(func(r rune) rune {
		if r < 32 || strings.ContainsRune(`<>:"/\|?*`, r) {
			return '_'
		}
		return r
	}, strings.TrimSpace(name))
	if out == "" {
		return "_"
	}
	return out
}

func supports(versions []string, v string) bool { return slices.Contains(versions, v) }
