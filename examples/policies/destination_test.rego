package hvbalancer_test

import data.hvbalancer

test_healthy_destination_allowed if {
	count(hvbalancer.deny) == 0 with input as candidate(fleet, "id-web01", "HV02", ["id-sql02", "id-web01"])
}

test_unhealthy_destination_denied if {
	f := with_host(fleet, "HV02", {"health": "stale"})
	hvbalancer.deny == {"web01: destination HV02 is stale"} with input as candidate(f, "id-web01", "HV02", ["id-web01"])
}

test_destination_in_maintenance_denied if {
	f := with_host(fleet, "HV02", {"labels": {"maintenance": "true"}})
	hvbalancer.deny == {"web01: destination HV02 is in maintenance"} with input as candidate(f, "id-web01", "HV02", ["id-web01"])
}

test_destination_over_thresholds_denied if {
	c := candidate(fleet, "id-web01", "HV02", ["id-web01"])
	hot := object.union(c, {"projected": {"to": {"cpu": 80.04, "memory": 91.5}}})
	hvbalancer.deny == {
		"web01: HV02 would reach CPU 80% (limit 75%)",
		"web01: HV02 would reach memory 91.5% (limit 85%)",
	} with input as hot with input.now as saturday_morning
}

test_destination_at_thresholds_allowed if {
	c := candidate(fleet, "id-web01", "HV02", ["id-web01"])
	edge := object.union(c, {"projected": {"to": {"cpu": 75, "memory": 85}}})
	count(hvbalancer.deny) == 0 with input as edge
}

test_dense_destination_below_its_source_allowed if {
	c := candidate(fleet, "id-web01", "HV02", ["id-web01"])
	dense := object.union(c, {"projected": {"from": {"cpu": 84}, "to": {"cpu": 80.04}}})
	count(hvbalancer.deny) == 0 with input as dense with input.now as saturday_morning
	busier := object.union(c, {"projected": {"from": {"cpu": 79}, "to": {"cpu": 80.04}}})
	hvbalancer.deny == {"web01: HV02 would reach CPU 80% (limit 75%)"} with input as busier with input.now as saturday_morning
}
