package main

import (
	"fmt"

	"github.com/hvbalancer/hvbalancer/collector"
)

// Pinned is the busiest host no contender can change: its VMs cannot
// leave it and none may come to it (live migration disabled, or the host
// not healthy), so its CPU load is the same after every method.
type Pinned struct {
	Host   string  `json:"host"`
	CPU    float64 `json:"cpu"`    // percent, before and after every method
	Reason string  `json:"reason"` // why its VMs cannot migrate
}

// pinnedHost returns the busiest host of f that no move can leave or
// reach; ok is false when every host can send and take VMs.
func pinnedHost(f *fleet) (p Pinned, ok bool) {
	for hi := range f.snap.Hosts {
		h := &f.snap.Hosts[hi]
		why := pinnedReason(h)
		if why == "" || ok && f.cpu(hi) <= p.CPU {
			continue
		}
		p, ok = Pinned{Host: h.Name, CPU: f.cpu(hi), Reason: why}, true
	}
	return p, ok
}

// pinnedReason says why no VM can leave or reach host h, "" when both can
// (the hard limits' conditions on either end, see fleet.allowed).
func pinnedReason(h *collector.Host) string {
	switch {
	case h.Health != collector.HealthOK:
		return fmt.Sprintf("its health is %s", h.Health)
	case !h.MigrationEnabled:
		return "live migration is disabled on it"
	}
	return ""
}

// movableMaxCPU is the CPU load of the busiest host that can send and
// take VMs (0 when none can).
func movableMaxCPU(f *fleet) float64 {
	hi := 0.0
	for i := range f.snap.Hosts {
		if pinnedReason(&f.snap.Hosts[i]) == "" {
			hi = max(hi, f.cpu(i))
		}
	}
	return hi
}
