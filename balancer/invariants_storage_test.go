package balancer_test

import (
	"path"
	"strings"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/hyperv"
)

// checkStorageAndCompatibility re-checks every move of a plan against the
// documented compatibility and storage limits, from scratch: the same
// processor vendor, model unless the VM has processor compatibility, its
// configuration version and switches on the destination (unknown data
// refusing nothing); a VM with a file on a local volume moves its disks
// into the destination's storage path, whose volume keeps the reserve after
// every storage move into it; otherwise nothing is copied, a CSV stays in
// its cluster and a share must be among the destination's volumes.
func checkStorageAndCompatibility(t tb, s *collector.Snapshot, cfg balancer.Config, p *balancer.Plan) {
	t.Helper()
	hosts := map[string]*collector.Host{}
	for i := range s.Hosts {
		hosts[s.Hosts[i].Name] = &s.Hosts[i]
	}
	vms := map[string]*collector.VM{}
	for i := range s.VMs {
		vms[s.VMs[i].ID] = &s.VMs[i]
	}
	model := func(c string) string {
		c = strings.Join(strings.Fields(c), " ")
		if i := strings.Index(strings.ToLower(c), " stepping"); i >= 0 {
			return c[:i]
		}
		return c
	}
	kind := func(k, path string) hyperv.StorageKind {
		if k != "" {
			return hyperv.StorageKind(k)
		}
		return hyperv.StorageKindOf(path)
	}
	share := func(path string) string {
		parts := strings.SplitN(strings.TrimLeft(strings.ToLower(path), `\`), `\`, 3)
		return strings.Join(parts[:min(2, len(parts))], `\`)
	}
	planned := map[string]int64{}
	for i, m := range p.Moves {
		v, from, to := vms[m.VM], hosts[m.From], hosts[m.To]
		if v == nil || from == nil || to == nil {
			continue
		}
		if from.ProcessorVendor != "" && to.ProcessorVendor != "" && from.ProcessorVendor != to.ProcessorVendor {
			t.Errorf("move %d: %s from a %s host to a %s one", i, m.VM, from.ProcessorVendor, to.ProcessorVendor)
		}
		if !v.ProcessorCompatibility && model(from.ProcessorModel) != "" && model(to.ProcessorModel) != "" && model(from.ProcessorModel) != model(to.ProcessorModel) {
			t.Errorf("move %d: %s from %q to %q without processor compatibility", i, m.VM, from.ProcessorModel, to.ProcessorModel)
		}
		if v.ConfigVersion != "" && len(to.ConfigVersions) > 0 && !contains(to.ConfigVersions, v.ConfigVersion, false) {
			t.Errorf("move %d: %s has version %s, %s runs %v", i, m.VM, v.ConfigVersion, m.To, to.ConfigVersions)
		}
		for _, sw := range v.Switches {
			if len(to.Switches) > 0 && !contains(to.Switches, sw, true) {
				t.Errorf("move %d: %s uses switch %s, %s has %v", i, m.VM, sw, m.To, to.Switches)
			}
		}
		type file struct{ kind, path string }
		var files []file
		if v.Path != "" {
			files = append(files, file{"", v.Path})
		}
		var bytes int64
		for _, d := range v.Disks {
			files = append(files, file{d.Kind, d.Path})
			bytes += d.FileSize
		}
		local, csv := false, false
		for _, f := range files {
			switch kind(f.kind, f.path) {
			case hyperv.StorageLocal:
				local = true
			case hyperv.StorageCSV:
				csv = true
			}
		}
		if !local {
			if m.StoragePath != "" || m.StorageBytes != 0 {
				t.Errorf("move %d: %s on shared storage copies %d to %q", i, m.VM, m.StorageBytes, m.StoragePath)
			}
			if csv && (from.Cluster == "" || from.Cluster != to.Cluster) {
				t.Errorf("move %d: %s on a CSV of %q moves to %q", i, m.VM, from.Cluster, to.Cluster)
			}
			continue
		}
		want := cfg.StoragePaths[m.To]
		if want == "" {
			want = to.VHDPath
		}
		if want == "" {
			want = to.VMPath
		}
		// Its own folder under the storage path: its name, or its ID.
		if dir, leaf := path.Split(strings.ReplaceAll(m.StoragePath, `\`, "/")); strings.TrimSuffix(dir, "/") != strings.ReplaceAll(strings.TrimRight(want, `\`), `\`, "/") ||
			leaf != m.VMName && leaf != m.VM || m.StorageBytes != bytes {
			t.Errorf("move %d: %s copies %d to %q, want %d to its own folder in %q", i, m.VM, m.StorageBytes, m.StoragePath, bytes, want)
			continue
		}
		var vols []hyperv.Volume
		for _, vol := range to.Volumes {
			vols = append(vols, hyperv.Volume{Path: vol.Path, Kind: kind(vol.Kind, vol.Path), Free: vol.Free})
		}
		vol, ok := hyperv.VolumeOf(vols, want)
		if !ok {
			t.Errorf("move %d: %s copies to %q, on no volume of %s", i, m.VM, want, m.To)
			continue
		}
		key := m.To + "|" + strings.ToLower(vol.Path)
		switch vol.Kind {
		case hyperv.StorageSMB:
			key = share(vol.Path)
		case hyperv.StorageCSV:
			key = to.Cluster + "|" + strings.ToLower(vol.Path)
		}
		planned[key] += bytes
		if vol.Free-planned[key] < cfg.StorageReserveBytes {
			t.Errorf("move %d: volume %s of %s left with %d bytes, reserve %d", i, vol.Path, m.To, vol.Free-planned[key], cfg.StorageReserveBytes)
		}
	}
}

func contains(list []string, s string, fold bool) bool {
	for _, x := range list {
		if x == s || (fold && strings.EqualFold(x, s)) {
			return true
		}
	}
	return false
}
