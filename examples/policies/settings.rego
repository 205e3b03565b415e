# Settings of the shipped policy: the defaults below, overridden by the
# object hvbalancer_settings in this directory's data.yaml. Nested objects
# merge, so the data file needs only the keys it changes.
package hvbalancer

default_settings := {
	# Passed to the planner as data.hvbalancer.config.
	"config": {"cpu_high": 75, "memory_high": 85, "max_moves": 10},
	# During business hours (local time of input.now) these config values win.
	"business_hours": {
		"days": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"],
		"start": "08:00",
		"end": "18:00",
		"config": {"max_moves": 3, "aggressiveness": 2},
		# A number N: no move that copies more than N GiB of disks runs in
		# business hours (storage.rego). null: no such limit.
		"max_storage_move_gib": null,
	},
	# VMs whose role tag is one of these never share a host.
	"anti_affinity_roles": ["sql"],
	# Whether a VM that is not clustered may move onto a cluster node from
	# outside that cluster.
	"standalone_into_cluster": false,
	# VMs tagged together=X run on one host (vm_affinity.rego). The tag is
	# the switch: a VM without it is not affected.
	"vm_affinity": {"enabled": true, "tag": "together"},
	# Named groups of hosts, for vm_host_rules: a list of host names, or
	# {"label": {key: value, ...}} for the hosts carrying those labels.
	"host_groups": {},
	# VM-host rules (vm_host_must.rego, vm_host_should.rego): each
	# {"name", "vms": {"tag": "key=value"}, "hosts": <host group>, "type":
	# must_run_on | must_not_run_on | should_run_on | should_not_run_on,
	# "penalty" (should rules; penalties.vm_host_rule if absent)}.
	"vm_host_rules": [],
	"penalties": {
		"cross_group": 5,
		"recent_migration": 20,
		"recent_migration_hours": 24,
		"vm_host_rule": 10,
	},
	"priorities": {"maintenance": 100, "pin": 80, "vm_host_rule": 70, "anti_affinity": 50, "affinity": 40},
}

default user_settings := {}

user_settings := data.hvbalancer_settings

settings := object.union(default_settings, user_settings)
