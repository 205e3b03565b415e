package policy

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
)

// goldenInput is a small fleet on a Monday morning that exercises every rule
// of the shipped policy: a hot host, a host in maintenance, a stale host, a
// cluster, an anti-affinity conflict, frozen, pinned, grouped and recently
// migrated VMs.
func goldenInput() *Input {
	host := func(name, group, cluster string, cpus int, memGiB int64, cpu, mem float64) Host {
		return Host{
			Name: name, Cluster: cluster, Group: group,
			Labels: map[string]string{"rack": strings.TrimPrefix(group, "rack-")},
			Health: "ok", Capacity: Capacity{CPUs: cpus, MemoryBytes: memGiB * gib},
			CPU: CPULoad{Mean: cpu, P95: cpu + 5}, Memory: LoadStat{Mean: mem, P95: mem + 2},
		}
	}
	hosts := []Host{
		host("HV01", "rack-a", "", 32, 192, 88, 80),
		host("HV02", "rack-a", "", 32, 160, 35, 50),
		host("HV03", "rack-b", "", 64, 512, 20, 30),
		host("HV04", "rack-b", "", 64, 512, 10, 20),
		host("HV05", "rack-b", "", 16, 64, 60, 84),
		host("HV07", "rack-a", "CL01", 64, 512, 30, 40),
		host("HV08", "rack-b", "CL01", 32, 256, 25, 35),
	}
	hosts[1].Maintenance = true
	hosts[3].Health = "stale"
	in := &Input{
		Now:   "2026-01-05T09:00:00+01:00",
		Fleet: Fleet{Hosts: map[string]Host{}, VMs: map[string]VM{}},
		History: History{
			Moves:    []Event{{VM: "0011-web", From: "HV02", To: "HV01", At: "2026-01-05T07:00:00+01:00"}},
			Failures: []Event{{VM: "0003-web", From: "HV01", To: "HV05", At: "2026-01-05T06:00:00+01:00", Error: "0x8007000E"}},
		},
	}
	add := func(id, name, host string, cpus int, memGiB int64, cpu float64, notes string) {
		tags := map[string]string{}
		for line := range strings.SplitSeq(notes, "\n") {
			if k, v, ok := strings.Cut(line, "="); ok {
				tags[k] = v
			}
		}
		in.Fleet.VMs[id] = VM{Name: name, Host: host, State: "Running", CPUs: cpus, MemoryBytes: memGiB * gib,
			CPU: CPULoad{Mean: cpu, P95: cpu + 10}, Notes: notes, Tags: tags}
		for i := range hosts {
			if hosts[i].Name == host {
				hosts[i].VMs = append(hosts[i].VMs, id)
			}
		}
	}
	add("0001-sql", "sql01", "HV01", 8, 64, 70, "role=sql")
	add("0002-sql", "sql02", "HV01", 8, 32, 60, "role=sql\nenv=prod")
	add("0003-web", "web01", "HV01", 2, 4, 90, "role=web")
	add("0004-web", "web02", "HV02", 2, 4, 40, "role=web")
	add("0005-dc", "dc01", "HV02", 2, 8, 10, "role=dc\nhvbalancer=frozen")
	add("0006-app", "app01", "HV03", 4, 16, 50, "role=app\npin=hv01")
	add("0007-lab", "lab01", "HV03", 4, 8, 20, "role=lab\ngroup=rack-b")
	add("0008-app", "app02", "HV07", 4, 16, 30, "role=app")
	add("0009-old", "old01", "HV02", 2, 4, 0, "role=file")
	add("0010-sql", "sql03", "HV08", 8, 32, 40, "role=sql")
	add("0011-web", "web03", "HV01", 2, 4, 80, "role=web")
	change := func(id string, f func(*VM)) {
		v := in.Fleet.VMs[id]
		f(&v)
		in.Fleet.VMs[id] = v
	}
	change("0008-app", func(v *VM) { v.Clustered = true })
	change("0009-old", func(v *VM) { v.State = "Off" })
	change("0011-web", func(v *VM) { v.LastMigration = "2026-01-05T07:00:00+01:00" })
	for _, h := range hosts {
		in.Fleet.Hosts[h.Name] = h
	}
	return in
}

// candidates are every move of a running VM to every other host, in a
// fixed order.
func candidates(in *Input) []Move {
	var out []Move
	for _, id := range slices.Sorted(maps.Keys(in.Fleet.VMs)) {
		v := in.Fleet.VMs[id]
		if v.State != "Running" {
			continue
		}
		for _, h := range slices.Sorted(maps.Keys(in.Fleet.Hosts)) {
			if h != v.Host {
				out = append(out, Move{VM: id, From: v.Host, To: h})
			}
		}
	}
	return out
}

// generatedInput is a fleet of hosts and VMs spread over them, with the tags
// the shipped policy reads: roles (some sql), groups, a few pins, frozen and
// clustered VMs. Hosts come in racks of eight; every fourth rack is a
// failover cluster.
func generatedInput(hosts, vms int, seed uint64) *Input {
	rng := rand.New(rand.NewPCG(seed, seed))
	in := &Input{Now: "2026-01-05T10:00:00+01:00", Fleet: Fleet{Hosts: map[string]Host{}, VMs: map[string]VM{}}}
	names := make([]string, hosts)
	for i := range hosts {
		name := fmt.Sprintf("HV%03d", i+1)
		names[i] = name
		rack := fmt.Sprintf("rack-%c", 'a'+i/8)
		cluster := ""
		if (i/8)%4 == 3 {
			cluster = fmt.Sprintf("CL%02d", i/8)
		}
		cpu := 20 + rng.Float64()*70
		in.Fleet.Hosts[name] = Host{
			Name: name, Cluster: cluster, Group: rack, Labels: map[string]string{"rack": rack[5:]},
			Health: "ok", Capacity: Capacity{CPUs: 64, MemoryBytes: 1024 * gib},
			CPU: CPULoad{Mean: cpu, P95: cpu + 5}, Memory: LoadStat{Mean: 30 + rng.Float64()*50, P95: 90},
		}
	}
	roles := []string{"sql", "web", "web", "app", "app", "app", "file", "dc", "lab", "build"}
	for i := range vms {
		id := fmt.Sprintf("%08x-0000-4000-8000-%012x", i, rng.Uint64()>>16)
		hn := names[rng.IntN(hosts)]
		h := in.Fleet.Hosts[hn]
		tags := map[string]string{"role": roles[rng.IntN(len(roles))], "env": "prod"}
		switch rng.IntN(50) {
		case 0:
			tags["pin"] = names[rng.IntN(hosts)]
		case 1:
			tags["hvbalancer"] = "frozen"
		case 2, 3:
			tags["group"] = h.Group
		}
		cpu := rng.Float64() * 100
		in.Fleet.VMs[id] = VM{
			Name: fmt.Sprintf("%s-%05d", tags["role"], i), Host: hn, State: "Running",
			CPUs: 1 << rng.IntN(4), MemoryBytes: int64(1+rng.IntN(32)) * gib,
			CPU: CPULoad{Mean: cpu, P95: min(cpu+10, 100)}, Clustered: h.Cluster != "" && rng.IntN(2) == 0,
			Notes: "role=" + tags["role"], Tags: tags,
		}
		h.VMs = append(h.VMs, id)
		in.Fleet.Hosts[hn] = h
	}
	for name, h := range in.Fleet.Hosts {
		slices.Sort(h.VMs)
		in.Fleet.Hosts[name] = h
	}
	return in
}
