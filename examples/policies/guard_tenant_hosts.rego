# data.hvbalancer.deny, guard tenant_hosts: host groups reserved for one
# tenant. guards.tenant_hosts maps a host group (host_groups) to
# {"tenant": T}: a VM not tagged tenant=T (the value without regard to
# case) does not move onto, or get placed on, a host of that group. With
# "confine": true the tenant's VMs also stay on the hosts reserved for it:
# they go nowhere else. Off while no group is named (the default).
#
# Both hold for every move, an evacuation of a host in maintenance too: a
# reservation is isolation the tenant is promised (licences, compliance),
# which a maintenance window does not lift. A VM that finds no allowed host
# stays where it is, and the plan counts its request unmet. A host in two
# reserved groups takes the VMs of either tenant.
package hvbalancer

deny contains sprintf("%s: guard tenant_hosts: %s is reserved for tenant %s (host group %s)", [
	vm_name(input.move.vm), input.move.to,
	concat(", ", sort(r.tenants)), concat(", ", sort(r.groups)),
]) if {
	r := tenant_hosts_reserved[input.move.to]
	not r.tenants[lower(object.get(moving.tags, "tenant", ""))]
}

deny contains sprintf("%s: guard tenant_hosts: tenant %s stays on host group %s; %s is not in it", [
	vm_name(input.move.vm), tenant, concat(", ", sort(tenant_hosts_confined[tenant])), input.move.to,
]) if {
	tenant := lower(moving.tags.tenant)
	tenant_hosts_confined[tenant]
	not tenant_hosts_reserved[input.move.to].tenants[tenant]
}

# tenant_hosts_reserved[name] is, for a host of a reserved group, the
# tenants it is reserved for (lower-cased) and the groups that reserve it.
# Built once per session from the host groups, as one object: a candidate's
# lookup of a host no group reserves finds nothing there, where a rule per
# host would be evaluated again for it.
tenant_hosts_reserved := {name: {"tenants": tenants, "groups": groups} |
	some name in {n | some group, _ in settings.guards.tenant_hosts; some n in host_group_hosts[group]}
	reserving := {group | some group, _ in settings.guards.tenant_hosts; host_group_hosts[group][name]}
	tenants := {lower(settings.guards.tenant_hosts[group].tenant) | some group in reserving}
	groups := {group | some group in reserving}
}

# tenant_hosts_confined[tenant] is the groups a confined tenant stays on.
tenant_hosts_confined[tenant] := {group |
	some group, r in settings.guards.tenant_hosts
	lower(r.tenant) == tenant
} if {
	some _, reserved in settings.guards.tenant_hosts
	reserved.confine == true
	tenant := lower(reserved.tenant)
}

# A reservation naming a group that host_groups does not define, or no
# tenant, denies every move and placement with what is wrong: left alone,
# a misspelled group would silently reserve nothing.
deny contains sprintf("%s: guard tenant_hosts: %s", [vm_name(input.move.vm), problem]) if {
	some problem in tenant_hosts_problems
}

tenant_hosts_problems contains sprintf("host group %v is not in host_groups", [group]) if {
	some group, _ in settings.guards.tenant_hosts
	not settings.host_groups[group]
}

tenant_hosts_problems contains sprintf("host group %v names no tenant", [group]) if {
	some group, r in settings.guards.tenant_hosts
	not is_string(object.get(r, "tenant", null))
}
