package hvbalancer_test

import data.hvbalancer

inp(health) := {"fleet": {"hosts": {"HV02": {"health": health}}}, "move": {"vm": "vm1", "from": "HV01", "to": "HV02"}}

test_stale_denied if {
	hvbalancer.deny == {"vm1: destination HV02 is stale"} with input as inp("stale")
}

test_ok_allowed if {
	count(hvbalancer.deny) == 0 with input as inp("ok")
}

# Wrong on purpose: the message says "is stale".
test_wrong_message if {
	hvbalancer.deny == {"vm1: HV02 is stale"} with input as inp("stale")
}

# Wrong on purpose: an ok host is not denied.
test_ok_denied if {
	count(hvbalancer.deny) == 1 with input as inp("ok")
}
