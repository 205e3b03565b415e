package hvbalancer_test

import data.hvbalancer

test_config_out_of_business_hours if {
	hvbalancer.config == {"cpu_high": 75, "memory_high": 85, "max_moves": 10} with input.now as saturday_morning
}

test_config_in_business_hours_moves_less_but_still_moves if {
	c := hvbalancer.config with input.now as monday_morning
	c == {
		"cpu_high": 75, "memory_high": 85, "max_moves": 3, "aggressiveness": 2,
		"reasons": {
			"max_moves": "business hours (08:00 to 18:00, Monday, Tuesday, Wednesday, Thursday, Friday)",
			"aggressiveness": "business hours (08:00 to 18:00, Monday, Tuesday, Wednesday, Thursday, Friday)",
		},
	}
	c.max_moves > 0
}

test_config_from_data if {
	c := hvbalancer.config with input.now as saturday_morning
		with data.hvbalancer_settings as {"config": {"cpu_high": 70, "target_spread": 5}}
	c == {"cpu_high": 70, "memory_high": 85, "max_moves": 10, "target_spread": 5}
}
