package hvbalancer_test

import data.hvbalancer

move_cap_2 := {"guards": {"move_cap": {"max_moves_per_day": 2}}}

# moved(c, counts) is candidate input c with history.moves_by_vm counts.
moved(c, counts) := object.union(c, {"history": {"moves_by_vm": counts}})

test_move_cap_denies_a_vm_at_its_limit if {
	c := moved(candidate(fleet, "id-web01", "HV02", ["id-sql02", "id-web01"]), {"id-web01": 2, "id-sql01": 5})
	hvbalancer.deny == {"web01: guard move_cap: 2 moves in the last 24 hours (limit 2)"} with input as c
		with data.hvbalancer_settings as move_cap_2
}

test_move_cap_counts_one_move_in_the_singular if {
	c := moved(candidate(fleet, "id-web01", "HV02", ["id-sql02", "id-web01"]), {"id-web01": 1})
	hvbalancer.deny == {"web01: guard move_cap: 1 move in the last 24 hours (limit 1)"} with input as c
		with data.hvbalancer_settings as {"guards": {"move_cap": {"max_moves_per_day": 1}}}
}

test_move_cap_lets_a_vm_under_its_limit_move if {
	c := moved(candidate(fleet, "id-web01", "HV02", ["id-sql02", "id-web01"]), {"id-web01": 1, "id-sql01": 5})
	count(hvbalancer.deny) == 0 with input as c with data.hvbalancer_settings as move_cap_2
	d := moved(candidate(fleet, "id-web01", "HV02", ["id-sql02", "id-web01"]), {})
	count(hvbalancer.deny) == 0 with input as d with data.hvbalancer_settings as move_cap_2
}

# The count, not the list: a VM whose moves fell out of history.moves on a
# busy day is still held.
test_move_cap_reads_the_count_not_the_list if {
	c := moved(candidate(fleet, "id-web01", "HV02", ["id-sql02", "id-web01"]), {"id-web01": 3})
	count(c.history.moves) == 0
	hvbalancer.deny == {"web01: guard move_cap: 3 moves in the last 24 hours (limit 2)"} with input as c
		with data.hvbalancer_settings as move_cap_2
}

test_move_cap_lets_a_host_in_maintenance_be_emptied if {
	f := with_host(fleet, "HV01", {"maintenance": true})
	c := moved(candidate(f, "id-web01", "HV02", ["id-sql02", "id-web01"]), {"id-web01": 4})
	count(hvbalancer.deny) == 0 with input as c with data.hvbalancer_settings as move_cap_2
}

test_move_cap_never_refuses_placing_a_new_vm if {
	f := with_vm(fleet, "new", vm("db9", "", {}))
	c := moved(object.union(candidate(f, "new", "HV03", ["new"]), {"move": {"from": ""}}), {"new": 9})
	count(hvbalancer.deny) == 0 with input as c with data.hvbalancer_settings as {"guards": {"move_cap": {"max_moves_per_day": 0}}}
}

test_move_cap_off_by_default if {
	c := moved(candidate(fleet, "id-web01", "HV02", ["id-sql02", "id-web01"]), {"id-web01": 40})
	count(hvbalancer.deny) == 0 with input as c with data.hvbalancer_settings as {}
}

# held: the VMs at their limit are held for the session, with the deny's
# own message, and only they; a VM on a host in maintenance is not.
test_move_cap_holds_the_vms_at_their_limit if {
	f := with_host(fleet, "HV02", {"maintenance": true})
	r := moved(round_input(f), {"id-web01": 2, "id-sql02": 3, "id-clu01": 1, "gone": 7})
	hvbalancer.held == {"id-web01": {"guard move_cap": "web01: guard move_cap: 2 moves in the last 24 hours (limit 2)"}} with input as r
		with data.hvbalancer_settings as move_cap_2
}

test_move_cap_holds_nothing_when_off if {
	r := moved(round_input(fleet), {"id-web01": 40})
	count(hvbalancer.held) == 0 with input as r with data.hvbalancer_settings as {}
}
