package hvbalancer

dest := input.fleet.hosts[input.move.to]

deny contains "host in maintenance" if {
	some name, h in input.fleet.hosts
	h.maintenanse
	name == input.move.to
}

deny contains "unhealthy" if dest.helth != "ok"

deny contains "sql" if {
	v := input.fleet.vms[input.move.vm]
	v.tag.role == "sql"
}

deny contains "busy" if {
	every id in input.fleet.hosts[input.move.to].vms {
		input.fleet.vms[id].stat == "Running"
	}
}

deny contains "fine" if {
	some id in dest.vms
	input.fleet.vms[id].tags.role == "sql"
	input.fleet.hosts[input.move.to].capacity.cpus > 8
	count([1 | some v in input.fleet.vms; v.cpu.mean > 90]) > 0
}
