# data.hvbalancer.deny, guard large_vm: in business hours, no VM with more
# than guards.large_vm.max_memory_gib GiB of memory migrates. A live
# migration copies the VM's memory, and again the pages it writes
# meanwhile, so a large VM keeps the migration network busy for minutes and
# is the likeliest to pause its users at the switch-over; such moves wait
# for the evening. Off unless the setting is a number (the default is
# off): what is large depends on the migration network.
#
# Memory only. A VM on its host's own volumes also copies its disks, often
# ten times its memory: business_hours.max_storage_move_gib limits those
# (storage.rego), so that one limit is not too tight for disks or too loose
# for memory.
#
# An evacuation of a host in maintenance is not refused. The planner makes
# an evacuation request for every running VM of such a host whatever the
# policy; a deny leaves the request unmet and the VM on the host the
# administrator is about to patch or power off, who put it in maintenance
# to have it emptied now. The placement of a new VM (no source) copies
# nothing and is not refused either.
package hvbalancer

deny contains msg if {
	large_vms[input.move.vm]
	input.move.from != ""
	msg := large_vm_refusal(input.move.vm, input.move.from)
}

# held: the same refusal for a VM where it is, decided once per session, so
# that the planner leaves the VM out of its search instead of asking about
# each of its destinations.
held[id]["guard large_vm"] := msg if {
	some id in large_vms
	msg := large_vm_refusal(id, input.fleet.vms[id].host)
}

# large_vms is the IDs of the VMs over the limit while the guard refuses
# (a number set, in business hours), found once per session and shared by
# the hold and by every candidate. A candidate's deny is then one lookup
# that fails for any VM not in it, and for every VM while the guard is off,
# where asking large_vm_refusal cost each candidate a function's evaluation
# (a function's "no" is not kept). The fleet's largest VM is looked at
# first: collecting the memory of every VM and taking max costs a third
# less than comparing each VM with the limit in Rego, and where no VM is
# over the limit (the usual case) the comparisons are left out.
large_vms := {id |
	limit := settings.guards.large_vm.max_memory_gib
	is_number(limit)
	business_hours
	over := limit * gib
	max([memory | memory := input.fleet.vms[_].memory_bytes]) > over
	some id
	input.fleet.vms[id].memory_bytes > over
}

# large_vm_refusal(id, from) is the refusal of any move of VM id from host
# from, undefined when the guard lets it move.
large_vm_refusal(id, from) := sprintf("%s: guard large_vm: %v GiB of memory, over %v GiB, moves only outside business hours", [
	vm_name(id), round((memory * 10) / gib) / 10, limit,
]) if {
	limit := settings.guards.large_vm.max_memory_gib
	is_number(limit)
	memory := input.fleet.vms[id].memory_bytes
	memory > limit * gib
	business_hours
	not in_maintenance(from)
}
