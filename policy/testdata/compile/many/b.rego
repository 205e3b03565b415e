package hvbalancer

penalty := 5 if {
	input.projected.to.mem > 80
}

recent contains e.vm if {
	some e in input.history.moves
	e.when > "2026"
}
