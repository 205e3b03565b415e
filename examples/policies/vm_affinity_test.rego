package hvbalancer_test

import data.hvbalancer

# app01 (16 GiB) and db01 (8 GiB) keep together (together=app1), on HV01.
app_fleet := with_host(
	with_vm(
		with_vm(fleet, "id-app01", object.union(vm("app01", "HV01", {"together": "app1"}), {"memory_bytes": 17179869184})),
		"id-db01", vm("db01", "HV01", {"together": "App1"}),
	),
	"HV01", {"vms": ["id-app01", "id-db01", "id-sql01", "id-web01"]},
)

# split_fleet has db01 on HV02, away from app01.
split_fleet := with_host(
	with_host(with_vm(app_fleet, "id-db01", {"host": "HV02"}), "HV01", {"vms": ["id-app01", "id-sql01", "id-web01"]}),
	"HV02", {"vms": ["id-db01", "id-sql02"]},
)

test_affinity_denies_a_move_that_splits_a_group if {
	hvbalancer.deny == {"db01: affinity together=app1 keeps it with app01; HV03 holds none of them"} with input as candidate(app_fleet, "id-db01", "HV03", ["id-db01"])
	hvbalancer.deny == {"app01: affinity together=app1 keeps it with db01; HV02 holds none of them"} with input as candidate(app_fleet, "id-app01", "HV02", ["id-app01", "id-sql02"])
}

test_affinity_leaves_other_vms_alone if {
	count(hvbalancer.deny) == 0 with input as candidate(app_fleet, "id-web01", "HV02", ["id-sql02", "id-web01"])
}

test_affinity_allows_a_move_that_joins_the_group if {
	count(hvbalancer.deny) == 0 with input as candidate(split_fleet, "id-db01", "HV01", ["id-app01", "id-db01", "id-sql01", "id-web01"])
	count(hvbalancer.deny) == 0 with input as candidate(split_fleet, "id-app01", "HV02", ["id-app01", "id-db01", "id-sql02"])
}

test_affinity_repairs_a_split_group_towards_its_largest_vm if {
	hvbalancer.requests == {{
		"vm": "id-db01", "to": "HV01", "priority": 40, "kind": "affinity together=app1",
		"reason": "db01: affinity together=app1 with app01 on HV01",
	}} with input as round_input(split_fleet)
}

test_affinity_no_request_for_a_group_together if {
	count(hvbalancer.requests) == 0 with input as round_input(app_fleet)
}

test_affinity_largest_by_memory_then_cpus_then_id if {
	# Same memory: db01's 8 virtual processors make it the largest.
	f1 := with_vm(split_fleet, "id-db01", {"memory_bytes": 17179869184, "cpus": 8})
	hvbalancer.affinity_members == {"app1": ["id-db01", "id-app01"]} with input as round_input(f1)
	{r.vm | some r in hvbalancer.requests} == {"id-app01"} with input as round_input(f1)

	# Same memory and processors: the lower ID.
	f2 := with_vm(split_fleet, "id-db01", {"memory_bytes": 17179869184})
	hvbalancer.affinity_members == {"app1": ["id-app01", "id-db01"]} with input as round_input(f2)
}

test_affinity_repair_skips_stopped_and_frozen_vms if {
	count(hvbalancer.requests) == 0 with input as round_input(with_vm(split_fleet, "id-db01", {"state": "Off"}))
	count(hvbalancer.requests) == 0 with input as round_input(with_vm(split_fleet, "id-db01", {"tags": {"hvbalancer": "frozen"}}))
}

test_affinity_a_lone_vm_of_a_group_moves_freely if {
	f := with_vm(app_fleet, "id-db01", {"tags": {"together": "other"}})
	count(hvbalancer.deny) == 0 with input as candidate(f, "id-db01", "HV03", ["id-db01"])
	count(hvbalancer.requests) == 0 with input as round_input(f)
}

test_affinity_off_by_data if {
	off := {"vm_affinity": {"enabled": false}}
	count(hvbalancer.deny) == 0 with input as candidate(app_fleet, "id-db01", "HV03", ["id-db01"]) with data.hvbalancer_settings as off
	count(hvbalancer.requests) == 0 with input as round_input(split_fleet) with data.hvbalancer_settings as off
}

test_affinity_tag_key_from_data if {
	f := with_vm(with_vm(app_fleet, "id-app01", {"tags": {"app": "crm"}}), "id-db01", {"tags": {"app": "CRM"}})
	hvbalancer.deny == {"db01: affinity app=crm keeps it with app01; HV03 holds none of them"} with input as candidate(f, "id-db01", "HV03", ["id-db01"])
		with data.hvbalancer_settings as {"vm_affinity": {"tag": "app"}}
}

# A group leaves a host in maintenance: the first VM may go anywhere while
# the rest are still on the host; the next must follow it.
test_affinity_group_leaves_a_host_in_maintenance if {
	f := with_host(app_fleet, "HV01", {"maintenance": true})
	first := object.union(candidate(f, "id-app01", "HV03", ["id-app01"]), {"projected": {"from": {"vms": ["id-db01", "id-sql01", "id-web01"]}}})
	count(hvbalancer.deny) == 0 with input as first
	next := object.union(candidate(f, "id-db01", "HV02", ["id-db01", "id-sql02"]), {"projected": {"from": {"vms": ["id-sql01", "id-web01"]}}})
	hvbalancer.deny == {"db01: affinity together=app1 keeps it with app01; HV02 holds none of them"} with input as next
	follow := object.union(candidate(f, "id-db01", "HV03", ["id-app01", "id-db01"]), {"projected": {"from": {"vms": ["id-sql01", "id-web01"]}}})
	count(hvbalancer.deny) == 0 with input as follow
}

test_affinity_repair_waits_while_the_largest_vm_is_in_maintenance if {
	f := with_host(split_fleet, "HV01", {"maintenance": true})
	{r.kind | some r in hvbalancer.requests} == {"maintenance"} with input as round_input(f)
}

test_affinity_places_a_new_vm_with_its_group if {
	hvbalancer.deny == {"new01: affinity together=app1 keeps it with app01, db01; HV03 holds none of them"} with input as placing(app_fleet, {"together": "app1"}, "HV03", ["new"])
	count(hvbalancer.deny) == 0 with input as placing(app_fleet, {"together": "APP1"}, "HV01", ["id-app01", "id-db01", "id-sql01", "id-web01", "new"])
	count(hvbalancer.deny) == 0 with input as placing(app_fleet, {"together": "app9"}, "HV03", ["new"])
}

# A group's VMs are found through the tag index, its values in any case
# (app1, App1): a VM whose tag the index does not list is in no group.
test_affinity_groups_from_the_tag_index if {
	given := round_input(split_fleet)
	hvbalancer.affinity_group_of == {"id-app01": "app1", "id-db01": "app1"} with input as given
	count(hvbalancer.requests) == 1 with input as given
	hvbalancer.affinity_group_of == {"id-app01": "app1"} with input as unindexed(given, "together", "App1", "id-db01")
	count(hvbalancer.requests) == 0 with input as unindexed(given, "together", "App1", "id-db01")
}
