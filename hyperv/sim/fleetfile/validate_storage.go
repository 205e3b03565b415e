package fleetfile

// Validation of the storage, network and compatibility keys: each host's
// processor, versions, switches, language, volumes and default paths, the
// fleet's shares and CSVs, and each VM's storage, disks, version and
// switches against its host, and whether every volume holds its files.

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

var (
	versionPattern   = regexp.MustCompile(`^[0-9]{1,3}\.[0-9]{1,2}$`)
	driveRootPattern = regexp.MustCompile(`^[A-Za-z]:\\$`)
	localPathPattern = regexp.MustCompile(`^[A-Za-z]:\\`)
	sharePattern     = regexp.MustCompile(`^\\\\[A-Za-z0-9][A-Za-z0-9.-]*\\[^\\/:*?"<>|]+$`)
	csvPattern       = regexp.MustCompile(`(?i)^C:\\ClusterStorage\\[^\\/:*?"<>|]+$`)
)

// Processor vendors Win32_Processor.Manufacturer reports on Hyper-V hosts.
var processorVendors = []string{"GenuineIntel", "AuthenticAMD"}

// validateStorage adds the problems of the storage, network and
// compatibility keys to c.
func (s *FleetSpec) validateStorage(c *checker) {
	l := s.Layout()
	hostIndex := make(map[string]int, len(s.Hosts))
	clusters := map[string]bool{}
	for i, h := range s.Hosts {
		hostIndex[strings.ToLower(h.Name)] = i
		if h.Cluster != "" {
			clusters[strings.ToLower(h.Cluster)] = true
		}
	}
	for i := range s.Hosts {
		s.Hosts[i].validateStorage(c, fmt.Sprintf("hosts[%d]", i), l.Hosts[i])
	}
	seen := map[string]string{}
	for i, sh := range s.Shares {
		p := fmt.Sprintf("shares[%d]", i)
		switch k := volumeKey(sh.Path); {
		case !sharePattern.MatchString(sh.Path):
			c.add(p+".path", `must be a UNC path \\server\share`)
		case seen[k] != "":
			c.add(p+".path", "duplicate path %s (also %s)", sh.Path, seen[k])
		default:
			seen[k] = p
		}
		if !positive(sh.SizeGiB) {
			c.add(p+".size_gib", "must be > 0")
		}
		for j, h := range sh.Hosts {
			if _, ok := hostIndex[strings.ToLower(h)]; !ok {
				c.add(fmt.Sprintf("%s.hosts[%d]", p, j), "unknown host %q", h)
			}
		}
	}
	for i, cs := range s.CSVs {
		p := fmt.Sprintf("csvs[%d]", i)
		if !clusters[strings.ToLower(cs.Cluster)] {
			c.add(p+".cluster", "no host is a node of cluster %q", cs.Cluster)
		}
		k := strings.ToLower(cs.Cluster) + "|" + volumeKey(l.CSVs[i].Path)
		switch {
		case cs.Path != "" && !csvPattern.MatchString(cs.Path):
			c.add(p+".path", `must be C:\ClusterStorage\<volume>`)
		case seen[k] != "":
			c.add(p+".path", "duplicate path %s in cluster %s (also %s)", cs.Path, cs.Cluster, seen[k])
		default:
			seen[k] = p
		}
		if !nonNegative(cs.SizeGiB) {
			c.add(p+".size_gib", "must be >= 0 (0: sized to its files)")
		}
	}
	s.validateVMStorage(c, l, hostIndex)
}

