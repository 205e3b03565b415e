package balancer

import (
	"fmt"
	"time"
)

// History is what a planning pass knows of earlier ones: each VM's last
// migration, for the cooldown, the migrations of late, for the hysteresis
// between host pairs, and the destinations Hyper-V refused lately. A nil
// *History is an empty one.
type History struct {
	// LastMoved is the time of each VM's last migration, by VM ID.
	LastMoved map[string]time.Time
	// Refused are the moves the destination's Compare-VM refused before
	// Move-VM was sent. Each (VM, destination) pair is a hard limit for
	// Config.RefusalMemory after it was refused: the planner's facts may
	// not show why (a share the destination does not reach, a processor
	// feature it lacks), and planning the same move every round would only
	// be refused again.
	Refused []Refusal
	// Moved are migrations that succeeded lately, in any order: no
	// balancing move goes back along a host pair that a balancing one of
	// them used the other way less than Config.Cooldown before the
	// snapshot, unless it relieves a hot host (see backPairs). Older ones,
	// and those a policy request or an evacuation made, are ignored.
	Moved []Migration
}

// Migration is one migration that succeeded.
type Migration struct {
	VM      string    // VM ID
	From    string    // source host name
	To      string    // destination host name
	Trigger string    // the move's trigger: TriggerBalance or TriggerRequest
	At      time.Time // when it ended
}

// Refusal is one move Compare-VM refused.
type Refusal struct {
	VM    string    // VM ID
	To    string    // destination host name
	At    time.Time // when it was refused
	Cause string    // the executor's typed cause, e.g. "storage_missing"
}

// lastMoved returns h's LastMoved, nil for a nil h.
func (h *History) lastMoved() map[string]time.Time {
	if h == nil {
		return nil
	}
	return h.LastMoved
}

// refusedDest is a destination a VM may not be sent to in this pass, and
// why.
type refusedDest struct {
	host int
	why  string
}

// refusedDests are the destinations one VM may not be sent to.
type refusedDests []refusedDest

// why is why the VM may not go to host to after an earlier refusal, ""
// when it may. No allocation.
func (r refusedDests) why(to int) string {
	for i := range r {
		if r[i].host == to {
			return r[i].why
		}
	}
	return ""
}

// refusalsOf returns h's refusals still remembered at time now (the
// snapshot's), by VM index, with the newest one per VM and destination;
// vmIdx and hostIdx index the pass's VMs and hosts. A refusal of an
// unknown VM or host, or one memory or more before now, is ignored; one
// after now (the snapshot was taken before Compare-VM ran) counts.
func refusalsOf(h *History, vmIdx, hostIdx map[string]int, now time.Time, memory time.Duration) map[int]refusedDests {
	if h == nil || memory <= 0 {
		return nil
	}
	newest := map[[2]int]Refusal{}
	for _, r := range h.Refused {
		vi, ok := vmIdx[r.VM]
		if !ok {
			continue
		}
		hi, ok := hostIdx[r.To]
		if !ok || now.Sub(r.At) >= memory {
			continue
		}
		k := [2]int{vi, hi}
		if old, ok := newest[k]; !ok || r.At.After(old.At) {
			newest[k] = r
		}
	}
	out := make(map[int]refusedDests, len(newest))
	for k, r := range newest {
		out[k[0]] = append(out[k[0]], refusedDest{host: k[1], why: fmt.Sprintf(
			"Compare-VM refused on %s: %s (remembered until %s)",
			r.At.UTC().Format(time.RFC3339), r.Cause, r.At.Add(memory).UTC().Format(time.RFC3339))})
	}
	return out
}
