package hvbalancer_test

import data.hvbalancer

test_no_requests_for_a_healthy_fleet if {
	count(hvbalancer.requests) == 0 with input as round_input(fleet)
}

test_evacuate_host_in_maintenance if {
	f := with_host(fleet, "HV01", {"maintenance": true})
	hvbalancer.requests == {
		{"vm": "id-sql01", "reason": "sql01: evacuate HV01 (maintenance)", "priority": 100, "kind": "maintenance"},
		{"vm": "id-web01", "reason": "web01: evacuate HV01 (maintenance)", "priority": 100, "kind": "maintenance"},
	} with input as round_input(f)
}

test_evacuate_by_label_skips_stopped_frozen_and_pinned_vms if {
	f0 := with_host(fleet, "HV01", {"labels": {"maintenance": "true"}})
	f1 := with_vm(f0, "id-sql01", {"state": "Off"})
	f2 := with_vm(f1, "id-web01", {"tags": {"hvbalancer": "frozen"}})
	count(hvbalancer.requests) == 0 with input as round_input(f2)
	f3 := with_vm(f1, "id-web01", {"tags": {"pin": "HV01"}})
	count(hvbalancer.requests) == 0 with input as round_input(f3)
}

test_pinned_vm_goes_back if {
	f := with_vm(fleet, "id-web01", {"tags": {"pin": "hv03"}})
	hvbalancer.requests == {{"vm": "id-web01", "to": "HV03", "reason": "web01: pinned to HV03", "priority": 80, "kind": "pin"}} with input as round_input(f)
}

test_pinned_vm_stays_when_its_host_cannot_take_it if {
	f := with_vm(fleet, "id-web01", {"tags": {"pin": "HV03"}})
	count(hvbalancer.requests) == 0 with input as round_input(with_host(f, "HV03", {"health": "stale"}))
	count(hvbalancer.requests) == 0 with input as round_input(with_host(f, "HV03", {"maintenance": true}))
	count(hvbalancer.requests) == 0 with input as round_input(with_vm(fleet, "id-web01", {"tags": {"pin": "HV01"}}))
}

test_repair_anti_affinity_moves_all_but_the_first if {
	f0 := with_vm(fleet, "id-sql02", {"host": "HV01"})
	f1 := with_vm(f0, "id-sql03", vm("sql03", "HV01", {"role": "sql"}))
	f := with_host(f1, "HV01", {"vms": ["id-sql01", "id-sql02", "id-sql03", "id-web01"]})
	hvbalancer.requests == {
		{"vm": "id-sql02", "reason": "sql02: anti-affinity role=sql with sql01 on HV01", "priority": 50, "kind": "anti-affinity role=sql"},
		{"vm": "id-sql03", "reason": "sql03: anti-affinity role=sql with sql01 on HV01", "priority": 50, "kind": "anti-affinity role=sql"},
	} with input as round_input(f)
}

test_anti_affinity_only_for_configured_roles if {
	f := with_host(with_vm(fleet, "id-sql02", {"host": "HV01"}), "HV01", {"vms": ["id-sql01", "id-sql02"]})
	count(hvbalancer.requests) == 0 with input as round_input(f) with data.hvbalancer_settings as {"anti_affinity_roles": ["dc"]}
}

test_anti_affinity_splits_each_role_on_each_host if {
	f0 := with_vm(fleet, "id-sql02", {"host": "HV01"})
	f1 := with_vm(f0, "id-dc01", vm("dc01", "HV01", {"role": "DC"}))
	f2 := with_vm(f1, "id-dc02", vm("dc02", "HV01", {"role": "dc"}))
	f3 := with_vm(f2, "id-dc03", vm("dc03", "HV02", {"role": "dc"}))
	f := with_host(f3, "HV01", {"vms": ["id-dc01", "id-dc02", "id-sql01", "id-sql02", "id-web01"]})
	hvbalancer.requests == {
		{"vm": "id-sql02", "reason": "sql02: anti-affinity role=sql with sql01 on HV01", "priority": 50, "kind": "anti-affinity role=sql"},
		{"vm": "id-dc02", "reason": "dc02: anti-affinity role=dc with dc01 on HV01", "priority": 50, "kind": "anti-affinity role=dc"},
	} with input as round_input(f) with data.hvbalancer_settings as {"anti_affinity_roles": ["sql", "DC"]}
}

test_anti_affinity_leaves_a_lone_vm_of_the_role if {
	f := with_vm(fleet, "id-dc01", vm("dc01", "HV02", {"role": "dc"}))
	count(hvbalancer.requests) == 0 with input as round_input(f) with data.hvbalancer_settings as {"anti_affinity_roles": ["sql", "dc"]}
}

# The pinned VMs are found through the tag index, each value naming its
# host in any case: a VM whose pin the index does not list is not asked
# back.
test_pin_requests_from_the_tag_index if {
	f := with_vm(with_vm(fleet, "id-web01", {"tags": {"pin": "hv03"}}), "id-sql02", {"tags": {"pin": "HV03"}})
	given := round_input(f)
	hvbalancer.requests == {
		{"vm": "id-web01", "to": "HV03", "reason": "web01: pinned to HV03", "priority": 80, "kind": "pin"},
		{"vm": "id-sql02", "to": "HV03", "reason": "sql02: pinned to HV03", "priority": 80, "kind": "pin"},
	} with input as given
	hvbalancer.requests == {{"vm": "id-sql02", "to": "HV03", "reason": "sql02: pinned to HV03", "priority": 80, "kind": "pin"}} with input as unindexed(given, "pin", "hv03", "id-web01")
}
