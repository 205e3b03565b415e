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
