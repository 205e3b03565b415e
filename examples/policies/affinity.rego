# data.hvbalancer.deny, placement rules from VM tags (key=value lines of the
# VM's Notes): anti-affinity by role, group affinity, pins.
package hvbalancer

# Two VMs of an anti-affinity role (settings.anti_affinity_roles) never share
# a host: not onto a host that would then hold another one.
deny contains sprintf("%s: anti-affinity role=%s with %s on %s", [vm_name(input.move.vm), role, vm_name(other), input.move.to]) if {
	role := lower(moving.tags.role)
	role in anti_affinity_roles
	some other in input.projected.to.vms
	lower(input.fleet.vms[other].tags.role) == role
	other != input.move.vm
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
	upper(input.move.to) != upper(moving.tags.pin)
}

# pin_name(vm) is the host the VM is pinned to as the fleet spells it, or as
# the tag does if no such host exists.
pin_name(vm) := name if {
	name := pinned_host(vm)
} else := vm.tags.pin
