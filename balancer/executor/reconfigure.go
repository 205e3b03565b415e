package executor

// Reconfigure applies the limits of cfg that a running executor can
// change — MaxConcurrent, PerHostCap, Rate, Burst, EvacuationRate, Cooldown,
// BreakerThreshold and BreakerCooldown — from the next move it starts (the
// other fields take effect when an executor is made again, at a restart): a lower
// MaxConcurrent or PerHostCap lets the migrations in flight finish and
// starts no new one until they are under it; the token bucket keeps its
// tokens, up to the new Burst; breakers keep their counts, judged by the
// new threshold. Zero or negative values take their defaults, as in New.
// It does not wait for anything and is safe to call while Run runs; it
// must not be called while Reconcile runs (Reconcile reads MaxConcurrent
// without the lock).
func (e *Executor) Reconfigure(cfg Config) {
	cfg = cfg.withDefaults()
	e.mu.Lock()
	e.cfg.MaxConcurrent = cfg.MaxConcurrent
	e.cfg.PerHostCap = cfg.PerHostCap
	e.cfg.Rate, e.cfg.Burst, e.cfg.EvacuationRate = cfg.Rate, cfg.Burst, cfg.EvacuationRate
	e.cfg.Cooldown = cfg.Cooldown
	e.cfg.BreakerThreshold = cfg.BreakerThreshold
	e.cfg.BreakerCooldown = cfg.BreakerCooldown
	now := e.cfg.Now()
	e.mu.Unlock()
	e.limiter.SetLimitAt(now, cfg.Rate)
	e.limiter.SetBurstAt(now, cfg.Burst)
	e.evac.SetLimitAt(now, cfg.EvacuationRate)
	e.evac.SetBurstAt(now, evacuationBurst(cfg.Burst))
	e.poke() // a higher limit may let a queued move start now
}
