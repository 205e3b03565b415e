# data.hvbalancer.config: the planner's thresholds this round. Out of
# business hours it is settings.config; during business hours the
# business_hours.config values win (fewer moves, only clear gains), so hot
# hosts still come down without churning the fleet by day.
package hvbalancer

config := object.union(settings.config, settings.business_hours.config) if {
	business_hours
} else := settings.config
