# data.hvbalancer.deny, storage rule: in business hours, no move copies more
# than business_hours.max_storage_move_gib GiB of a VM's disks. A VM on its
# host's own volumes moves with its disks (shared-nothing live migration),
# which keeps the migration network and both hosts' disks busy for minutes;
# such moves wait for the evening. Off while the setting is null (the
# default); a VM on shared storage copies nothing and is never refused here.
package hvbalancer

deny contains sprintf("%s: a storage move of %v GiB in business hours (limit %v GiB)", [
	vm_name(input.move.vm), round((bytes * 10) / gib) / 10, limit,
]) if {
	limit := settings.business_hours.max_storage_move_gib
	is_number(limit)
	business_hours
	bytes := input.fleet.vms[input.move.vm].storage_bytes
	bytes > limit * gib
}

gib := 1073741824
