package hvbalancer_test

import data.hvbalancer

test_should_run_on_costs_hosts_outside_the_group if {
	s := vm_host_settings("should_run_on")
	c := candidate(gpu_fleet, "id-gpu01", "HV03", ["id-gpu01"])
	count(hvbalancer.deny) == 0 with input as c with data.hvbalancer_settings as s
	hvbalancer.costs == {"cross_group": 5, "vm_host_rule gpu-rule": 10} with input as c with data.hvbalancer_settings as s
	hvbalancer.penalty == 15 with input as c with data.hvbalancer_settings as s
	hvbalancer.costs == {} with input as candidate(gpu_fleet, "id-gpu01", "HV02", ["id-gpu01", "id-sql02"])
		with data.hvbalancer_settings as s
}

test_should_not_run_on_costs_hosts_of_the_group if {
	s := vm_host_settings("should_not_run_on")
	hvbalancer.costs == {"vm_host_rule gpu-rule": 10} with input as candidate(gpu_fleet, "id-gpu01", "HV02", ["id-gpu01", "id-sql02"])
		with data.hvbalancer_settings as s
	hvbalancer.costs == {"cross_group": 5} with input as candidate(gpu_fleet, "id-gpu01", "HV03", ["id-gpu01"])
		with data.hvbalancer_settings as s
}

test_should_rule_penalty_from_the_rule_or_the_settings if {
	rule := {"name": "gpu-rule", "vms": {"tag": "role=gpu"}, "hosts": "gpu", "type": "should_run_on", "penalty": 40}
	c := candidate(gpu_fleet, "id-gpu01", "HV03", ["id-gpu01"])
	hvbalancer.costs["vm_host_rule gpu-rule"] == 40 with input as c
		with data.hvbalancer_settings as {"host_groups": gpu_groups, "vm_host_rules": [rule]}
	hvbalancer.costs["vm_host_rule gpu-rule"] == 3 with input as c
		with data.hvbalancer_settings as object.union(vm_host_settings("should_run_on"), {"penalties": {"vm_host_rule": 3}})
}

# A should rule steers moves but asks for none.
test_should_rule_broken_asks_nothing if {
	f := with_vm(gpu_fleet, "id-gpu01", {"host": "HV03"})
	count(hvbalancer.requests) == 0 with input as round_input(f) with data.hvbalancer_settings as vm_host_settings("should_run_on")
}

test_should_rules_rank_hosts_for_a_new_vm if {
	s := vm_host_settings("should_run_on")
	hvbalancer.penalty == 10 with input as placing(fleet, {"role": "gpu"}, "HV03", ["new"]) with data.hvbalancer_settings as s
	hvbalancer.penalty == 0 with input as placing(fleet, {"role": "gpu"}, "HV02", ["id-sql02", "new"]) with data.hvbalancer_settings as s
}
