# data.hvbalancer.penalty: soft costs the planner adds to a move's price, so
# it prefers other moves without forbidding this one. costs names each part.
package hvbalancer

default penalty := 0

penalty := sum([c | some c in costs])

# Moving across groups or racks (the rack label) costs more network and
# changes the VM's failure domain.
costs["cross_group"] := settings.penalties.cross_group if crosses_group

# A VM migrated recently should rest (anti-flapping).
costs["recent_migration"] := settings.penalties.recent_migration if recently_migrated

crosses_group if source.group != dest.group

crosses_group if source.labels.rack != dest.labels.rack

recently_migrated if {
	moving.last_migration != ""
	age := time.parse_rfc3339_ns(input.now) - time.parse_rfc3339_ns(moving.last_migration)
	age < (settings.penalties.recent_migration_hours * 3600) * 1000000000
}
