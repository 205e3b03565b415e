package fleetfile

// Layout: the storage, network and compatibility facts of a fleet with
// every default applied, computed from the spec without changing it.

import (
	"fmt"
	"math"
	"strings"
)

// Layout is what a fleet's hosts offer and where its VMs' files are, every
// default filled in: the model builds hosts, volumes and VMs from it.
type Layout struct {
	Hosts  []HostLayout // in the order of FleetSpec.Hosts
	VMs    []VMLayout   // in the order of FleetSpec.VMs
	Shares []ShareSpec  // declared ones, or the implicit one; Hosts filled in, never empty
	CSVs   []CSVSpec    // declared and implicit ones; Path and SizeGiB filled in
}

// HostLayout is one host's processor, versions, switches, language, default
// paths and local volumes.
type HostLayout struct {
	Processor      ProcessorSpec
	ConfigVersions []string // oldest first
	Switches       []string
	Language       string // en-US or de-DE
	VMPath         string // Get-VMHost VirtualMachinePath
	VHDPath        string // Get-VMHost VirtualHardDiskPath
	Volumes        []VolumeSpec
}

// VMLayout is one VM's configuration version, processor compatibility,
// switches and files.
type VMLayout struct {
	ConfigVersion          string
	ProcessorCompatibility bool
	Switches               []string // one per network adapter
	Path                   string   // folder of its configuration (Get-VM Path)
	Disks                  []DiskLayout
}

// DiskLayout is one virtual disk file of a VM. A VM with checkpoints has a
// chain per disk: the .vhdx, then one differencing .avhdx per checkpoint,
// each with the one before as its parent; the VM's drive is attached to
// the last. A storage migration copies every file of the chain.
type DiskLayout struct {
	Path    string  // full path of the .vhdx or .avhdx file
	FileGiB float64 // size of the file: what a storage migration copies
	MaxGiB  float64 // the virtual disk's maximum size
	Parent  string  // path of its parent file (Get-VHD ParentPath); "" for a .vhdx
}

// CheckpointShare is the size of a checkpoint's differencing file, as a
// share of its disk's .vhdx: the blocks the guest wrote since.
const CheckpointShare = 0.1

// MaxCheckpoints is the most checkpoints Hyper-V keeps of one VM.
const MaxCheckpoints = 50

// ImplicitSharePath is the share a fleet's VMs live on when its file
// declares none: \\fs01.<domain>\vms.
func ImplicitSharePath(domain string) string {
	if domain == "" {
		domain = DefaultDomain
	}
	return `\\` + DefaultShareName + "." + domain + `\vms`
}

