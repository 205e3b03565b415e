package hvbalancer_test

import data.hvbalancer

# gpu01 (role=GPU) runs on HV01; HV01 and HV02 are the gpu group, HV03 and
# HV08 (label rack=rack-b) the rack_b group.
gpu_fleet := with_host(
	with_vm(fleet, "id-gpu01", vm("gpu01", "HV01", {"role": "GPU"})),
	"HV01", {"vms": ["id-gpu01", "id-sql01", "id-web01"]},
)

gpu_groups := {"gpu": ["hv01", "HV02", "HV99"], "rack_b": {"label": {"rack": "RACK-B"}}}

# vm_host_settings(type) has one rule of that type: role=gpu VMs and the
# gpu group.
vm_host_settings(type) := {
	"host_groups": gpu_groups,
	"vm_host_rules": [{"name": "gpu-rule", "vms": {"tag": "role=gpu"}, "hosts": "gpu", "type": type}],
}

test_host_groups_by_name_and_by_label if {
	hvbalancer.host_group_hosts == {"gpu": {"HV01", "HV02"}, "rack_b": {"HV03", "HV08"}} with input as round_input(fleet)
		with data.hvbalancer_settings as {"host_groups": gpu_groups}
}

test_host_group_by_several_labels_needs_them_all if {
	f := with_host(fleet, "HV03", {"labels": {"gpu": "yes"}})
	groups := {"g": {"label": {"rack": "rack-b", "gpu": "YES"}}}
	hvbalancer.host_group_hosts == {"g": {"HV03"}} with input as round_input(f) with data.hvbalancer_settings as {"host_groups": groups}
}

test_vm_host_rules_on_by_tag if {
	s := {"vm_host_rules": [
		{"name": "a", "vms": {"tag": "role=gpu"}, "hosts": "gpu", "type": "must_run_on"},
		{"name": "b", "vms": {"tag": " role = SQL "}, "hosts": "gpu", "type": "must_run_on"},
		{"name": "c", "vms": {"tag": "Tier=gold"}, "hosts": "gpu", "type": "should_not_run_on"},
	]}

	# clu01's tier is another rule's role: no rule of either applies to it.
	f := with_vm(
		with_vm(gpu_fleet, "id-sql01", vm("sql01", "HV01", {"role": "sql", "tier": "GOLD"})),
		"id-clu01", vm("clu01", "HV07", {"role": "app", "tier": "sql"}),
	)
	on := {id: object.keys(hvbalancer.vm_host_rules_on(v)) | some id, v in f.vms} with data.hvbalancer_settings as s
	on == {"id-gpu01": {0}, "id-sql01": {1, 2}, "id-sql02": {1}, "id-web01": set(), "id-clu01": set()}
}

test_no_vm_host_rules_by_default if {
	count(hvbalancer.deny) == 0 with input as candidate(gpu_fleet, "id-gpu01", "HV03", ["id-gpu01"])
	count(hvbalancer.requests) == 0 with input as round_input(gpu_fleet)
}

test_broken_vm_host_rule_denies_every_move if {
	c := candidate(gpu_fleet, "id-web01", "HV02", ["id-sql02", "id-web01"])
	hvbalancer.deny == {"web01: vm_host_rule gpu-rule: host group gpx is not in host_groups"} with input as c
		with data.hvbalancer_settings as {"host_groups": gpu_groups, "vm_host_rules": [{"name": "gpu-rule", "vms": {"tag": "role=gpu"}, "hosts": "gpx", "type": "must_run_on"}]}
	hvbalancer.deny == {"web01: vm_host_rule gpu-rule: type must_run is not one of must_not_run_on, must_run_on, should_not_run_on, should_run_on"} with input as c
		with data.hvbalancer_settings as vm_host_settings("must_run")
	hvbalancer.deny == {"web01: vm_host_rule gpu-rule: vms.tag role is not key=value"} with input as c
		with data.hvbalancer_settings as {"host_groups": gpu_groups, "vm_host_rules": [{"name": "gpu-rule", "vms": {"tag": "role"}, "hosts": "gpu", "type": "must_run_on"}]}
	hvbalancer.deny == {"web01: vm_host_rule #1: it has no name"} with input as c
		with data.hvbalancer_settings as {"host_groups": gpu_groups, "vm_host_rules": [{"vms": {"tag": "role=gpu"}, "hosts": "gpu", "type": "must_run_on"}]}
}
