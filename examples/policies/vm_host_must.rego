# data.hvbalancer.deny and requests, VM-VM host rules that must hold
# (settings.vm_host_rules of type must_run_on or must_not_run_on): the VMs
# carrying the rule's tag never go to a host outside (must_run_on) or inside
# (must_not_run_on) the rule's host group, whether they move or are placed
# new. The deny names the rule, so a plan's report says which rule refused a
# host. A VM found breaking a must rule is asked to move (kind
# "vm_host_rule NAME"); the deny then keeps it to the hosts the rule allows.
package hvbalancer

deny contains sprintf("%s: vm_host_rule %s: must run on host group %s, not %s", [vm_name(input.move.vm), rule.name, rule.hosts, input.move.to]) if {
	some rule in moving_vm_host_rules.must_run_on
	not on_host_group(input.move.to, rule.hosts)
}

deny contains sprintf("%s: vm_host_rule %s: must not run on host group %s (%s)", [vm_name(input.move.vm), rule.name, rule.hosts, input.move.to]) if {
	some rule in moving_vm_host_rules.must_not_run_on
	on_host_group(input.move.to, rule.hosts)
}

# The requests find the VMs through the fleet's tag index, not by a pass
# over every VM (about 2 µs a VM in OPA): for each tag key the must rules
# read, each value as written is lower-cased and matched with the rules
# once, and only the VMs carrying a value some rule names are visited.
requests contains {
	"vm": id,
	"reason": sprintf("%s: vm_host_rule %s: %s host group %s, is on %s", [vm_name(id), rule.name, must_text[rule.type], rule.hosts, vm.host]),
	"priority": settings.priorities.vm_host_rule,
	"kind": sprintf("vm_host_rule %s", [rule.name]),
} if {
	some key, values in vm_host_must_index
	some tag, ids in input.fleet.vms_by_tag[key]
	some i, rule in values[lower(tag)]
	some id in ids
	vm := input.fleet.vms[id]
	vm.host != ""
	vm_host_must_broken_on[i][vm.host]
	movable(id)
}

must_text := {"must_run_on": "must run on", "must_not_run_on": "must not run on"}

# vm_host_must_index is vm_host_rule_index with only the must rules that
# have no problem: the requests above read the tag index once for each of
# their tag keys, for all the must rules at once.
vm_host_must_index := {key: must |
	some key, values in vm_host_rule_index
	must := {value: rules |
		some value, all in values
		rules := {i: rule |
			some i, rule in all
			must_text[rule.type]
			not vm_host_rule_problems[rule.name]
		}
		count(rules) > 0
	}
	count(must) > 0
}

# vm_host_must_broken_on[i] is the hosts on which a VM of must rule i (its
# index in vm_host_rules) breaks it: built once per session for each must
# rule from the fleet's hosts, so that the requests look a VM's host up
# instead of asking the host group again for each VM the rule applies to.
vm_host_must_broken_on[i] := {name | some name, _ in input.fleet.hosts; breaks_must_rule(rule, name)} if {
	some i, rule in settings.vm_host_rules
	must_text[rule.type]
}

breaks_must_rule(rule, host) if {
	rule.type == "must_run_on"
	not on_host_group(host, rule.hosts)
}

breaks_must_rule(rule, host) if {
	rule.type == "must_not_run_on"
	on_host_group(host, rule.hosts)
}
