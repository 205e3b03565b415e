package hvbalancer_test

import data.hvbalancer

test_no_penalty_within_a_group if {
	hvbalancer.penalty == 0 with input as candidate(fleet, "id-web01", "HV02", ["id-web01"])
}

test_cross_group_penalty if {
	hvbalancer.penalty == 5 with input as candidate(fleet, "id-web01", "HV03", ["id-web01"])
	f := with_host(fleet, "HV02", {"labels": {"rack": "c"}})
	hvbalancer.costs == {"cross_group": 5} with input as candidate(f, "id-web01", "HV02", ["id-web01"])
}

test_recent_migration_penalty if {
	f := with_vm(fleet, "id-web01", {"last_migration": "2026-01-04T10:00:00+01:00"})
	hvbalancer.penalty == 20 with input as candidate(f, "id-web01", "HV02", ["id-web01"])
	hvbalancer.penalty == 25 with input as candidate(f, "id-web01", "HV03", ["id-web01"])
}

test_old_migration_no_penalty if {
	f := with_vm(fleet, "id-web01", {"last_migration": "2026-01-04T09:00:00+01:00"})
	hvbalancer.penalty == 0 with input as candidate(f, "id-web01", "HV02", ["id-web01"])
}

test_penalties_from_data if {
	f := with_vm(fleet, "id-web01", {"last_migration": "2026-01-04T09:00:00+01:00"})
	s := {"penalties": {"cross_group": 1, "recent_migration_hours": 48}}
	hvbalancer.penalty == 21 with input as candidate(f, "id-web01", "HV03", ["id-web01"]) with data.hvbalancer_settings as s
}
