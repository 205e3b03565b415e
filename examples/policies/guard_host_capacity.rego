# data.hvbalancer.deny, guard host_capacity: no move or placement leaves a
# host with more than guards.host_capacity.max_vms VMs, or more than
# guards.host_capacity.max_memory_gib GiB of memory assigned to its VMs,
# counting the moves planned before it. The load thresholds (destination
# rego) keep a host's measured use in bounds; these caps bound what one
# host failure takes down, or what a host's licence or hardware is sized
# for, whatever the load. Each cap is off unless it is a number (the
# default is off: the right numbers depend on the hosts).
#
# guards.host_capacity.groups gives other caps to the hosts of a host group
# (host_groups): {"<group>": {"max_vms": K, "max_memory_gib": N}}.
#
# A VM's memory is its assigned memory (memory_bytes): a VM that is off
# counts none, a new VM being placed what the request asks for. VMs count
# whatever their state.
#
# The caps judge the destination, so they hold for every move: balancing,
# the policy's requests, the evacuation of a host in maintenance (whose VMs
# go to hosts under their caps, or stay, unmet, when none is) and the
# placement of a new VM.
package hvbalancer

deny contains sprintf("%s: guard host_capacity: %s would hold %d VMs (limit %d)", [
	vm_name(input.move.vm), input.move.to, n, limit,
]) if {
	limit := host_capacity_limits[input.move.to].max_vms
	n := count(input.projected.to.vms)
	n > limit
}

deny contains sprintf("%s: guard host_capacity: %s would hold %v GiB of VM memory (limit %v GiB)", [
	vm_name(input.move.vm), input.move.to, round((bytes * 10) / gib) / 10, limit,
]) if {
	limit := host_capacity_limits[input.move.to].max_memory_gib
	bytes := host_capacity_memory_after
	bytes > limit * gib
}

# host_capacity_memory_after is the memory assigned to the VMs the
# candidate's destination would hold. The planner sums it as it projects
# the candidate (input.projected.to.vm_memory_bytes): one lookup, where the
# sum over a destination's hundred VMs was most of what this guard cost a
# candidate. An input without it (a test's, a caller's that did not sum)
# gets the same sum here: where no move planned before it touched the
# destination (it would hold its VMs and the candidate's), the
# destination's sum, built once per session, and the candidate VM's; else
# the sum over the VMs it would hold.
host_capacity_memory_after := bytes if {
	bytes := input.projected.to.vm_memory_bytes
} else := host_vm_memory[input.move.to] + moving.memory_bytes if {
	input.projected.to.vms == sort(array.concat(dest.vms, [input.move.vm]))
} else := sum([input.fleet.vms[id].memory_bytes | some id in input.projected.to.vms])

# host_vm_memory[name] is the memory assigned to the VMs on host name,
# evaluated once per session for each host a candidate looks up (a rule per
# host keeps the value it found; only a key it lacks is evaluated again).
host_vm_memory[name] := sum([input.fleet.vms[id].memory_bytes | some id in host.vms]) if {
	some name, host in input.fleet.hosts
}

# host_capacity_limits[name] holds the caps on host name that are numbers:
# for each of max_vms and max_memory_gib, the lowest a host group of
# guards.host_capacity.groups that holds the host sets, else the fleet-wide
# value of guards.host_capacity. Built once per session from the fleet's
# hosts and the host groups: one object, so that a candidate's lookup of a
# host without caps (every host, while the guard is off) finds nothing
# there, where a rule per host would be evaluated again for it.
host_capacity_limits := {name: limits |
	caps := settings.guards.host_capacity
	some name, _ in input.fleet.hosts
	limits := {key: value |
		some key in ["max_vms", "max_memory_gib"]
		value := host_capacity_limit(caps, name, key)
	}
	count(limits) > 0
}

host_capacity_limit(caps, name, key) := min(by_group) if {
	by_group := [n |
		some group, limits in caps.groups
		host_group_hosts[group][name]
		n := limits[key]
		is_number(n)
	]
	count(by_group) > 0
} else := caps[key] if is_number(caps[key])

# A cap naming a group that host_groups does not define denies every move
# and placement: left alone, a misspelled group would silently cap nothing.
deny contains sprintf("%s: guard host_capacity: host group %v is not in host_groups", [vm_name(input.move.vm), group]) if {
	some group in host_capacity_unknown_groups
}

# host_capacity_unknown_groups is the groups guards.host_capacity.groups
# names that host_groups does not define: found once per session, where the
# deny above would look for them again for every candidate.
host_capacity_unknown_groups contains group if {
	some group, _ in settings.guards.host_capacity.groups
	not settings.host_groups[group]
}
