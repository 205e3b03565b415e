package hvbalancer

deny contains "a" if {
	input.move.form == "HV01"
}
