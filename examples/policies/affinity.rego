# data.hvbalancer.deny, placement rules from VM tags (key=value lines of the
# VM's Notes): anti-affinity by role, group affinity, pins.
package hvbalancer

# Two VMs of an anti-affinity role (settings.anti_affinity_roles) never share
# a host: not onto a host that would then hold another one. The VMs of each
# role are a table built once from the fleet (anti_affinity_vms), and
# object.filter picks those on the destination in Go: a candidate costs a
# lookup per VM of its destination there, not an evaluation step in Rego
# for each (a hundred VMs a host on a dense fleet).
deny contains sprintf("%s: anti-affinity role=%s with %s on %s", [vm_name(input.move.vm), role, vm_name(other), input.move.to]) if {
	role := anti_affinity_role_of[input.move.vm]
	some other, _ in object.filter(anti_affinity_vms[role], input.projected.to.vms)
	other != input.move.vm
}

# anti_affinity_role_of maps the ID of every VM of an anti-affinity role to
# that role, lower-cased: evaluated once per session and shared by every
# candidate and by the requests (requests.rego). It reads the fleet's tag
# index, not every VM: a pass over every VM costs OPA about 2 µs a VM, and
# the index lists the VMs of each role value as written, so each value is
# lower-cased and looked up once and only the VMs of anti-affinity roles are
# visited.
anti_affinity_role_of := {id: role |
	some raw, ids in input.fleet.vms_by_tag.role
	role := lower(raw)
	anti_affinity_roles[role]
	some id in ids
}

# anti_affinity_vms[role] holds the IDs of the VMs of an anti-affinity role
# as the keys of an object (what object.filter filters), built once per
# session.
anti_affinity_vms[role] := {id: true | some id, r in anti_affinity_role_of; r == role} if {
	some role in anti_affinity_roles
}

# A VM tagged group=X goes only to hosts of group X.
deny contains sprintf("%s: group=%s does not allow %s (group %s)", [vm_name(input.move.vm), want, input.move.to, group_name(dest)]) if {
	want := moving.tags.group
	lower(dest.group) != lower(want)
}

group_name(host) := host.group if host.group != ""

else := "none"

# A VM tagged pin=HOST moves only to HOST.
deny contains sprintf("%s: pinned to %s", [vm_name(input.move.vm), pin_name(moving)]) if {
	pin := moving.tags.pin
	upper(input.move.to) != upper(pin)
}

# pin_name(vm) is the host the VM is pinned to as the fleet spells it, or as
# the tag does if no such host exists.
pin_name(vm) := name if {
	name := pinned_host(vm)
} else := vm.tags.pin
