# data.hvbalancer.deny, failover clusters. A clustered VM is a role of its
# host's cluster: it moves only between nodes of that cluster. A VM that is
# not clustered does not move onto a cluster node from outside that cluster
# (cluster nodes keep their room for failover, and the VM would gain no high
# availability) unless settings.standalone_into_cluster is true; it may
# move between nodes of its own host's cluster, and out to a stand-alone host.
package hvbalancer

deny contains sprintf("%s: clustered role of %s may not leave it for %s (%s)", [
	vm_name(input.move.vm), source.cluster, input.move.to, cluster_name(dest),
]) if {
	moving.clustered
	dest.cluster != source.cluster
}

deny contains sprintf("%s: not clustered, and %s is a node of cluster %s", [
	vm_name(input.move.vm), input.move.to, dest.cluster,
]) if {
	not moving.clustered
	dest.cluster != ""
	dest.cluster != source.cluster
	not settings.standalone_into_cluster
}

cluster_name(host) := sprintf("cluster %s", [host.cluster]) if host.cluster != ""

else := "stand-alone"
