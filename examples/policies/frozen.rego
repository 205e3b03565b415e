# data.hvbalancer.frozen: VMs that must not move at all, tagged in their
# Notes with hvbalancer=frozen or frozen=true (any case).
package hvbalancer

frozen contains id if frozen_by_tag[id]

# frozen_by_tag is the VMs the two tags freeze, one set built once per
# session from the fleet's tag index, not from every VM: a pass over every
# VM costs OPA about 2 µs a VM (the two rules that read every VM took
# 27-35 ms on 8,000 VMs), and the index lists only the VMs that carry the
# tag, under each value as written, so each value is lower-cased once. One
# set, because movable(id) asks frozen about one VM at a time: a lookup in
# the set costs the same however many VMs are frozen, where finding the VM
# in the index's lists costs a comparison with each ID listed.
frozen_by_tag := {id |
	some value, ids in input.fleet.vms_by_tag.hvbalancer
	lower(value) == "frozen"
	some id in ids
} | {id |
	some value, ids in input.fleet.vms_by_tag.frozen
	lower(value) == "true"
	some id in ids
}
