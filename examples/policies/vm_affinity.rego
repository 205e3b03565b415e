# data.hvbalancer.deny and requests, VM-VM affinity (keep together): VMs
# tagged together=X (the tag key is settings.vm_affinity.tag) with the same
# X, without regard to case, form a group that runs on one host, such as an
# application server and its database. On by default: the tag is the switch,
# and a VM without it is not affected; vm_affinity.enabled false turns the
# rule off.
#
# A move, or the placement of a new VM of a group, goes only to a host that
# holds another VM of its group, so a group that runs together stays
# together and a split one only comes together. The planner moves one VM at
# a time, so a group does not move as a whole to balance the fleet: it stays
# where it is and other VMs move. One exception lets a group leave a host in
# maintenance: the first VM of the group to leave it, while the others are
# still there, may go to any host, and the others then follow it (that host
# now holds one of them).
#
# A group found split is repaired: every VM of the group that is not on the
# host of the group's largest VM is asked to move there (kind
# "affinity together=X"). The largest VM has the most memory, then the most
# virtual processors, then the lowest ID. The repair is judged as any move:
# if the host cannot take a VM (capacity, a pin), the request stays unmet and
# the plan counts it.
package hvbalancer

# affinity_group_of maps the ID of every VM carrying the affinity tag to its
# group (the tag's value, lower-cased), evaluated once per session and
# shared by every candidate. It reads the fleet's tag index, not every VM:
# a pass over every VM costs OPA about 2 µs a VM, and the index lists only
# the VMs carrying the tag, by value, so each value is lower-cased once.
affinity_group_of := {id: group |
	settings.vm_affinity.enabled == true
	key := lower(settings.vm_affinity.tag)
	some tag, ids in input.fleet.vms_by_tag[key]
	group := lower(tag)
	some id in ids
}

# affinity_members[group] is the IDs of the VMs of a group of two VMs or
# more, the largest first. The comprehension closes over group only, so OPA
# evaluates it once for all groups (comprehension indexing).
affinity_members[group] := [id | some [_, _, id] in ranked] if {
	some group in {g | some g in affinity_group_of}
	ranked := sort([[0 - vm.memory_bytes, 0 - vm.cpus, id] |
		some id, g in affinity_group_of
		g == group
		vm := input.fleet.vms[id]
	])
	count(ranked) > 1
}

# A VM of a group goes only to a host that would hold another VM of its
# group.
deny contains sprintf("%s: affinity %s=%s keeps it with %s; %s holds none of them", [
	vm_name(input.move.vm), settings.vm_affinity.tag, group,
	concat(", ", [vm_name(id) | some id in affinity_members[group]; id != input.move.vm]),
	input.move.to,
]) if {
	group := affinity_group_of[input.move.vm]
	affinity_members[group]
	not affinity_mate_on_destination(group)
	not affinity_group_leaves_maintenance(group)
}

# A lookup of the group's other VMs in the destination's list, not a pass
# over the destination's VMs in the policy: the group has a few VMs, the
# host a hundred.
affinity_mate_on_destination(group) if {
	some id in affinity_members[group]
	id != input.move.vm
	id in input.projected.to.vms
}

# The first VM of a group to leave a host in maintenance, while all the
# others are still on it, may go anywhere: the others follow it.
affinity_group_leaves_maintenance(group) if {
	input.move.from != ""
	in_maintenance(input.move.from)
	left := [id | some id in affinity_members[group]; id in input.projected.from.vms]
	count(left) == count(affinity_members[group]) - 1
}

# Repair a split group: each running VM of it that is not on the host of
# its largest VM moves there. A group whose largest VM is on a host in
# maintenance waits: that VM leaves first, and the others follow it.
requests contains {
	"vm": id,
	"to": host,
	"reason": sprintf("%s: affinity %s=%s with %s on %s", [vm_name(id), settings.vm_affinity.tag, group, vm_name(ids[0]), host]),
	"priority": settings.priorities.affinity,
	"kind": sprintf("affinity %s=%s", [settings.vm_affinity.tag, group]),
} if {
	some group, ids in affinity_members
	host := input.fleet.vms[ids[0]].host
	host != ""
	not in_maintenance(host)
	some id in array.slice(ids, 1, count(ids))
	vm := input.fleet.vms[id]
	vm.host != host
	vm.host != ""
	movable(id)
}
