package model

// Faults injected at run time: a host's faults replaced, a host crashed
// (its VMs off or failed over, its migrations failed), the draw that fails a
// move by a host's MoveFailureRate.

import (
	"fmt"
	"strings"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/fleetfile"
)

// SetFaults replaces the faults of host at run time. Setting Crashed crashes
// the host (see Crash); clearing Hang lets its hung migrations go on;
// clearing Crashed brings the host back with its VMs off.
func (f *Fleet) SetFaults(host string, fl fleetfile.Faults) error {
	if err := fl.Validate("faults"); err != nil {
		return fmt.Errorf("set faults of %s: %w", host, err)
	}
	fl = fl.Effective()
	f.mu.Lock()
	defer f.mu.Unlock()
	h := f.hosts[strings.ToLower(host)]
	if h == nil {
		return fmt.Errorf("set faults of %s: %w", host, ErrUnknownHost)
	}
	now := f.clock.Now()
	f.settleLocked(now)
	wasCrashed, wasHung := h.faults.Crashed, h.faults.Hang
	h.faults = fl
	if wasHung && !fl.Hang {
		f.resumeLocked(h, now)
	}
	if fl.Crashed && !wasCrashed {
		f.crashLocked(h, now)
	}
	f.notifyLocked()
	return nil
}

// Faults returns the faults of host now in force.
func (f *Fleet) Faults(host string) (fleetfile.Faults, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	h := f.hosts[strings.ToLower(host)]
	if h == nil {
		return fleetfile.Faults{}, fmt.Errorf("get faults of %s: %w", host, ErrUnknownHost)
	}
	return h.faults, nil
}

// Crash makes host crash: its running and paused VMs go off (clustered ones
// restart on another live node of their cluster that has the memory for
// them) and every migration queued or running to or from it fails.
func (f *Fleet) Crash(host string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	h := f.hosts[strings.ToLower(host)]
	if h == nil {
		return fmt.Errorf("crash %s: %w", host, ErrUnknownHost)
	}
	if !h.faults.Crashed {
		now := f.clock.Now()
		f.settleLocked(now)
		h.faults.Crashed = true
		f.crashLocked(h, now)
		f.notifyLocked()
	}
	return nil
}

// ShouldFailMove draws from host's seeded random source whether a
// migration from it fails by its MoveFailureRate. Each host has its own
// source, so the draws of one host do not depend on the others.
func (f *Fleet) ShouldFailMove(host string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	h := f.hosts[strings.ToLower(host)]
	return h != nil && h.shouldFailMove()
}

func (h *simHost) shouldFailMove() bool {
	rate := h.faults.MoveFailureRate
	if rate <= 0 {
		return false
	}
	return h.rng.Float64() < rate
}

func (f *Fleet) crashLocked(h *simHost, now time.Time) {
	f.failLocked(h, now)
	for _, v := range h.sortedVMs() {
		if v.state != VMRunning && v.state != VMPaused {
			continue
		}
		if v.spec.Clustered {
			if to := f.failoverTargetLocked(v, h, now); to != nil {
				f.placeLocked(v, to)
				v.state, v.boot = VMRunning, now
				continue
			}
		}
		v.state = VMOff
	}
	f.scheduleLocked(now)
}

// failoverTargetLocked picks the live node of v's cluster, other than from,
// with the most free memory, if it can start v.
func (f *Fleet) failoverTargetLocked(v *simVM, from *simHost, now time.Time) *simHost {
	var best *simHost
	var bestFree int64
	for _, name := range f.names {
		h := f.hosts[strings.ToLower(name)]
		if h == from || !sameCluster(h, from) || h.faults.Crashed || h.faults.Unreachable {
			continue
		}
		free := f.freeLocked(h, now)
		if free >= v.startup && (best == nil || free > bestFree) {
			best, bestFree = h, free
		}
	}
	return best
}
