package daemon

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/config"
	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/policy"
)

// An evacuation does not wait for the round interval nor for a full
// collector window. Entering maintenance (API, CLI, reload) wakes the
// round loop at once; while a host in maintenance still runs VMs and the
// last round moved some or waited for moves to land, rounds come every
// collector interval; and one fresh sample of the draining host and of a
// destination is enough to plan its evacuation. A round on fewer samples
// than the window wants plans the policy's requests and the evacuations
// only (aggressiveness 1), never balancing on a single spike.

// evacuees counts the running VMs on healthy hosts in maintenance: what
// evacuation rounds still have to move.
func evacuees(s *collector.Snapshot) int {
	if s == nil {
		return 0
	}
	draining := map[string]bool{}
	for i := range s.Hosts {
		h := &s.Hosts[i]
		if h.Health == collector.HealthOK && balancer.InMaintenance(h) {
			draining[h.Name] = true
		}
	}
	if len(draining) == 0 {
		return 0
	}
	n := 0
	for i := range s.VMs {
		if v := &s.VMs[i]; draining[v.Host] && v.Running() {
			n++
		}
	}
	return n
}

// evacuationReady reports whether an evacuation may be planned before the
// window holds the samples a balancing round wants: a healthy host in
// maintenance with a running VM and a sample, and another healthy host
// out of maintenance with a sample to take it.
func evacuationReady(s *collector.Snapshot) bool {
	if evacuees(s) == 0 {
		return false
	}
	draining, dest := false, false
	for i := range s.Hosts {
		h := &s.Hosts[i]
		if h.Health != collector.HealthOK || h.Samples < 1 {
			continue
		}
		if balancer.InMaintenance(h) {
			draining = true
		} else if h.MigrationEnabled {
			dest = true
		}
	}
	return draining && dest
}

// evacuating is the policy's rules for a round with hosts to drain or
// too few samples to balance: the policy's settings with max_moves raised
// by the VMs still to evacuate (an evacuation is not cut into plans that
// each wait for the last to land; balancing keeps its share) and, early,
// aggressiveness 1 (requests only). The plan's report names both changes
// with why, beside the policy's own.
type evacuating struct {
	balancer.Rules
	base     balancer.Config // the running planner's settings
	evacuees int
	early    bool
}

// evacuationRules wraps rules for a round over snap; early says the
// window holds fewer samples than balancing wants.
func evacuationRules(rules balancer.Rules, base balancer.Config, snap *collector.Snapshot, early bool) balancer.Rules {
	n := evacuees(snap)
	if n == 0 && !early {
		return rules
	}
	return evacuating{Rules: rules, base: base, evacuees: n, early: early}
}

// Held passes on the wrapped rules' holds (balancer.Holder), so that the
// planner still leaves the VMs the policy holds out of its search.
func (r evacuating) Held(vmID string) []policy.Hold {
	if h, ok := r.Rules.(balancer.Holder); ok {
		return h.Held(vmID)
	}
	return nil
}

// Wait passes on the wrapped rules' wait for their requests
// (balancer.Waiter), so that the plan fails when the policy's requests do.
func (r evacuating) Wait(ctx context.Context) error {
	if w, ok := r.Rules.(balancer.Waiter); ok {
		return w.Wait(ctx)
	}
	return nil
}

// Settings implements balancer.Rules.
func (r evacuating) Settings() policy.Settings {
	s := r.Rules.Settings()
	reasons := maps.Clone(s.Reasons)
	if reasons == nil {
		reasons = map[string]string{}
	}
	because := func(key, why string) {
		if reasons[key] != "" {
			why = reasons[key] + "; " + why
		}
		reasons[key] = why
	}
	if r.evacuees > 0 {
		m := r.base.MaxMoves
		if s.MaxMoves != nil {
			m = *s.MaxMoves
		}
		m += r.evacuees
		s.MaxMoves = &m
		because("max_moves", fmt.Sprintf("raised by %d, the running VMs of the hosts in maintenance", r.evacuees))
	}
	if r.early {
		one := 1
		s.Aggressiveness = &one
		because("aggressiveness", "requests only: the window holds enough samples to evacuate, not yet to balance")
	}
	s.Reasons = reasons
	return s
}

// nextRound is how long until the next round: the round interval, or the
// collector interval while an evacuation is under way (a host in
// maintenance still runs VMs and the last round planned moves, waited for
// moves to land, or could not plan yet).
func (d *Daemon) nextRound(cfg *config.Config) time.Duration {
	if evacuees(d.latest()) == 0 {
		return cfg.RoundInterval
	}
	d.stateMu.Lock()
	last := d.lastRound.Result
	d.stateMu.Unlock()
	switch last {
	case RoundPlanned, RoundBusy, RoundWaiting, RoundNoSnapshot, RoundTooFewHosts:
		return min(cfg.RoundInterval, max(cfg.Collector.Interval, time.Second))
	}
	return cfg.RoundInterval
}

// evacuating reports whether host is in maintenance now, by any source:
// the executor starts the moves out of it as evacuations.
func (d *Daemon) evacuating(host string) bool {
	s := d.latest()
	if s == nil {
		return false
	}
	h, ok := s.Host(host)
	return ok && balancer.InMaintenance(h)
}
