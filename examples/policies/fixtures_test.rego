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

# round_input(f) is the input of a round over fleet f, with the fleet's tag
# index derived from its VMs as hvbalancer derives it: every input the tests
# build goes through here, so a rule reading the index sees the same VMs as
# one reading input.fleet.vms.
round_input(f) := {
	"now": monday_morning,
	"fleet": object.union(f, {"vms_by_tag": vms_by_tag(f.vms)}),
	"history": {"moves": [], "failures": []},
}

# vms_by_tag(vms) is input.fleet.vms_by_tag for the VMs vms: tag key ->
# value as written -> the IDs of the VMs carrying key=value, sorted.
vms_by_tag(vms) := {key: {value: sort([id | some id, vm in vms; vm.tags[key] == value]) |
	some value in {v | some vm in vms; v := vm.tags[key]}
} |
	some key in {k | some vm in vms; some k, _ in vm.tags}
}

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

# unindexed(given, key, value, id) is the input given with VM id left out
# of its tag index's key=value list, the VM's tags unchanged: an input
# hvbalancer never builds, which shows that a rule finds its VMs through
# the index rather than in every VM's tags.
unindexed(given, key, value, id) := object.union(given, {"fleet": {"vms_by_tag": {key: {value: [i |
	some i in given.fleet.vms_by_tag[key][value]
	i != id
]}}}})

test_fixture_tag_index_is_the_documented_shape if {
	round_input(fleet).fleet.vms_by_tag == {
		"role": {"sql": ["id-sql01"], "SQL": ["id-sql02"], "web": ["id-web01"], "app": ["id-clu01"]},
	}

	# IDs sorted in byte order (upper case first), values kept as written,
	# one list for each value.
	tagged := {
		"id-b": vm("b", "HV01", {"role": "Sql", "pin": "HV02"}),
		"ID-c": vm("c", "HV01", {"role": "Sql"}),
		"id-a": vm("a", "HV02", {"role": "sql"}),
	}
	vms_by_tag(tagged) == {
		"role": {"Sql": ["ID-c", "id-b"], "sql": ["id-a"]},
		"pin": {"HV02": ["id-b"]},
	}

	# A fleet with no tags has an empty index.
	vms_by_tag({"id-a": vm("a", "HV01", {})}) == {}
}
