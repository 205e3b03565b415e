package hvbalancer_test

import data.hvbalancer

test_must_run_on_denies_hosts_outside_the_group if {
	s := vm_host_settings("must_run_on")
	hvbalancer.deny == {"gpu01: vm_host_rule gpu-rule: must run on host group gpu, not HV03"} with input as candidate(gpu_fleet, "id-gpu01", "HV03", ["id-gpu01"])
		with data.hvbalancer_settings as s
	count(hvbalancer.deny) == 0 with input as candidate(gpu_fleet, "id-gpu01", "HV02", ["id-gpu01", "id-sql02"])
		with data.hvbalancer_settings as s
	count(hvbalancer.deny) == 0 with input as candidate(gpu_fleet, "id-web01", "HV03", ["id-web01"])
		with data.hvbalancer_settings as s
}

test_must_not_run_on_denies_hosts_of_the_group if {
	s := vm_host_settings("must_not_run_on")
	hvbalancer.deny == {"gpu01: vm_host_rule gpu-rule: must not run on host group gpu (HV02)"} with input as candidate(gpu_fleet, "id-gpu01", "HV02", ["id-gpu01", "id-sql02"])
		with data.hvbalancer_settings as s
	count(hvbalancer.deny) == 0 with input as candidate(gpu_fleet, "id-gpu01", "HV03", ["id-gpu01"])
		with data.hvbalancer_settings as s
}

test_must_rules_by_label if {
	s := {"host_groups": gpu_groups, "vm_host_rules": [{"name": "web-off-b", "vms": {"tag": "role=web"}, "hosts": "rack_b", "type": "must_not_run_on"}]}
	hvbalancer.deny == {"web01: vm_host_rule web-off-b: must not run on host group rack_b (HV03)"} with input as candidate(gpu_fleet, "id-web01", "HV03", ["id-web01"])
		with data.hvbalancer_settings as s
}

test_must_rule_broken_becomes_a_request if {
	f := with_vm(gpu_fleet, "id-gpu01", {"host": "HV03"})
	hvbalancer.requests == {{
		"vm": "id-gpu01", "priority": 70, "kind": "vm_host_rule gpu-rule",
		"reason": "gpu01: vm_host_rule gpu-rule: must run on host group gpu, is on HV03",
	}} with input as round_input(f) with data.hvbalancer_settings as vm_host_settings("must_run_on")
	hvbalancer.requests == {{
		"vm": "id-gpu01", "priority": 70, "kind": "vm_host_rule gpu-rule",
		"reason": "gpu01: vm_host_rule gpu-rule: must not run on host group gpu, is on HV01",
	}} with input as round_input(gpu_fleet) with data.hvbalancer_settings as vm_host_settings("must_not_run_on")
}

test_must_rule_kept_asks_nothing if {
	count(hvbalancer.requests) == 0 with input as round_input(gpu_fleet) with data.hvbalancer_settings as vm_host_settings("must_run_on")
	f := with_vm(gpu_fleet, "id-gpu01", {"host": "HV03"})
	count(hvbalancer.requests) == 0 with input as round_input(with_vm(f, "id-gpu01", {"state": "Off"}))
		with data.hvbalancer_settings as vm_host_settings("must_run_on")
}

test_must_rules_judge_a_new_vm if {
	s := vm_host_settings("must_run_on")
	hvbalancer.deny == {"new01: vm_host_rule gpu-rule: must run on host group gpu, not HV03"} with input as placing(fleet, {"role": "gpu"}, "HV03", ["new"])
		with data.hvbalancer_settings as s
	count(hvbalancer.deny) == 0 with input as placing(fleet, {"role": "gpu"}, "HV02", ["id-sql02", "new"])
		with data.hvbalancer_settings as s
	count(hvbalancer.deny) == 0 with input as placing(fleet, {"role": "web"}, "HV03", ["new"])
		with data.hvbalancer_settings as s
	hvbalancer.deny == {"new01: vm_host_rule gpu-rule: must not run on host group gpu (HV01)"} with input as placing(fleet, {"role": "gpu"}, "HV01", ["id-sql01", "id-web01", "new"])
		with data.hvbalancer_settings as vm_host_settings("must_not_run_on")
}

# The VMs breaking a must rule are found through the tag index, each value
# matched with the rule's in any case (GPU, gpu): a VM whose tag the index
# does not list is not asked to move.
test_must_rule_requests_from_the_tag_index if {
	f0 := with_vm(gpu_fleet, "id-gpu01", {"host": "HV03"})
	f := with_vm(f0, "id-gpu02", vm("gpu02", "HV03", {"role": "gpu"}))
	given := round_input(f)
	s := vm_host_settings("must_run_on")
	{r.vm | some r in hvbalancer.requests} == {"id-gpu01", "id-gpu02"} with input as given with data.hvbalancer_settings as s
	hvbalancer.requests == {{
		"vm": "id-gpu02", "priority": 70, "kind": "vm_host_rule gpu-rule",
		"reason": "gpu02: vm_host_rule gpu-rule: must run on host group gpu, is on HV03",
	}} with input as unindexed(given, "role", "GPU", "id-gpu01") with data.hvbalancer_settings as s
}
