package hvbalancer_test

import data.hvbalancer

test_frozen_by_tag if {
	f := with_vm(with_vm(fleet, "id-web01", {"tags": {"hvbalancer": "Frozen"}}), "id-sql02", {"tags": {"frozen": "true"}})
	hvbalancer.frozen == {"id-web01", "id-sql02"} with input as round_input(f)
}

test_not_frozen if {
	f := with_vm(fleet, "id-web01", {"tags": {"hvbalancer": "balance", "frozen": "false"}})
	count(hvbalancer.frozen) == 0 with input as round_input(f)
}

# The frozen VMs are found through the tag index, for values in any case:
# a VM whose tag the index does not list is not frozen.
test_frozen_from_the_tag_index_in_any_case if {
	f0 := with_vm(fleet, "id-web01", {"tags": {"hvbalancer": "Frozen"}})
	f1 := with_vm(f0, "id-sql01", {"tags": {"hvbalancer": "FROZEN"}})
	f := with_vm(f1, "id-sql02", {"tags": {"frozen": "TRUE"}})
	given := round_input(f)
	hvbalancer.frozen == {"id-web01", "id-sql01", "id-sql02"} with input as given
	hvbalancer.frozen == {"id-sql01", "id-sql02"} with input as unindexed(given, "hvbalancer", "Frozen", "id-web01")
	hvbalancer.frozen == {"id-web01", "id-sql01"} with input as unindexed(given, "frozen", "TRUE", "id-sql02")
}
