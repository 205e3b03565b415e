# data.hvbalancer.deny, storage rule: in business hours, no move copies more
# than business_hours.max_storage_move_gib GiB of a VM's disks. A VM on its
# host's own volumes moves with its disks (shared-nothing live migration),
# which keeps the migration network and both hosts' disks busy for minutes;
# such moves wait for the evening. Off while the setting is null (the
# default); a VM on shared storage copies nothing and is never refused here.
package hvbalancer

deny contains msg if {
	limit := storage_limit_bytes
	input.fleet.vms[input.move.vm].storage_bytes > limit
	msg := storage_refusal(input.move.vm)
}

# storage_limit_bytes is the limit in bytes while it applies (a number, in
# business hours), undefined otherwise. A rule without arguments keeps its
# value, or that it has none, for the session: a candidate's deny costs a
# lookup while the limit is off, and a comparison while it is on, where
# asking storage_refusal cost each candidate a function's evaluation (a
# function's "no" is not kept).
storage_limit_bytes := limit * gib if {
	limit := settings.business_hours.max_storage_move_gib
	is_number(limit)
	business_hours
}

# No held rule here, though the refusal depends on the VM alone: with a
# limit that refuses many VMs (a twelfth of a benchmark fleet at 300 GiB),
# writing a reason for each of them at the start of every round costs more
# than the planner saves by not judging the few of them its search reaches.
# storage_refusal(id) is the refusal of any move of VM id, undefined when
# the limit lets it move.
storage_refusal(id) := sprintf("%s: a storage move of %v GiB in business hours (limit %v GiB)", [
	vm_name(id), round((bytes * 10) / gib) / 10, limit,
]) if {
	limit := settings.business_hours.max_storage_move_gib
	is_number(limit)
	business_hours
	bytes := input.fleet.vms[id].storage_bytes
	bytes > limit * gib
}

gib := 1073741824
