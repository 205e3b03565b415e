// Package balancer turns a collector.Snapshot into a Plan: the live
// migrations that would even out CPU and memory load across the eligible
// hosts, the policy requests they honour, what they buy and what the policy
// refused. The Planner searches greedily on a documented objective (see
// Planner) and asks the policy, through the Rules interface, only about the
// candidates it would take. It plans storage as a resource and
// compatibility as a hard limit: a VM on its host's own volumes moves with
// its disks into room on the destination, one on a CSV only within its
// cluster (one on an SMB share wherever Compare-VM finds the share), and none to a host that cannot run it (see
// storage.go, compat.go). A Plan is deterministic, versioned JSON with a
// digest, and renders as Markdown, self-contained HTML and a terminal
// summary. Planning never moves anything and never reads the wall clock.
package balancer
