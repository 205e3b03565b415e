package hvbalancer_test

import data.hvbalancer

# web01 on local disks: a move of it copies 150 GiB.
local_fleet := with_vm(fleet, "id-web01", {"storage": "local", "storage_bytes": 161061273600})

limit_100 := {"business_hours": {"max_storage_move_gib": 100}}

test_large_storage_move_denied_in_business_hours if {
	c := candidate(local_fleet, "id-web01", "HV02", ["id-sql02", "id-web01"])
	hvbalancer.deny == {"web01: a storage move of 150 GiB in business hours (limit 100 GiB)"} with input as c
		with data.hvbalancer_settings as limit_100
}

test_large_storage_move_allowed_outside_business_hours if {
	c := candidate(local_fleet, "id-web01", "HV02", ["id-sql02", "id-web01"])
	count(hvbalancer.deny) == 0 with input as c with input.now as saturday_morning
		with data.hvbalancer_settings as limit_100
}

test_storage_move_within_the_limit_allowed if {
	f := with_vm(fleet, "id-web01", {"storage": "local", "storage_bytes": 107374182400}) # exactly 100 GiB
	c := candidate(f, "id-web01", "HV02", ["id-sql02", "id-web01"])
	count(hvbalancer.deny) == 0 with input as c with data.hvbalancer_settings as limit_100
}

test_shared_storage_never_refused if {
	f := with_vm(fleet, "id-web01", {"storage": "smb", "storage_bytes": 0})
	c := candidate(f, "id-web01", "HV02", ["id-sql02", "id-web01"])
	count(hvbalancer.deny) == 0 with input as c with data.hvbalancer_settings as {"business_hours": {"max_storage_move_gib": 0}}
}

test_off_by_default if {
	c := candidate(local_fleet, "id-web01", "HV02", ["id-sql02", "id-web01"])
	count(hvbalancer.deny) == 0 with input as c with data.hvbalancer_settings as {}
	hvbalancer.settings.business_hours.max_storage_move_gib == null with data.hvbalancer_settings as {}
}
