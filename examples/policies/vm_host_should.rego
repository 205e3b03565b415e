# data.hvbalancer.penalty, VM-host rules that should hold
# (settings.vm_host_rules of type should_run_on or should_not_run_on): a
# move or placement of a VM carrying the rule's tag to a host outside
# (should_run_on) or inside (should_not_run_on) the rule's host group costs
# the rule's penalty (penalties.vm_host_rule unless the rule sets penalty),
# under the name "vm_host_rule NAME" in costs. The planner then prefers
# other hosts without being forbidden them.
#
# A VM found breaking a should rule is not asked to move: a should rule
# steers the moves the planner makes for other reasons (balance, a host in
# maintenance) and ranks hosts for a new VM; one that moved VMs on its own
# would be a must rule of a lower priority, which is what a must rule is for.
package hvbalancer

costs[sprintf("vm_host_rule %s", [rule.name])] := object.get(rule, "penalty", settings.penalties.vm_host_rule) if {
	some rule in moving_vm_host_rules.should_run_on
	not on_host_group(input.move.to, rule.hosts)
}

costs[sprintf("vm_host_rule %s", [rule.name])] := object.get(rule, "penalty", settings.penalties.vm_host_rule) if {
	some rule in moving_vm_host_rules.should_not_run_on
	on_host_group(input.move.to, rule.hosts)
}
