// Package collector polls every Hyper-V host of the fleet concurrently (with
// a bound and a deadline per host), keeps a rolling window of samples per
// host and per VM, and emits one immutable Snapshot per round with smoothed
// loads (last, mean, p95 and max over the window, like DRS's five-minute
// view) so that one spike moves nothing. It marks hosts that stop answering
// as unreachable or stale and says why. It only reads: it never moves a VM
// and never decides where one should go.
//
// On a saturated host the counters show what VMs received, not what they
// wanted; the collector estimates what they wanted from the hypervisor's
// CPU wait per dispatch and records it as the CPU stat's Demand, which
// Stat.CPUDemand, the planner's load measure, uses (the model is in
// demand.go).
package collector
