# Host groups and the VM-host rules by tag, the lookup tables
# vm_host_must.rego and vm_host_should.rego share. They read only the fleet's
# hosts and the data, so a session evaluates them once for every candidate:
# a rule's deny or cost is then a lookup, not a scan of the fleet, and the
# must rules' requests read the fleet's tag index once for all the rules.
package hvbalancer

# host_group_hosts[group] is the set of hosts of a group of
# settings.host_groups. A group is a list of host names, matched without
# regard to case (a name not in the fleet is left out), or {"label":
# {key: value, ...}}: the hosts carrying every one of those labels, values
# compared without regard to case.
host_group_hosts[group] := {name |
	some n in spec
	name := hosts_by_upper_name[upper(n)]
} if {
	some group, spec in settings.host_groups
	is_array(spec)
}

host_group_hosts[group] := {name |
	some name, host in input.fleet.hosts
	labels_match(host.labels, spec.label)
} if {
	some group, spec in settings.host_groups
	is_object(spec)
}

# labels_match(labels, want): labels holds every key of want, with its value.
labels_match(labels, want) if {
	every key, value in want {
		lower(labels[key]) == lower(value)
	}
}

# vm_host_rule_index[key][value] is the rules of settings.vm_host_rules
# whose vms.tag is key=value (both lower-cased), by index. It reads only
# the data: which rules apply to a VM is then a lookup per tag key the
# rules read (vm_host_rules_on), not a scan of the fleet per rule.
vm_host_rule_index := {key: values |
	some key in {k | some rule in settings.vm_host_rules; [k, _] := vm_host_rule_tag(rule)}
	values := {tag[1]: rules |
		some rule in settings.vm_host_rules
		tag := vm_host_rule_tag(rule)
		tag[0] == key
		rules := {i: r | some i, r in settings.vm_host_rules; vm_host_rule_tag(r) == tag}
	}
}

# vm_host_rules_on(vm) is the rules that apply to vm, by index: those
# whose tag the VM carries ("key=value", the value without regard to case).
vm_host_rules_on(vm) := {i: rule |
	some key, values in vm_host_rule_index
	some i, rule in values[lower(vm.tags[key])]
}

# vm_host_rule_tag(rule) is the rule's tag as [key, value], lower-cased.
vm_host_rule_tag(rule) := [lower(trim_space(key)), lower(trim_space(value))] if {
	[key, value] := split(rule.vms.tag, "=")
}

vm_host_rule_types := {"must_run_on", "must_not_run_on", "should_run_on", "should_not_run_on"}

# vm_host_rule_problems[name] says what is wrong with a VM-host rule of the
# data. A broken rule denies every move, with this message: a misspelled
# must rule would otherwise let VMs go where they must not.
vm_host_rule_problems[sprintf("#%d", [plus(i, 1)])] := "it has no name" if {
	some i, rule in settings.vm_host_rules
	not is_string(object.get(rule, "name", null))
}

vm_host_rule_problems[rule.name] := sprintf("host group %v is not in host_groups", [rule.hosts]) if {
	some rule in settings.vm_host_rules
	not settings.host_groups[rule.hosts]
}

vm_host_rule_problems[rule.name] := sprintf("type %v is not one of %s", [rule.type, concat(", ", sort(vm_host_rule_types))]) if {
	some rule in settings.vm_host_rules
	settings.host_groups[rule.hosts]
	not vm_host_rule_types[rule.type]
}

vm_host_rule_problems[rule.name] := sprintf("vms.tag %v is not key=value", [object.get(rule, ["vms", "tag"], null)]) if {
	some rule in settings.vm_host_rules
	settings.host_groups[rule.hosts]
	vm_host_rule_types[rule.type]
	not vm_host_rule_tag(rule)
}

deny contains sprintf("%s: vm_host_rule %s: %s", [vm_name(input.move.vm), name, problem]) if {
	some name, problem in vm_host_rule_problems
}

# vm_host_rules_of(id) is the rules that apply to VM id by type, each
# type's by index: {type: {i: rule}}, every type empty for a VM no rule
# applies to. It reads the fleet and the data only, so a session works it
# out once for each VM it judges (a defined value is kept; an undefined one
# would be worked out again), and the deny and penalty rules of a candidate
# look it up.
vm_host_rules_of(id) := {type: {i: rule | some i, rule in rules; rule.type == type} | some type in vm_host_rule_types} if {
	rules := vm_host_rules_on(input.fleet.vms[id])
}

# moving_vm_host_rules is vm_host_rules_of the candidate's VM, found once
# per candidate for the four kinds of rule that read it (vm_host_must.rego,
# vm_host_should.rego): each then reads a value of the candidate's own
# evaluation, where each calling the function looked the kept value up by
# its argument again, four times a candidate.
moving_vm_host_rules := vm_host_rules_of(input.move.vm)

# on_host_group(name, group): host name is in the host group.
on_host_group(name, group) if host_group_hosts[group][name]