// Layout returns s's layout. It never fails: on a spec Validate rejects, the
// layout of the bad parts is unspecified but safe to read.
func (s *FleetSpec) Layout() Layout {
	l := Layout{Hosts: make([]HostLayout, len(s.Hosts)), VMs: make([]VMLayout, len(s.VMs))}
	hostIndex := make(map[string]int, len(s.Hosts))
	for i := range s.Hosts {
		l.Hosts[i] = s.Hosts[i].layout()
		hostIndex[strings.ToLower(s.Hosts[i].Name)] = i
	}
	l.CSVs = csvLayouts(s.CSVs)
	l.Shares = make([]ShareSpec, len(s.Shares))
	for i, sh := range s.Shares {
		sh.Hosts = append([]string(nil), sh.Hosts...)
		if len(sh.Hosts) == 0 {
			for _, h := range s.Hosts {
				sh.Hosts = append(sh.Hosts, h.Name)
			}
		}
		l.Shares[i] = sh
	}
	implicitShare, implicitCSV := -1, map[string]int{}
	used := map[string]float64{} // GiB of files per implicit volume path, lower-case
	for i := range s.VMs {
		v := &s.VMs[i]
		var host *HostSpec
		var hl HostLayout
		if hi, ok := hostIndex[strings.ToLower(v.Host)]; ok {
			host, hl = &s.Hosts[hi], l.Hosts[hi]
		}
		root := s.VMs[i].Storage
		switch {
		case strings.EqualFold(root, StorageLocal):
			root = StorageLocal
		case strings.EqualFold(root, StorageCSV) || root == "" && v.Clustered:
			root = ""
			if host != nil && host.Cluster != "" {
				root = l.firstCSV(host.Cluster)
				if root == "" {
					implicitCSV[strings.ToLower(host.Cluster)] = len(l.CSVs)
					root = JoinPath(`C:\ClusterStorage`, "Volume1")
					l.CSVs = append(l.CSVs, CSVSpec{Cluster: host.Cluster, Path: root})
				}
			}
		case root == "":
			root = StorageLocal
			if host != nil {
				if sh := l.shareOf(host.Name); sh != "" {
					root = sh
				} else if len(s.Shares) == 0 {
					if implicitShare < 0 {
						implicitShare = len(l.Shares)
						all := make([]string, len(s.Hosts))
						for j, h := range s.Hosts {
							all[j] = h.Name
						}
						l.Shares = append(l.Shares, ShareSpec{Path: ImplicitSharePath(s.Domain), Hosts: all})
					}
					root = l.Shares[implicitShare].Path
				}
			}
		}
		vl := v.layout(hl, root)
		l.VMs[i] = vl
		for _, d := range vl.Disks {
			if k := l.sharedKey(d.Path, host); k != "" {
				used[k] += d.FileGiB
			}
		}
	}
	if implicitShare >= 0 {
		sh := &l.Shares[implicitShare]
		sh.SizeGiB = math.Max(DefaultShareMinGiB, math.Ceil(2*used[shareKey(sh.Path)]))
	}
	for i := range l.CSVs {
		if c := &l.CSVs[i]; c.SizeGiB == 0 {
			c.SizeGiB = math.Max(DefaultCSVMinGiB, math.Ceil(2*used[csvKey(c.Cluster, c.Path)]))
		}
	}
	return l
}

// csvLayouts fills in each declared CSV's path: the next VolumeN its
// cluster has not used.
func csvLayouts(csvs []CSVSpec) []CSVSpec {
	out := make([]CSVSpec, len(csvs))
	taken := map[string]bool{}
	for _, c := range csvs {
		if c.Path != "" {
			taken[strings.ToLower(c.Cluster)+"|"+volumeKey(c.Path)] = true
		}
	}
	for i, c := range csvs {
		for n := 1; c.Path == ""; n++ {
			p := fmt.Sprintf(`C:\ClusterStorage\Volume%d`, n)
			if k := strings.ToLower(c.Cluster) + "|" + volumeKey(p); !taken[k] {
				c.Path, taken[k] = p, true
			}
		}
		out[i] = c
	}
	return out
}

