package hvbalancer

deny contains sprintf("%s: destination %s is %s", [input.move.vm, input.move.to, h.health]) if {
	h := input.fleet.hosts[input.move.to]
	h.health != "ok"
}
