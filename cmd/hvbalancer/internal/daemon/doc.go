// Package daemon is hvbalancer's control loop as a library: `hvbalancer
// run` and `hvbalancer apply` are thin shells over it.
//
// A Daemon opens the fleet (package fleet), the executor's journal and the
// plan store, and wires the collector, the policy engine, the planner and
// the executor together. Every round (its tick: the only thing this
// project calls a round) it takes the latest snapshot, asks the policy,
// plans, and runs the plan's moves or stores them for approval as the
// automation level says; the executor re-checks each move just before it
// starts through the validator here, which calls the planner's own
// balancer.Recheck. It serves the status page, the API and /metrics
// (package web) over the same state, follows the pause file, reloads the
// policy when it changes and the configuration on SIGHUP.
//
// The package never decides where a VM goes (the planner and the policy
// do), never sends Move-VM itself (the executor does) and never parses
// command lines (package main does).
package daemon