func (h *HostSpec) layout() HostLayout {
	hl := HostLayout{
		Processor: h.Processor, ConfigVersions: h.ConfigVersions, Switches: h.Switches,
		Language: canonical(h.Language, DefaultLanguage, Languages...), VMPath: h.VMPath, VHDPath: h.VHDPath, Volumes: h.Volumes,
	}
	if hl.Processor.Vendor == "" {
		hl.Processor.Vendor = DefaultProcessorVendor
	}
	if hl.Processor.Model == "" {
		hl.Processor.Model = DefaultProcessorModel
	}
	if len(hl.ConfigVersions) == 0 {
		hl.ConfigVersions = WindowsServer2022Versions
	}
	if len(hl.Switches) == 0 {
		hl.Switches = []string{DefaultSwitch}
	}
	if hl.VMPath == "" {
		hl.VMPath = DefaultVMPath
	}
	if hl.VHDPath == "" {
		hl.VHDPath = DefaultVHDPath
	}
	if len(hl.Volumes) == 0 {
		hl.Volumes = []VolumeSpec{{Path: `C:\`, SizeGiB: DefaultSystemGiB}, {Path: `D:\`, SizeGiB: DefaultDataGiB}}
	}
	hl.ConfigVersions = append([]string(nil), hl.ConfigVersions...)
	hl.Switches = append([]string(nil), hl.Switches...)
	hl.Volumes = append([]VolumeSpec(nil), hl.Volumes...)
	return hl
}

// layout places v's files under root: StorageLocal (the host's default
// paths), a share or a CSV.
func (v *VMSpec) layout(h HostLayout, root string) VMLayout {
	vl := VMLayout{ConfigVersion: v.ConfigVersion, ProcessorCompatibility: v.ProcessorCompatibility, Switches: append([]string(nil), v.Switches...)}
	if vl.ConfigVersion == "" {
		vl.ConfigVersion = DefaultConfigVersion
	}
	if len(vl.Switches) == 0 && len(h.Switches) > 0 {
		vl.Switches = []string{h.Switches[0]}
	}
	name := FileName(v.Name)
	diskDir := ""
	switch root {
	case StorageLocal:
		vl.Path, diskDir = h.VMPath, h.VHDPath
	case "":
	default:
		vl.Path = JoinPath(root, name)
		diskDir = vl.Path
	}
	sizes := v.DisksGiB
	if len(sizes) == 0 {
		sizes = []float64{DefaultDiskGiB}
	}
	for i, g := range sizes {
		file := name + ".vhdx"
		if i > 0 {
			file = fmt.Sprintf("%s_%d.vhdx", name, i)
		}
		base := DiskLayout{Path: JoinPath(diskDir, file), FileGiB: g, MaxGiB: math.Max(DefaultDiskMaxGiB, math.Ceil(g))}
		vl.Disks = append(vl.Disks, base)
		parent := base.Path
		for c := 1; c <= min(v.Checkpoints, MaxCheckpoints); c++ {
			// Hyper-V names a differencing disk <disk>_<GUID>.avhdx.
			diff := DiskLayout{
				Path:    JoinPath(diskDir, fmt.Sprintf("%s_%08X-0000-4000-8000-%012X.avhdx", strings.TrimSuffix(file, ".vhdx"), i, c)),
				FileGiB: g * CheckpointShare, MaxGiB: base.MaxGiB, Parent: parent,
			}
			vl.Disks = append(vl.Disks, diff)
			parent = diff.Path
		}
	}
	return vl
}

// shareOf returns the first share host reaches, or "".
func (l *Layout) shareOf(host string) string {
	for _, sh := range l.Shares {
		for _, h := range sh.Hosts {
			if strings.EqualFold(h, host) {
				return sh.Path
			}
		}
	}
	return ""
}

// firstCSV returns the path of cluster's first CSV, or "".
func (l *Layout) firstCSV(cluster string) string {
	for _, c := range l.CSVs {
		if strings.EqualFold(c.Cluster, cluster) {
			return c.Path
		}
	}
	return ""
}

// volumeRoot returns the share or CSV of l that holds path, or "".
func (l *Layout) volumeRoot(path string) string {
	best := ""
	for _, sh := range l.Shares {
		if UnderPath(path, sh.Path) && len(sh.Path) > len(best) {
			best = sh.Path
		}
	}
	for _, c := range l.CSVs {
		if UnderPath(path, c.Path) && len(c.Path) > len(best) {
			best = c.Path
		}
	}
	return best
}

// sharedKey names the share or CSV holding path as host sees it (a CSV
// path means its own cluster's CSV), or "" for a local path.
func (l *Layout) sharedKey(path string, host *HostSpec) string {
	switch StorageKindOf(path) {
	case KindSMB:
		if root := l.volumeRoot(path); root != "" {
			return shareKey(root)
		}
	case KindCSV:
		if host == nil {
			return ""
		}
		for _, c := range l.CSVs {
			if strings.EqualFold(c.Cluster, host.Cluster) && UnderPath(path, c.Path) {
				return csvKey(c.Cluster, c.Path)
			}
		}
	}
	return ""
}

func shareKey(path string) string { return "smb|" + volumeKey(path) }
func csvKey(cluster, path string) string {
	return "csv|" + strings.ToLower(cluster) + "|" + volumeKey(path)
}

func volumeKey(path string) string {
	return strings.ToLower(strings.TrimRight(strings.ReplaceAll(path, "/", `\`), `\`))
}
