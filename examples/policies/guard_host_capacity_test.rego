package hvbalancer_test

import data.hvbalancer

capacity_3_vms := {"guards": {"host_capacity": {"max_vms": 3}}}

# 24 GiB: three of the fixture's 8 GiB VMs.
capacity_24_gib := {"guards": {"host_capacity": {"max_memory_gib": 24}}}

test_host_capacity_denies_a_vm_over_the_count if {
	c := candidate(fleet, "id-web01", "HV02", ["id-clu01", "id-sql01", "id-sql02", "id-web01"])
	hvbalancer.deny == {"web01: guard host_capacity: HV02 would hold 4 VMs (limit 3)"} with input as c
		with data.hvbalancer_settings as capacity_3_vms
	d := candidate(fleet, "id-web01", "HV02", ["id-sql01", "id-sql02", "id-web01"])
	count(hvbalancer.deny) == 0 with input as d with data.hvbalancer_settings as capacity_3_vms
}

test_host_capacity_denies_memory_over_the_limit if {
	f := with_vm(fleet, "id-web01", {"memory_bytes": 12884901888}) # 12 GiB
	c := candidate(f, "id-web01", "HV02", ["id-sql01", "id-sql02", "id-web01"])
	hvbalancer.deny == {"web01: guard host_capacity: HV02 would hold 28 GiB of VM memory (limit 24 GiB)"} with input as c
		with data.hvbalancer_settings as capacity_24_gib
	d := candidate(fleet, "id-web01", "HV02", ["id-sql01", "id-sql02", "id-web01"])
	count(hvbalancer.deny) == 0 with input as d with data.hvbalancer_settings as capacity_24_gib
}

# A VM that is off has no memory assigned: it counts as a VM, not as memory.
test_host_capacity_counts_assigned_memory if {
	f := with_vm(with_vm(fleet, "id-sql01", {"state": "Off", "memory_bytes": 0}), "id-web01", {"memory_bytes": 12884901888})
	c := candidate(f, "id-web01", "HV02", ["id-sql01", "id-sql02", "id-web01"])
	count(hvbalancer.deny) == 0 with input as c with data.hvbalancer_settings as capacity_24_gib
	hvbalancer.deny == {"web01: guard host_capacity: HV02 would hold 3 VMs (limit 2)"} with input as c
		with data.hvbalancer_settings as {"guards": {"host_capacity": {"max_vms": 2, "max_memory_gib": 24}}}
}

# Evacuating a host in maintenance: its VMs go only to hosts under the caps.
test_host_capacity_holds_for_an_evacuation if {
	f := with_host(fleet, "HV01", {"maintenance": true})
	c := candidate(f, "id-web01", "HV02", ["id-clu01", "id-sql01", "id-sql02", "id-web01"])
	hvbalancer.deny == {"web01: guard host_capacity: HV02 would hold 4 VMs (limit 3)"} with input as c
		with data.hvbalancer_settings as capacity_3_vms
}

# A new VM counts on its destination, with the memory the request asks for.
test_host_capacity_holds_for_a_new_vm if {
	f := with_vm(fleet, "new", object.union(vm("db9", "", {}), {"state": "Off", "memory_bytes": 17179869184}))
	c := object.union(candidate(f, "new", "HV02", ["id-sql02", "new"]), {"move": {"from": ""}})
	hvbalancer.deny == {"db9: guard host_capacity: HV02 would hold 24 GiB of VM memory (limit 16 GiB)"} with input as c
		with data.hvbalancer_settings as {"guards": {"host_capacity": {"max_memory_gib": 16}}}
	hvbalancer.deny == {"db9: guard host_capacity: HV02 would hold 2 VMs (limit 1)"} with input as c
		with data.hvbalancer_settings as {"guards": {"host_capacity": {"max_vms": 1}}}
	count(hvbalancer.deny) == 0 with input as c with data.hvbalancer_settings as capacity_24_gib
}

test_host_capacity_off_by_default if {
	c := candidate(fleet, "id-web01", "HV02", ["id-clu01", "id-sql01", "id-sql02", "id-web01"])
	count(hvbalancer.deny) == 0 with input as c with data.hvbalancer_settings as {}
	count(hvbalancer.deny) == 0 with input as c with data.hvbalancer_settings as {"guards": {"host_capacity": {"max_vms": null}}}
}

