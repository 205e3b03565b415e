# data.hvbalancer.frozen: VMs that must not move at all, tagged in their
# Notes with hvbalancer=frozen or frozen=true (any case).
package hvbalancer

frozen contains id if {
	some id
	lower(input.fleet.vms[id].tags.hvbalancer) == "frozen"
}

frozen contains id if {
	some id
	lower(input.fleet.vms[id].tags.frozen) == "true"
}