func (h *HostSpec) validateStorage(c *checker, p string, hl HostLayout) {
	if !slices.Contains(processorVendors, hl.Processor.Vendor) {
		c.add(p+".processor.vendor", "must be GenuineIntel or AuthenticAMD")
	}
	if strings.TrimSpace(hl.Processor.Model) == "" {
		c.add(p+".processor.model", "must not be blank")
	}
	for j, v := range h.ConfigVersions {
		switch {
		case !versionPattern.MatchString(v):
			c.add(fmt.Sprintf("%s.config_versions[%d]", p, j), "%q is not a configuration version such as 9.0", v)
		case slices.Index(h.ConfigVersions, v) < j:
			c.add(fmt.Sprintf("%s.config_versions[%d]", p, j), "%s is listed twice", v)
		}
	}
	for j, sw := range h.Switches {
		switch {
		case strings.TrimSpace(sw) == "":
			c.add(fmt.Sprintf("%s.switches[%d]", p, j), "must not be blank")
		case slices.IndexFunc(h.Switches, func(o string) bool { return strings.EqualFold(o, sw) }) < j:
			c.add(fmt.Sprintf("%s.switches[%d]", p, j), "switch %q is listed twice", sw)
		}
	}
	if !slices.Contains(Languages, hl.Language) {
		c.add(p+".language", "must be one of %s", strings.Join(Languages, ", "))
	}
	for j, v := range h.Volumes {
		q := fmt.Sprintf("%s.volumes[%d]", p, j)
		switch {
		case !driveRootPattern.MatchString(v.Path):
			c.add(q+".path", `must be a drive root such as D:\`)
		case slices.IndexFunc(h.Volumes, func(o VolumeSpec) bool { return strings.EqualFold(o.Path, v.Path) }) < j:
			c.add(q+".path", "%s is listed twice", v.Path)
		}
		if !positive(v.SizeGiB) {
			c.add(q+".size_gib", "must be > 0")
		}
	}
	for _, d := range []struct{ key, path string }{{"vm_path", hl.VMPath}, {"vhd_path", hl.VHDPath}} {
		if !localPathPattern.MatchString(d.path) || StorageKindOf(d.path) != KindLocal {
			c.add(p+"."+d.key, `must be a folder on a local volume, such as D:\Hyper-V`)
		} else if !slices.ContainsFunc(hl.Volumes, func(v VolumeSpec) bool { return UnderPath(d.path, v.Path) }) {
			c.add(p+"."+d.key, "%s is on no volume of the host", d.path)
		}
	}
}

// validateVMStorage checks each VM's storage, disks, version and switches
// against its host, then that every volume holds the files on it.
func (s *FleetSpec) validateVMStorage(c *checker, l Layout, hostIndex map[string]int) {
	need := map[string]float64{} // GiB per volume: "host|d:" or sharedKey
	for i := range s.VMs {
		v, vl := &s.VMs[i], l.VMs[i]
		p := fmt.Sprintf("vms[%d]", i)
		hi, ok := hostIndex[strings.ToLower(v.Host)]
		if !ok {
			continue // vms[i].host already reported
		}
		h, hl := &s.Hosts[hi], l.Hosts[hi]
		s.validateStorageValue(c, p, v, h, l)
		if v.Checkpoints < 0 || v.Checkpoints > MaxCheckpoints {
			c.add(p+".checkpoints", "%d is not in 0..%d", v.Checkpoints, MaxCheckpoints)
		}
		for j, g := range v.DisksGiB {
			if !positive(g) {
				c.add(fmt.Sprintf("%s.disks_gib[%d]", p, j), "must be > 0")
			}
		}
		switch {
		case !versionPattern.MatchString(vl.ConfigVersion):
			c.add(p+".config_version", "%q is not a configuration version such as 9.0", vl.ConfigVersion)
		case !supports(hl.ConfigVersions, vl.ConfigVersion):
			c.add(p+".config_version", "%s is not supported by host %s (it runs %s)", vl.ConfigVersion, h.Name, strings.Join(hl.ConfigVersions, ", "))
		}
		for j, sw := range v.Switches {
			if !slices.ContainsFunc(hl.Switches, func(o string) bool { return strings.EqualFold(o, sw) }) {
				c.add(fmt.Sprintf("%s.switches[%d]", p, j), "switch %q does not exist on host %s (it has %s)", sw, h.Name, strings.Join(hl.Switches, ", "))
			}
		}
		for _, d := range vl.Disks {
			if StorageKindOf(d.Path) == KindLocal {
				for _, vol := range hl.Volumes {
					if UnderPath(d.Path, vol.Path) {
						need[strings.ToLower(h.Name)+"|"+volumeKey(vol.Path)] += d.FileGiB
						break
					}
				}
			} else if k := l.sharedKey(d.Path, h); k != "" {
				need[k] += d.FileGiB
			}
		}
	}
	for i, h := range s.Hosts {
		for j, vol := range l.Hosts[i].Volumes {
			if n := need[strings.ToLower(h.Name)+"|"+volumeKey(vol.Path)]; positive(vol.SizeGiB) && n > vol.SizeGiB+1e-9 {
				path := fmt.Sprintf("hosts[%d].volumes[%d].size_gib", i, j)
				if len(h.Volumes) == 0 {
					path = fmt.Sprintf("hosts[%d].volumes", i)
				}
				c.add(path, "local disks need %s GiB on %s but it holds %s GiB", formatGiB(n), vol.Path, formatGiB(vol.SizeGiB))
			}
		}
	}
	for i, sh := range s.Shares {
		if n := need[shareKey(sh.Path)]; positive(sh.SizeGiB) && n > sh.SizeGiB+1e-9 {
			c.add(fmt.Sprintf("shares[%d].size_gib", i), "disks need %s GiB on %s but it holds %s GiB", formatGiB(n), sh.Path, formatGiB(sh.SizeGiB))
		}
	}
	for i, cs := range s.CSVs {
		if n := need[csvKey(cs.Cluster, l.CSVs[i].Path)]; cs.SizeGiB > 0 && n > cs.SizeGiB+1e-9 {
			c.add(fmt.Sprintf("csvs[%d].size_gib", i), "disks need %s GiB on %s but it holds %s GiB", formatGiB(n), l.CSVs[i].Path, formatGiB(cs.SizeGiB))
		}
	}
}

// validateStorageValue checks that v's storage names a place its host h
// reaches, and that a clustered VM is on storage every node reaches.
func (s *FleetSpec) validateStorageValue(c *checker, p string, v *VMSpec, h *HostSpec, l Layout) {
	st := v.Storage
	switch {
	case st == "":
	case strings.EqualFold(st, StorageLocal):
		if v.Clustered {
			c.add(p+".storage", "a clustered VM must be on a CSV or a share its cluster's nodes reach, not local")
		}
	case strings.EqualFold(st, StorageCSV):
		if h.Cluster == "" {
			c.add(p+".storage", "host %s is in no cluster, so it has no CSV", h.Name)
		}
	case StorageKindOf(st) == KindSMB:
		i := slices.IndexFunc(l.Shares, func(sh ShareSpec) bool { return strings.EqualFold(volumeKey(sh.Path), volumeKey(st)) })
		switch {
		case i < 0 || len(s.Shares) == 0:
			c.add(p+".storage", "share %s is not declared in shares", st)
		case !slices.ContainsFunc(l.Shares[i].Hosts, func(o string) bool { return strings.EqualFold(o, h.Name) }):
			c.add(p+".storage", "host %s does not reach share %s", h.Name, st)
		case v.Clustered:
			for _, o := range s.Hosts {
				if strings.EqualFold(o.Cluster, h.Cluster) && !slices.ContainsFunc(l.Shares[i].Hosts, func(n string) bool { return strings.EqualFold(n, o.Name) }) {
					c.add(p+".storage", "clustered VM on share %s, which node %s of cluster %s does not reach", st, o.Name, h.Cluster)
					break
				}
			}
		}
	case StorageKindOf(st) == KindCSV:
		if !slices.ContainsFunc(s.CSVs, func(cs CSVSpec) bool { return strings.EqualFold(cs.Cluster, h.Cluster) }) ||
			!slices.ContainsFunc(l.CSVs, func(cs CSVSpec) bool {
				return strings.EqualFold(cs.Cluster, h.Cluster) && volumeKey(cs.Path) == volumeKey(st)
			}) {
			c.add(p+".storage", "%s is not a CSV of host %s's cluster", st, h.Name)
		}
	default:
		c.add(p+".storage", `must be local, csv, the path of a share (\\server\share) or of a CSV (C:\ClusterStorage\VolumeN)`)
	}
}
