package hvbalancer_test

import data.hvbalancer

test_anti_affinity_denies_a_second_sql_vm if {
	hvbalancer.deny == {"sql02: anti-affinity role=sql with sql01 on HV01"} with input as candidate(fleet, "id-sql02", "HV01", ["id-sql01", "id-sql02", "id-web01"])
}

test_anti_affinity_allows_a_host_without_sql if {
	count(hvbalancer.deny) == 0 with input as candidate(fleet, "id-sql02", "HV03", ["id-sql02"])
	count(hvbalancer.deny) == 0 with input as candidate(fleet, "id-web01", "HV02", ["id-sql02", "id-web01"])
}

test_group_tag_limits_destinations if {
	f := with_vm(fleet, "id-web01", {"tags": {"group": "rack-b"}})
	hvbalancer.deny == {"web01: group=rack-b does not allow HV02 (group rack-a)"} with input as candidate(f, "id-web01", "HV02", ["id-web01"])
	count(hvbalancer.deny) == 0 with input as candidate(f, "id-web01", "HV03", ["id-web01"])
}

test_group_tag_denies_hosts_without_group if {
	f := with_host(with_vm(fleet, "id-web01", {"tags": {"group": "rack-b"}}), "HV03", {"group": ""})
	hvbalancer.deny == {"web01: group=rack-b does not allow HV03 (group none)"} with input as candidate(f, "id-web01", "HV03", ["id-web01"])
}

test_pin_denies_every_other_host if {
	f := with_vm(fleet, "id-web01", {"tags": {"pin": "hv03"}})
	hvbalancer.deny == {"web01: pinned to HV03"} with input as candidate(f, "id-web01", "HV02", ["id-web01"])
	count(hvbalancer.deny) == 0 with input as candidate(f, "id-web01", "HV03", ["id-web01"])
}

test_pin_to_a_host_not_in_the_fleet_denies_every_move if {
	f := with_vm(fleet, "id-web01", {"tags": {"pin": "hv99"}})
	hvbalancer.deny == {"web01: pinned to hv99"} with input as candidate(f, "id-web01", "HV02", ["id-web01"])
}

test_anti_affinity_denies_by_role_without_regard_to_case if {
	f := with_vm(fleet, "id-sql02", {"tags": {"role": "SQL"}})
	hvbalancer.deny == {"sql02: anti-affinity role=sql with sql01 on HV01"} with input as candidate(f, "id-sql02", "HV01", ["id-sql01", "id-sql02"])
}

test_anti_affinity_names_every_vm_of_the_role_on_the_destination if {
	f := with_vm(fleet, "id-sql03", vm("sql03", "HV03", {"role": "sql"}))
	hvbalancer.deny == {
		"sql02: anti-affinity role=sql with sql01 on HV01",
		"sql02: anti-affinity role=sql with sql03 on HV01",
	} with input as candidate(f, "id-sql02", "HV01", ["id-sql01", "id-sql02", "id-sql03", "id-web01"])
}

test_anti_affinity_ignores_roles_not_configured if {
	count(hvbalancer.deny) == 0 with input as candidate(fleet, "id-sql02", "HV01", ["id-sql01", "id-sql02"]) with data.hvbalancer_settings as {"anti_affinity_roles": ["dc"]}
}

# The VMs of a role are found through the tag index, whatever the case of
# each value (sql, SQL, Sql): a VM whose role the index does not list has
# none for anti-affinity.
test_anti_affinity_roles_from_the_tag_index_in_mixed_case if {
	f := with_vm(fleet, "id-sql03", vm("sql03", "HV03", {"role": "Sql"}))
	given := candidate(f, "id-sql03", "HV01", ["id-sql01", "id-sql02", "id-sql03", "id-web01"])
	hvbalancer.anti_affinity_role_of == {"id-sql01": "sql", "id-sql02": "sql", "id-sql03": "sql"} with input as given
	hvbalancer.deny == {
		"sql03: anti-affinity role=sql with sql01 on HV01",
		"sql03: anti-affinity role=sql with sql02 on HV01",
	} with input as given
	hvbalancer.deny == {"sql03: anti-affinity role=sql with sql01 on HV01"} with input as unindexed(given, "role", "SQL", "id-sql02")
}
