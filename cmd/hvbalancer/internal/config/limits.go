package config

import "fmt"

// Upper bounds on the settings that limit what the daemon does at once or
// keeps. They are far above what any fleet needs, so that only a typo (an
// extra zero, 1e9, .inf) meets them, and a typo cannot switch a limit off.
const (
	maxMaxConcurrent       = 100   // executor.max_concurrent: live migrations in flight overall
	maxPerHostCap          = 16    // executor.per_host_cap: Hyper-V's own default is 2
	maxMigrationsPerMinute = 600   // executor.migrations_per_minute and evacuation_per_minute: ten starts a second
	maxBurst               = 100   // executor.burst
	maxBreakerThreshold    = 100   // executor.breaker_threshold
	maxCollectorConcurrent = 256   // collector.concurrency: hosts polled at once
	maxMaxMoves            = 1000  // planner.max_moves per plan
	maxInflowPerHost       = 100   // planner.max_inflow_per_host per plan
	maxRetainedPlans       = 10000 // retention.plans
	maxMemoryReserveGiB    = 4096  // planner.memory_reserve_gib: 4 TiB kept free
	maxStorageReserveGiB   = 65536 // planner.storage_reserve_gib: 64 TiB kept free
	maxBandwidthGbps       = 1000  // planner.bandwidth_gbps
	maxWeight              = 1000  // planner.weights.*
	maxSimulatorSpeed      = 10000 // simulator.speed
)

// intIn refuses v outside lo..hi.
func (p *problems) intIn(path string, v, lo, hi int) {
	if v < lo || v > hi {
		p.add(path, v, "must be %d..%d", lo, hi)
	}
}

// floatIn refuses v outside [lo, hi] (or (lo, hi] when openLow), NaN and
// the infinities included: every comparison with NaN is false, so a check
// written as "v <= 0 → refuse" would let it through.
func (p *problems) floatIn(path string, v, lo, hi float64, openLow bool) {
	ok := v >= lo && v <= hi // false for NaN
	low := "["
	if openLow {
		ok = ok && v > lo
		low = "("
	}
	if !ok {
		p.add(path, v, "must be a finite number in %s%s, %s]", low, num(lo), num(hi))
	}
}

// num formats a bound without trailing zeros.
func num(v float64) string { return fmt.Sprint(v) }
