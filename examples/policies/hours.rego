# Business hours, on the local clock of input.now. input.now is RFC 3339 in
# the configured time zone, so its date and time fields are local already.
package hvbalancer

local_weekday := time.weekday(time.parse_ns("2006-01-02", substring(input.now, 0, 10))) if {
	time.parse_rfc3339_ns(input.now)
}

local_minutes := minutes_of(substring(input.now, 11, 5)) if {
	time.parse_rfc3339_ns(input.now)
}

# minutes_of("08:30") is 510.
minutes_of(hhmm) := (to_number(h) * 60) + to_number(m) if {
	[h, m] := split(hhmm, ":")
}

# business_hours holds on the configured days from start (inclusive) to end
# (exclusive).
business_hours if {
	bh := settings.business_hours
	local_weekday in bh.days
	minutes_of(bh.start) <= local_minutes
	local_minutes < minutes_of(bh.end)
}
