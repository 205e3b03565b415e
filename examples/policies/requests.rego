# data.hvbalancer.requests: moves the policy demands. Only running VMs that
# are not frozen are requested (only they can be live-migrated).
package hvbalancer

# Evacuate every VM from a host in maintenance, except VMs pinned to it:
# those stay for the administrator to handle. The planner asks the same on
# its own for every running VM of a host in maintenance (flag, or label
# maintenance=true), whatever the policy; this rule names the reason, and
# the pin deny (affinity.rego) keeps a pinned VM where it is.
requests contains {
	"vm": id,
	"reason": sprintf("%s: evacuate %s (maintenance)", [vm_name(id), name]),
	"priority": settings.priorities.maintenance,
	"kind": "maintenance",
} if {
	some name in hosts_in_maintenance
	some id in input.fleet.hosts[name].vms
	vm := input.fleet.vms[id]
	movable(id)
	not pinned_to_own_host(vm)
}

pinned_to_own_host(vm) if pinned_host(vm) == vm.host

# Bring a pinned VM back to its host when that host can take it. The pins
# are read from the fleet's tag index, not from every VM: a pass over every
# VM costs OPA about 2 µs a VM, and the index lists only the pinned VMs, by
# the value of their pin. The host is found (as pinned_host finds it, without
# regard to case) and checked once for each value, not for each VM pinned to
# it.
requests contains {
	"vm": id,
	"to": pin,
	"reason": sprintf("%s: pinned to %s", [vm_name(id), pin]),
	"priority": settings.priorities.pin,
	"kind": "pin",
} if {
	some value, ids in input.fleet.vms_by_tag.pin
	pin := hosts_by_upper_name[upper(value)]
	input.fleet.hosts[pin].health == "ok"
	not in_maintenance(pin)
	some id in ids
	input.fleet.vms[id].host != pin
	movable(id)
}

# Repair anti-affinity: when VMs of one anti-affinity role share a host, all
# but the first (by ID) move; the planner chooses where. The kind names the
# role, so the planner counts the requests it cannot meet by role.
requests contains {
	"vm": id,
	"reason": sprintf("%s: anti-affinity role=%s with %s on %s", [vm_name(id), role, vm_name(ids[0]), name]),
	"priority": settings.priorities.anti_affinity,
	"kind": sprintf("anti-affinity role=%s", [role]),
} if {
	some [role, name], ids in anti_affinity_shared
	some id in array.slice(ids, 1, count(ids))
	movable(id)
}

# anti_affinity_shared[[role, host]] is the sorted IDs of the VMs of an
# anti-affinity role on a host that holds more than one of them. The
# comprehension closes over role and name only, so OPA evaluates it once and
# groups its results by them (comprehension indexing): one pass over the VMs
# of anti-affinity roles, however many hosts hold them.
anti_affinity_shared[[role, name]] := ids if {
	some [role, name] in anti_affinity_placed
	ids := sort([id | some id, r in anti_affinity_role_of; r == role; input.fleet.vms[id].host == name])
	count(ids) > 1
}

# anti_affinity_placed holds [role, host] for every VM of an anti-affinity
# role.
anti_affinity_placed contains [role, input.fleet.vms[id].host] if {
	some id, role in anti_affinity_role_of
}

anti_affinity_roles := {lower(r) | some r in settings.anti_affinity_roles}

# movable(id): VM id runs and is not frozen. frozen[id] asks about the one
# VM: a session evaluates the whole frozen set on another core while the
# requests run, and a VM asked about before it is done costs the frozen
# rules' bodies for that VM only. The VM's ID is the only argument: OPA
# keeps a function's result by its arguments, and hashing a VM's whole
# object as well cost each call more than the body.
movable(id) if {
	input.fleet.vms[id].state == "Running"
	not frozen[id]
}
