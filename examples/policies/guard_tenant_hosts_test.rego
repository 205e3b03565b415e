package hvbalancer_test

import data.hvbalancer

# HV03 is reserved for tenant acme; web01 is acme's, sql02 nobody's.
tenant_fleet := with_vm(fleet, "id-web01", {"tags": {"role": "web", "tenant": "ACME"}})

acme_on_hv03 := {
	"host_groups": {"acme-hosts": ["hv03"]},
	"guards": {"tenant_hosts": {"acme-hosts": {"tenant": "acme"}}},
}

acme_confined := object.union(acme_on_hv03, {"guards": {"tenant_hosts": {"acme-hosts": {"confine": true}}}})

test_tenant_hosts_keep_other_vms_off if {
	c := candidate(tenant_fleet, "id-sql02", "HV03", ["id-sql02"])
	hvbalancer.deny == {"sql02: guard tenant_hosts: HV03 is reserved for tenant acme (host group acme-hosts)"} with input as c
		with data.hvbalancer_settings as acme_on_hv03
	f := with_vm(tenant_fleet, "id-sql02", {"tags": {"role": "sql", "tenant": "globex"}})
	hvbalancer.deny == {"sql02: guard tenant_hosts: HV03 is reserved for tenant acme (host group acme-hosts)"} with input as candidate(f, "id-sql02", "HV03", ["id-sql02"])
		with data.hvbalancer_settings as acme_on_hv03
}

test_tenant_hosts_take_the_tenants_vms if {
	c := candidate(tenant_fleet, "id-web01", "HV03", ["id-web01"])
	count(hvbalancer.deny) == 0 with input as c with data.hvbalancer_settings as acme_on_hv03
}

# Without confine the tenant's VMs may go elsewhere; with it they may not.
test_tenant_hosts_confine_the_tenant if {
	c := candidate(tenant_fleet, "id-web01", "HV02", ["id-sql02", "id-web01"])
	count(hvbalancer.deny) == 0 with input as c with data.hvbalancer_settings as acme_on_hv03
	hvbalancer.deny == {"web01: guard tenant_hosts: tenant acme stays on host group acme-hosts; HV02 is not in it"} with input as c
		with data.hvbalancer_settings as acme_confined
	count(hvbalancer.deny) == 0 with input as candidate(tenant_fleet, "id-web01", "HV03", ["id-web01"])
		with data.hvbalancer_settings as acme_confined
}

# Groups by label; a host in two reserved groups takes either tenant's VMs.
test_tenant_hosts_by_label_and_shared_hosts if {
	f := with_host(with_host(tenant_fleet, "HV03", {"labels": {"tenant": "acme"}}), "HV02", {"labels": {"tenant": "acme"}})
	s := {
		"host_groups": {"acme-hosts": {"label": {"tenant": "acme"}}, "globex-hosts": ["HV03"]},
		"guards": {"tenant_hosts": {"acme-hosts": {"tenant": "acme"}, "globex-hosts": {"tenant": "globex"}}},
	}
	hvbalancer.deny == {"sql01: guard tenant_hosts: HV03 is reserved for tenant acme, globex (host group acme-hosts, globex-hosts)"} with input as candidate(f, "id-sql01", "HV03", ["id-sql01"])
		with data.hvbalancer_settings as s
	g := with_vm(f, "id-sql01", {"tags": {"role": "sql", "tenant": "globex"}})
	count(hvbalancer.deny) == 0 with input as candidate(g, "id-sql01", "HV03", ["id-sql01"]) with data.hvbalancer_settings as s
	hvbalancer.deny == {"sql01: guard tenant_hosts: HV02 is reserved for tenant acme (host group acme-hosts)"} with input as candidate(g, "id-sql01", "HV02", ["id-sql01"])
		with data.hvbalancer_settings as s
}

# An evacuation does not lift the reservation.
test_tenant_hosts_hold_for_an_evacuation if {
	f := with_host(tenant_fleet, "HV02", {"maintenance": true})
	hvbalancer.deny == {"sql02: guard tenant_hosts: HV03 is reserved for tenant acme (host group acme-hosts)"} with input as candidate(f, "id-sql02", "HV03", ["id-sql02"])
		with data.hvbalancer_settings as acme_on_hv03
}

test_tenant_hosts_judge_a_new_vm if {
	f := with_vm(fleet, "new", object.union(vm("db9", "", {}), {"state": "Off"}))
	c := object.union(candidate(f, "new", "HV03", ["new"]), {"move": {"from": ""}})
	hvbalancer.deny == {"db9: guard tenant_hosts: HV03 is reserved for tenant acme (host group acme-hosts)"} with input as c
		with data.hvbalancer_settings as acme_on_hv03
	g := with_vm(fleet, "new", object.union(vm("db9", "", {"tenant": "acme"}), {"state": "Off"}))
	count(hvbalancer.deny) == 0 with input as object.union(candidate(g, "new", "HV03", ["new"]), {"move": {"from": ""}})
		with data.hvbalancer_settings as acme_confined
	hvbalancer.deny == {"db9: guard tenant_hosts: tenant acme stays on host group acme-hosts; HV01 is not in it"} with input as object.union(candidate(g, "new", "HV01", ["id-sql01", "id-web01", "new"]), {"move": {"from": ""}})
		with data.hvbalancer_settings as acme_confined
}

test_tenant_hosts_misspelled_group_denies_every_move if {
	s := {"host_groups": {"acme-hosts": ["HV03"]}, "guards": {"tenant_hosts": {"acme-host": {"tenant": "acme"}}}}
	hvbalancer.deny == {"web01: guard tenant_hosts: host group acme-host is not in host_groups"} with input as candidate(tenant_fleet, "id-web01", "HV02", ["id-sql02", "id-web01"])
		with data.hvbalancer_settings as s
	t := {"host_groups": {"acme-hosts": ["HV03"]}, "guards": {"tenant_hosts": {"acme-hosts": {"confine": true}}}}
	hvbalancer.deny == {"web01: guard tenant_hosts: host group acme-hosts names no tenant"} with input as candidate(tenant_fleet, "id-web01", "HV02", ["id-sql02", "id-web01"])
		with data.hvbalancer_settings as t
}

test_tenant_hosts_off_by_default if {
	c := candidate(tenant_fleet, "id-sql02", "HV03", ["id-sql02"])
	count(hvbalancer.deny) == 0 with input as c with data.hvbalancer_settings as {}
	count(hvbalancer.deny) == 0 with input as c with data.hvbalancer_settings as {"host_groups": {"acme-hosts": ["HV03"]}}
}
