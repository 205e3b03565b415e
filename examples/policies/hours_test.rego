package hvbalancer_test

import data.hvbalancer

test_local_clock_of_input_now if {
	hvbalancer.local_weekday == "Monday" with input.now as "2026-01-05T23:30:00-05:00"
	hvbalancer.local_minutes == 1410 with input.now as "2026-01-05T23:30:00-05:00"
}

test_business_hours_on_a_weekday_morning if {
	hvbalancer.business_hours with input.now as monday_morning
	hvbalancer.business_hours with input.now as "2026-01-09T08:00:00Z"
}

test_not_business_hours if {
	not hvbalancer.business_hours with input.now as saturday_morning
	not hvbalancer.business_hours with input.now as "2026-01-05T18:00:00+01:00"
	not hvbalancer.business_hours with input.now as "2026-01-05T07:59:59+01:00"
	not hvbalancer.business_hours with input.now as "not a time"
}

test_business_hours_from_data if {
	bh := {"business_hours": {"days": ["Saturday"], "start": "09:00", "end": "10:00"}}
	hvbalancer.business_hours with input.now as saturday_morning with data.hvbalancer_settings as bh
	not hvbalancer.business_hours with input.now as monday_morning with data.hvbalancer_settings as bh
}
