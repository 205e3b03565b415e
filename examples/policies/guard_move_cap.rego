# data.hvbalancer.deny, guard move_cap: a VM that has migrated
# guards.move_cap.max_moves_per_day times within the last 24 hours does not
# move again until the oldest of those moves is a day old. The penalty for
# a recent migration (penalty.rego) and the executor's cooldown slow a VM
# down; this is the hard stop for a VM the plans keep choosing, such as one
# whose load swings from host to host. Off unless the setting is a number
# (the default is off): the penalty and the cooldown are on already.
#
# The count is input.history.moves_by_vm, each VM's successful migrations
# of the last 24 hours counted over all of them, not history.moves, which
# lists only the newest of a busy day's.
#
# An evacuation of a host in maintenance is not refused: a rolling patch
# moves a VM once per host it sits on, and a deny would leave it on the
# host being taken down (the planner's evacuation request stays unmet).
# A new VM being placed has not moved and is not refused.
package hvbalancer

deny contains msg if {
	move_cap_reached[input.move.vm]
	input.move.from != ""
	msg := move_cap_refusal(input.move.vm, input.move.from)
}

# held: the same refusal for a VM where it is, decided once per session, so
# that the planner leaves the VM out of its search instead of asking about
# each of its destinations.
held[id]["guard move_cap"] := msg if {
	some id in move_cap_reached
	msg := move_cap_refusal(id, input.fleet.vms[id].host)
}

# move_cap_reached is the IDs of the VMs that have reached the limit (a
# number): found once per session from the VMs that moved today, and
# shared by the hold and by every candidate, whose deny is then one lookup
# that fails for any VM not in it, and for every VM while the guard is off.
move_cap_reached := {id |
	limit := settings.guards.move_cap.max_moves_per_day
	is_number(limit)
	some id, moves in input.history.moves_by_vm
	moves >= limit
}

# move_cap_refusal(id, from) is the refusal of any move of VM id from host
# from, undefined when the guard lets it move.
move_cap_refusal(id, from) := sprintf("%s: guard move_cap: %s in the last 24 hours (limit %d)", [
	vm_name(id), move_count_text(moves), limit,
]) if {
	limit := settings.guards.move_cap.max_moves_per_day
	is_number(limit)
	moves := input.history.moves_by_vm[id]
	moves >= limit
	not in_maintenance(from)
}

# move_count_text(n) is "1 move" or "n moves".
move_count_text(1) := "1 move"

move_count_text(n) := sprintf("%d moves", [n]) if n != 1
