package hvbalancer

# A typo: the fleet has hosts, not hots.
hot contains name if {
	some name, h in input.fleet.hosts
	h.cpu.mean > 75
}

deny contains "destination is hot" if {
	input.fleet.hots[input.move.to].cpu.mean > 75
}
