package hvbalancer

deny contains "no moves to HV99" if {
	input.move.too == "HV99"
}
