package hvbalancer_test

import data.hvbalancer

test_clustered_vm_moves_within_its_cluster if {
	count(hvbalancer.deny) == 0 with input as candidate(fleet, "id-clu01", "HV08", ["id-clu01"])
}

test_clustered_vm_may_not_leave_its_cluster if {
	hvbalancer.deny == {"clu01: clustered role of CL01 may not leave it for HV03 (stand-alone)"} with input as candidate(fleet, "id-clu01", "HV03", ["id-clu01"])
	f := with_host(fleet, "HV03", {"cluster": "CL02"})
	hvbalancer.deny == {"clu01: clustered role of CL01 may not leave it for HV03 (cluster CL02)"} with input as candidate(f, "id-clu01", "HV03", ["id-clu01"])
}

test_standalone_vm_kept_off_cluster_nodes if {
	hvbalancer.deny == {"web01: not clustered, and HV07 is a node of cluster CL01"} with input as candidate(fleet, "id-web01", "HV07", ["id-clu01", "id-web01"])
}

test_standalone_vm_onto_cluster_nodes_when_allowed if {
	count(hvbalancer.deny) == 0 with input as candidate(fleet, "id-web01", "HV07", ["id-clu01", "id-web01"])
		with data.hvbalancer_settings as {"standalone_into_cluster": true}
}

test_standalone_vm_on_a_cluster_node_may_move_within_or_out if {
	f := with_vm(fleet, "id-web01", {"host": "HV07"})
	count(hvbalancer.deny) == 0 with input as candidate(f, "id-web01", "HV08", ["id-web01"])
	count(hvbalancer.deny) == 0 with input as candidate(f, "id-web01", "HV03", ["id-web01"])
}

# new_vm(f, patch) is f with a new VM being placed: no host yet.
new_vm(f, patch) := with_vm(f, "new", object.union(vm("db9", "", {}), patch))

# A new VM comes from no host (input.move.from is empty): the cluster rules,
# which compare the destination's cluster with the source's, leave it to the
# placement request, whose cluster (if any) the planner enforces. A host's
# cluster is its cluster in the configuration, which also groups stand-alone
# hosts, so keeping a new VM off them would keep it off every such host.
test_new_vm_not_denied_by_the_cluster_rules if {
	c := object.union(candidate(new_vm(fleet, {}), "new", "HV07", ["id-clu01", "new"]), {"move": {"from": ""}})
	count(hvbalancer.deny) == 0 with input as c
	count(hvbalancer.deny) == 0 with input as object.union(c, {"move": {"to": "HV03"}})
	d := object.union(candidate(new_vm(fleet, {"clustered": true}), "new", "HV07", ["id-clu01", "new"]), {"move": {"from": ""}})
	count(hvbalancer.deny) == 0 with input as d
}
