package hvbalancer_test

import data.hvbalancer

test_defaults_without_data if {
	s := hvbalancer.settings with data.hvbalancer_settings as {}
	s.config == {"cpu_high": 75, "memory_high": 85, "max_moves": 10}
	s.anti_affinity_roles == ["sql"]
}

test_data_overrides_only_the_keys_it_sets if {
	s := hvbalancer.settings with data.hvbalancer_settings as {"config": {"cpu_high": 60}}
	s.config == {"cpu_high": 60, "memory_high": 85, "max_moves": 10}
	s.business_hours.start == "08:00"
}
