package hvbalancer_test

import data.hvbalancer

# web01 has 48 GiB of memory; the guard's limit is 32 GiB.
large_fleet := with_vm(fleet, "id-web01", {"memory_bytes": 51539607552})

large_vm_32 := {"guards": {"large_vm": {"max_memory_gib": 32}}}

test_large_vm_denied_in_business_hours if {
	c := candidate(large_fleet, "id-web01", "HV02", ["id-sql02", "id-web01"])
	hvbalancer.deny == {"web01: guard large_vm: 48 GiB of memory, over 32 GiB, moves only outside business hours"} with input as c
		with data.hvbalancer_settings as large_vm_32
}

test_large_vm_moves_outside_business_hours if {
	c := candidate(large_fleet, "id-web01", "HV02", ["id-sql02", "id-web01"])
	count(hvbalancer.deny) == 0 with input as c with input.now as saturday_morning
		with data.hvbalancer_settings as large_vm_32
}

test_vm_at_the_limit_moves if {
	f := with_vm(fleet, "id-web01", {"memory_bytes": 34359738368}) # exactly 32 GiB
	c := candidate(f, "id-web01", "HV02", ["id-sql02", "id-web01"])
	count(hvbalancer.deny) == 0 with input as c with data.hvbalancer_settings as large_vm_32
}

# Memory only: disks a VM on local storage copies are storage.rego's.
test_large_vm_counts_memory_not_disks if {
	f := with_vm(fleet, "id-web01", {"storage": "local", "storage_bytes": 536870912000})
	c := candidate(f, "id-web01", "HV02", ["id-sql02", "id-web01"])
	count(hvbalancer.deny) == 0 with input as c with data.hvbalancer_settings as large_vm_32
}

# A host in maintenance (flag or label) is emptied in business hours too.
test_large_vm_leaves_a_host_in_maintenance if {
	c := candidate(with_host(large_fleet, "HV01", {"maintenance": true}), "id-web01", "HV02", ["id-sql02", "id-web01"])
	count(hvbalancer.deny) == 0 with input as c with data.hvbalancer_settings as large_vm_32
	d := candidate(with_host(large_fleet, "HV01", {"labels": {"maintenance": "true"}}), "id-web01", "HV02", ["id-sql02", "id-web01"])
	count(hvbalancer.deny) == 0 with input as d with data.hvbalancer_settings as large_vm_32
}

# Placing a new VM copies no memory: a large one is placed in business hours.
test_large_vm_placed_in_business_hours if {
	f := with_vm(fleet, "new", object.union(vm("db9", "", {}), {"state": "Off", "memory_bytes": 68719476736}))
	c := object.union(candidate(f, "new", "HV03", ["new"]), {"move": {"from": ""}})
	count(hvbalancer.deny) == 0 with input as c with data.hvbalancer_settings as large_vm_32
}

test_large_vm_off_by_default if {
	c := candidate(large_fleet, "id-web01", "HV02", ["id-sql02", "id-web01"])
	count(hvbalancer.deny) == 0 with input as c with data.hvbalancer_settings as {}
	count(hvbalancer.deny) == 0 with input as c with data.hvbalancer_settings as {"guards": {"large_vm": {"max_memory_gib": null}}}
}

# held: in business hours the large VMs are held for the session, with the
# deny's own message; outside them, on a host in maintenance, or with the
# guard off, none is.
test_large_vm_holds_the_large_vms_in_business_hours if {
	hvbalancer.held == {"id-web01": {"guard large_vm": "web01: guard large_vm: 48 GiB of memory, over 32 GiB, moves only outside business hours"}} with input as round_input(large_fleet)
		with data.hvbalancer_settings as large_vm_32
	count(hvbalancer.held) == 0 with input as round_input(large_fleet) with input.now as saturday_morning
		with data.hvbalancer_settings as large_vm_32
	count(hvbalancer.held) == 0 with input as round_input(with_host(large_fleet, "HV01", {"maintenance": true}))
		with data.hvbalancer_settings as large_vm_32
	count(hvbalancer.held) == 0 with input as round_input(large_fleet) with data.hvbalancer_settings as {}
}

# A VM held by two rules is held by both, each with its own reason.
test_a_vm_held_by_two_rules_names_both if {
	r := moved(round_input(large_fleet), {"id-web01": 2})
	held := hvbalancer.held with input as r
		with data.hvbalancer_settings as object.union(large_vm_32, move_cap_2)
	object.keys(held["id-web01"]) == {"guard large_vm", "guard move_cap"}
}
