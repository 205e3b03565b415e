package hvbalancer

config := {"max_moves": 0} if {
	time.now_ns() > 0
}
