# data.hvbalancer.deny, destination rules: a move goes only to a healthy host
# that is not in maintenance and stays under the thresholds after the move
# (and the moves planned before it). On a dense fleet, where the planner may
# fill a destination past cpu_high to relieve the busiest host (never past
# cpu_ceiling), a destination that ends below its source's new load is not
# denied for CPU: no host is made busier than the one the move relieves.
package hvbalancer

deny contains sprintf("%s: destination %s is %s", [vm_name(input.move.vm), input.move.to, dest.health]) if {
	dest.health != "ok"
}

deny contains sprintf("%s: destination %s is in maintenance", [vm_name(input.move.vm), input.move.to]) if {
	in_maintenance(input.move.to)
}

deny contains sprintf("%s: %s would reach CPU %v%% (limit %v%%)", [
	vm_name(input.move.vm), input.move.to,
	round(input.projected.to.cpu * 10) / 10, config.cpu_high,
]) if {
	input.projected.to.cpu > config.cpu_high
	input.projected.to.cpu >= input.projected.from.cpu
}

deny contains sprintf("%s: %s would reach memory %v%% (limit %v%%)", [
	vm_name(input.move.vm), input.move.to,
	round(input.projected.to.memory * 10) / 10, config.memory_high,
]) if {
	input.projected.to.memory > config.memory_high
}
