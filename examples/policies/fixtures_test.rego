# Fixtures the tests share: a small fleet and candidate inputs.
package hvbalancer_test

# Monday 09:00 and Saturday 09:00, local time (UTC+1).
monday_morning := "2026-01-05T09:00:00+01:00"

saturday_morning := "2026-01-10T09:00:00+01:00"

host(name, group, cluster) := {
	"name": name,
	"cluster": cluster,
	"group": group,
	"labels": {"rack": group},
	"health": "ok",
	"maintenance": false,
	"capacity": {"cpus": 32, "memory_bytes": 274877906944},
	"cpu": {"mean": 40, "p95": 50},
	"memory": {"mean": 50, "p95": 55},
	"vms": [],
	"processor_vendor": "GenuineIntel",
	"processor_model": "Intel64 Family 6 Model 106 Stepping 6",
	"config_versions": ["9.0", "10.0"],
	"switches": ["prod"],
	"vm_path": "D:\\Hyper-V",
	"vhd_path": "D:\\Hyper-V\\Virtual Hard Disks",
	"volumes": [{"path": "D:\\", "kind": "local", "size_bytes": 2199023255552, "free_bytes": 1099511627776}],
}

vm(name, host, tags) := {
	"name": name,
	"host": host,
	"state": "Running",
	"cpus": 4,
	"memory_bytes": 8589934592,
	"cpu": {"mean": 30, "p95": 40},
	"clustered": false,
	"notes": "",
	"tags": tags,
	"last_migration": "",
	"config_version": "9.0",
	"processor_compatibility": false,
	"switches": ["prod"],
	"path": "",
	"storage": "",
	"storage_bytes": 0,
}

# HV01..HV03 stand-alone (HV01, HV02 in rack-a, HV03 in rack-b); HV07 and
# HV08 form cluster CL01.
hosts := {
	"HV01": object.union(host("HV01", "rack-a", ""), {"vms": ["id-sql01", "id-web01"]}),
	"HV02": object.union(host("HV02", "rack-a", ""), {"vms": ["id-sql02"]}),
	"HV03": host("HV03", "rack-b", ""),
	"HV07": object.union(host("HV07", "rack-a", "CL01"), {"vms": ["id-clu01"]}),
	"HV08": host("HV08", "rack-b", "CL01"),
}

vms := {
	"id-sql01": vm("sql01", "HV01", {"role": "sql"}),
	"id-sql02": vm("sql02", "HV02", {"role": "SQL"}),
	"id-web01": vm("web01", "HV01", {"role": "web"}),
	"id-clu01": object.union(vm("clu01", "HV07", {"role": "app"}), {"clustered": true}),
}

fleet := {"hosts": hosts, "vms": vms}

round_input(f) := {"now": monday_morning, "fleet": f, "history": {"moves": [], "failures": []}}

# candidate(f, id, to, to_vms): the input while judging the move of VM id
# from its host to `to`, which would then hold to_vms, at 50 % CPU and
# memory.
candidate(f, id, to, to_vms) := object.union(round_input(f), {
	"move": {"vm": id, "from": f.vms[id].host, "to": to},
	"projected": {
		"from": {"cpu": 30, "memory": 40, "vms": []},
		"to": {"cpu": 50, "memory": 50, "vms": to_vms},
	},
})

# with_host(f, name, patch) and with_vm(f, id, patch) change one host or VM.
with_host(f, name, patch) := object.union(f, {"hosts": {name: patch}})

with_vm(f, id, patch) := object.union(f, {"vms": {id: patch}})

# placing(f, tags, to, to_vms): the input while judging the placement of a
# new VM (ID "new", no host yet) with tags on `to`, which would then hold
# to_vms.
placing(f, tags, to, to_vms) := object.union(
	candidate(with_vm(f, "new", vm("new01", "", tags)), "new", to, to_vms),
	{"move": {"from": ""}, "projected": {"from": {"cpu": 0, "memory": 0, "vms": []}}},
)
