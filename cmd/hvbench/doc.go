// Command hvbench compares balancers on the same seeded scenarios.
//
// Every scenario is a collector.Snapshot built from a seed (--seed): hosts
// of different sizes, VMs of different sizes, a load shape (two hot hosts,
// a memory-tight fleet, mixed host sizes, a dense fleet near saturation,
// roles clustered on hosts). Every contender starts from the same snapshot
// and obeys the same hard limits (see limits.go): a destination keeps the
// memory reserve free and stays at or below the CPU ceiling, both ends have
// migration enabled, the destination is healthy. The contenders are
// hvbalancer's planner (with an allow-all rules value and with the shipped
// policy, planning round after round with its moves applied until it stops
// moving), implementations of failover-cluster node fairness (levels 1–3),
// ProxLB's greedy balancer and Sandpiper's hotspot mitigation with its swap
// phase, each citing its source, and each of those again held to the
// shipped policy's rules as hvbalancer with that policy is (see bound); a
// full repack as a reference; and the
// fractional ideal (every host at the fleet's mean load), a lower bound of
// the maximum host load any placement reaches.
//
// Usage:
//
//	go run ./cmd/hvbench [--quick] [--seed N] [--hosts N] [--rounds N] [--json] [--svg FILE] [--policy DIR] [--trace]
//
// The report (Markdown, or JSON with --json) gives, per scenario and
// contender, the maximum host CPU and memory, their spreads, the moves and
// GiB moved, the hard-limit violations, the moves past a limit hvbalancer
// keeps and the others need not (a destination's memory above
// memory_high, or its CPU above cpu_high and not below the source's), the
// planning time and the memory allocated while planning, and under each
// scenario whether issue 13's balance target is met and, when not,
// whether on the peak or on cost (see Target); where a host whose VMs
// cannot migrate stays the busiest under every method, the report names
// it and says why, and judges the target on the hosts that can migrate. A
// missed target also says when the best baseline's moves went past those
// limits and how the target fares against the best baseline that kept
// them, the best baseline's first move the shipped policy denies (each of
// its moves judged as the planner's are), and, on a miss on cost with a
// lower peak, what the baseline's peak had cost hvbalancer's moves. The
// target is judged again against the baselines held to the shipped
// policy's rules: the methods compared under the same rules. --svg writes a chart of CPU spread
// against moves; --trace writes each hvbalancer round's moves, their gains,
// and why its search stopped to stderr.
package main
