# data.hvbalancer.config: the planner's thresholds this round. Out of
# business hours it is settings.config; during business hours the
# business_hours.config values win (fewer moves, only clear gains), so hot
# hosts still come down without churning the fleet by day. config.reasons
# names, for each value business hours set, why: the plan's reports show it
# beside the setting it changed.
package hvbalancer

config := object.union(
	object.union(settings.config, settings.business_hours.config),
	{"reasons": business_hours_reasons},
) if {
	business_hours
} else := settings.config

business_hours_reasons[key] := sprintf("business hours (%s to %s, %s)", [bh.start, bh.end, concat(", ", bh.days)]) if {
	bh := settings.business_hours
	some key, _ in bh.config
}
