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
# label maintenance=true.
in_maintenance(name) if input.fleet.hosts[name].maintenance

in_maintenance(name) if lower(input.fleet.hosts[name].labels.maintenance) == "true"

# pinned_host(vm) is the host named by the VM's pin tag, matched without
# regard to case; undefined if that host is not in the fleet.
pinned_host(vm) := hosts_by_upper_name[upper(vm.tags.pin)]

hosts_by_upper_name := {upper(name): name | some name, _ in input.fleet.hosts}
