// Package collector polls every Hyper-V host of the fleet concurrently (with
// a bound and a deadline per host), keeps a rolling window of samples per
// host and per VM, and emits one immutable Snapshot per round with smoothed
// loads (last, mean, p95 and max over the window, like DRS's five-minute
// view) so that one spike moves nothing. It marks hosts that stop answering
// as unreachable or stale and says why. It only reads: it never moves a VM
// and never decides where one should go.
//
// A round polls up to Concurrency hosts at once (200 by default), each
// under CallTimeout, and waits RoundTimeout at most. A host is read in one
// call when its Source is a Poller, as the WinRM client is: one command on
// the host takes the first counter sample, reads the VMs (and the facts
// every FactsEvery polls) and takes the second sample SampleInterval
// later, in the host's one persistent shell (combined.go). A part that
// fails on the host fails the poll with that part's error and nothing of
// the poll is merged. Other Sources are read with three calls, the counter
// sample beside the others.
//
// A host that answered in a round is ok in that round's snapshot, however
// long the round took. One whose poll had not answered when the round
// ended is stale in it, with the cause timeout (its poll goes on, is not
// sent again, and its answer counts when it comes); so is one whose poll
// the round had no time to start (polls start oldest answer first, and
// none after the round's end), or whose answer came before the round;
// one that never answered is unreachable. A round, its merge and
// snapshot included, ends by RoundTimeout.
//
// On a saturated host the counters show what VMs received, not what they
// wanted; the collector estimates what they wanted from the hypervisor's
// CPU wait per dispatch and records it as the CPU stat's Demand, which
// Stat.CPUDemand, the planner's load measure, uses (the model is in
// demand.go).
package collector
