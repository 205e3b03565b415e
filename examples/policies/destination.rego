# data.hvbalancer.deny, destination rules: a move goes only to a healthy host
# that is not in maintenance and stays under the thresholds after the move
# (and the moves planned before it).
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
}

deny contains sprintf("%s: %s would reach memory %v%% (limit %v%%)", [
	vm_name(input.move.vm), input.move.to,
	round(input.projected.to.memory * 10) / 10, config.memory_high,
]) if {
	input.projected.to.memory > config.memory_high
}
