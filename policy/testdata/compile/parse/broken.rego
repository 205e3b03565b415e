package hvbalancer

deny contains msg if {
	msg := "unclosed
}