# HV02 in a group of small hosts: its caps are the group's, the other
# hosts' the fleet-wide ones; of two groups, the lower cap wins.
test_host_capacity_by_host_group if {
	s := {
		"host_groups": {"small": ["HV02"], "rack-a": {"label": {"rack": "rack-a"}}},
		"guards": {"host_capacity": {"max_vms": 3, "groups": {"small": {"max_vms": 1, "max_memory_gib": 64}, "rack-a": {"max_vms": 2}}}},
	}
	hvbalancer.deny == {"web01: guard host_capacity: HV02 would hold 2 VMs (limit 1)"} with input as candidate(fleet, "id-web01", "HV02", ["id-sql02", "id-web01"])
		with data.hvbalancer_settings as s
	count(hvbalancer.deny) == 0 with input as candidate(fleet, "id-web01", "HV03", ["id-clu01", "id-sql02", "id-web01"])
		with data.hvbalancer_settings as s
	hvbalancer.deny == {"sql01: guard host_capacity: HV07 would hold 3 VMs (limit 2)"} with input as candidate(fleet, "id-sql01", "HV07", ["id-clu01", "id-sql01", "id-web01"])
		with data.hvbalancer_settings as object.union(s, {"standalone_into_cluster": true})
}

test_host_capacity_misspelled_group_denies_every_move if {
	s := {"host_groups": {"small": ["HV02"]}, "guards": {"host_capacity": {"groups": {"smal": {"max_vms": 1}}}}}
	hvbalancer.deny == {"web01: guard host_capacity: host group smal is not in host_groups"} with input as candidate(fleet, "id-web01", "HV03", ["id-web01"])
		with data.hvbalancer_settings as s
}

# A move planned before this one took sql01 off HV02's list and put clu01
# on it: the cap counts the VMs the destination would hold, not the ones it
# holds now.
test_host_capacity_counts_the_moves_planned_before if {
	f := with_host(with_vm(fleet, "id-web01", {"memory_bytes": 12884901888}), "HV02", {"vms": ["id-sql01", "id-sql02"]})
	c := candidate(f, "id-web01", "HV02", ["id-clu01", "id-sql02", "id-web01"])
	hvbalancer.deny == {"web01: guard host_capacity: HV02 would hold 28 GiB of VM memory (limit 24 GiB)"} with input as c
		with data.hvbalancer_settings as capacity_24_gib
	g := with_vm(f, "id-clu01", {"memory_bytes": 2147483648}) # 2 GiB in place of sql01's 8
	count(hvbalancer.deny) == 0 with input as candidate(g, "id-web01", "HV02", ["id-clu01", "id-sql02", "id-web01"])
		with data.hvbalancer_settings as capacity_24_gib
	hvbalancer.deny == {"web01: guard host_capacity: HV02 would hold 28 GiB of VM memory (limit 24 GiB)"} with input as candidate(g, "id-web01", "HV02", ["id-sql01", "id-sql02", "id-web01"])
		with data.hvbalancer_settings as capacity_24_gib
}

# The planner sums the destination's VM memory as it projects a candidate
# (projected.to.vm_memory_bytes): the guard takes that sum, and gives the
# same verdicts as its own sum over the VMs.
test_host_capacity_takes_the_planners_memory_sum if {
	f := with_vm(fleet, "id-web01", {"memory_bytes": 12884901888}) # 12 GiB
	c := candidate(f, "id-web01", "HV02", ["id-sql01", "id-sql02", "id-web01"])
	summed := object.union(c, {"projected": {"to": {"vm_memory_bytes": 30064771072}}}) # 28 GiB
	hvbalancer.deny == {"web01: guard host_capacity: HV02 would hold 28 GiB of VM memory (limit 24 GiB)"} with input as summed
		with data.hvbalancer_settings as capacity_24_gib
	d := candidate(fleet, "id-web01", "HV02", ["id-sql01", "id-sql02", "id-web01"])
	under := object.union(d, {"projected": {"to": {"vm_memory_bytes": 25769803776}}}) # 24 GiB
	count(hvbalancer.deny) == 0 with input as under with data.hvbalancer_settings as capacity_24_gib

	# The sum is what the guard reads: a larger one than the VMs' denies.
	over := object.union(d, {"projected": {"to": {"vm_memory_bytes": 32212254720}}}) # 30 GiB
	hvbalancer.deny == {"web01: guard host_capacity: HV02 would hold 30 GiB of VM memory (limit 24 GiB)"} with input as over
		with data.hvbalancer_settings as capacity_24_gib
}
