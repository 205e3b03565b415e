# data.hvbalancer.frozen: VMs that must not move at all, tagged in their
# Notes with hvbalancer=frozen or frozen=true (any case).
package hvbalancer

frozen contains id if {
	some id, vm in input.fleet.vms
	is_frozen(vm)
}

is_frozen(vm) if lower(vm.tags.hvbalancer) == "frozen"

is_frozen(vm) if lower(vm.tags.frozen) == "true"
