# Helpers the other files share: the candidate's VM and hosts, names for
# messages, tags.
package hvbalancer

# The VM and hosts of the candidate move being judged.
moving := input.fleet.vms[input.move.vm]

source := input.fleet.hosts[input.move.from]

dest := input.fleet.hosts[input.move.to]

# vm_name(id) is the VM's name for messages, or its ID if it has none.
vm_name(id) := name if {
	name := input.fleet.vms[id].name
	name != ""
} else := id

# role_of(vm) is the VM's role tag, lower-cased.
role_of(vm) := lower(vm.tags.role)

# in_maintenance(name): the host's maintenance flag is set, or it carries the
# label maintenance=true. A lookup in hosts_in_maintenance, found once per
# session: most hosts are not in maintenance, and a function's "no" is not
# kept, so asking the host's flag and label again cost every candidate.
in_maintenance(name) if name in hosts_in_maintenance

hosts_in_maintenance contains name if {
	some name, host in input.fleet.hosts
	host.maintenance
}

hosts_in_maintenance contains name if {
	some name, host in input.fleet.hosts
	lower(host.labels.maintenance) == "true"
}

# pinned_host(vm) is the host named by the VM's pin tag, matched without
# regard to case; undefined if that host is not in the fleet.
pinned_host(vm) := hosts_by_upper_name[upper(vm.tags.pin)]

hosts_by_upper_name := {upper(name): name | some name, _ in input.fleet.hosts}
