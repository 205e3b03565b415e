package balancer

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/policy"
)

// request plans one policy request, or records why it cannot be done.
// Requests share a budget of Judge calls (maxRequestJudged), and once the
// policy has denied every destination to kindCut requests of one kind in a
// row, the later ones of that kind are not tried until a planned move
// changes the fleet, unless their VM is smaller, in CPU demand and in
// memory, than each VM of the kind denied so far (a rule that denies by
// size may let a smaller VM through): such requests are counted, not
// judged destination by destination, so that they leave the balancing
// search its turn.
func (r *pass) request(ctx context.Context, req policy.Request) error {
	st := r.st
	unmet := func(why, detail string) { r.unmetRequest(req, why, detail, nil, 0) }
	vi, ok := st.vmIdx[req.VM]
	switch {
	case !ok:
		unmet(unmetNotInSnapshot, "the vm is not in the snapshot")
		return nil
	case req.To != "" && req.To == st.vms[vi].v.Host && !st.vms[vi].moved:
		return nil // already where the policy wants it
	case req.Kind == MaintenanceKind && req.To == "" && st.vms[vi].moved:
		return nil // already off its host: the evacuation is met
	case len(r.moves) >= r.cfg.MaxMoves:
		unmet(unmetMaxMoves, fmt.Sprintf("the plan already has max_moves (%d) moves", r.cfg.MaxMoves))
		return nil
	case st.vms[vi].moved:
		unmet(unmetAlreadyMoved, "the vm is already moved by a request of higher priority")
		return nil
	case st.vms[vi].held != movable:
		unmet(unmetHeld, st.vms[vi].note)
		return nil
	case r.balancingReserved(vi):
		unmet(unmetReserved, fmt.Sprintf("the plan keeps its last %d of max_moves (%d) for balancing while a host is hot", balancingReserve(r.cfg.MaxMoves), r.cfg.MaxMoves))
		return nil
	case r.requestJudged >= maxRequestJudged:
		unmet(unmetBudget(), unmetBudget())
		return nil
	case req.To == "" && r.kindDenied[requestKind(req)].cuts(&st.vms[vi]):
		unmet(unmetCut, unmetCut)
		return nil
	}
	var cands []candidate
	if req.To != "" {
		to, ok := st.hostIdx[req.To]
		if !ok {
			unmet(unmetUnknownHost, fmt.Sprintf("host %s is not in the snapshot", req.To))
			return nil
		}
		if msg := st.check(vi, to); msg != "" {
			unmet(unmetHostLimits, msg)
			return nil
		}
		cands = []candidate{{vm: vi, to: to, gain: st.obj.gain(st, vi, to)}}
	} else {
		faults := make(map[fault]int)
		for _, to := range st.elig {
			if f := st.fault(vi, to); f != faultNone {
				faults[f]++
				r.limit(vi, to, f, TriggerRequest)
				continue
			}
			r.search.Candidates++
			cands = append(cands, candidate{vm: vi, to: to, gain: st.obj.gain(st, vi, to)})
		}
		sortCandidates(cands)
		if len(cands) == 0 {
			unmet(unmetNoHost, "no host can take it: "+faultSummary(faults, len(st.elig)))
			return nil
		}
	}
	budget := min(maxJudgedPerStep, maxRequestJudged-r.requestJudged)
	j, err := r.choose(ctx, cands, math.Inf(-1), TriggerRequest, budget)
	r.requestJudged += j.judged
	if err != nil {
		return err
	}
	if j.best == nil {
		if req.To != "" {
			r.unmetRequest(req, unmetDeniedTo, "", j.rejected, j.denied)
			return nil
		}
		why, detail := unmetDeniedAll, fmt.Sprintf("the policy denied every destination (%d)", j.denied)
		switch {
		case j.judged < len(cands) && r.requestJudged >= maxRequestJudged:
			r.unmetRequest(req, unmetBudget(), fmt.Sprintf("the policy denied the %d destinations judged before the plan's requests used their %d policy evaluations", j.denied, maxRequestJudged), j.rejected, j.denied)
			return nil
		case j.judged < len(cands):
			why, detail = unmetDeniedBest, fmt.Sprintf("the policy denied the best %d of %d destinations", j.denied, len(cands))
		}
		if r.kindDenied == nil {
			r.kindDenied = make(map[string]*deniedKind)
		}
		kind := requestKind(req)
		if r.kindDenied[kind] == nil {
			r.kindDenied[kind] = &deniedKind{}
		}
		r.kindDenied[kind].add(&st.vms[vi])
		r.unmetRequest(req, why, detail, j.rejected, j.denied)
		return nil
	}
	r.addMove(j.best, TriggerRequest, req.Reason, req.Priority, []string{"requests", "deny", "penalty"}, j.rejected)
	r.kindDenied = nil // the fleet changed: a destination denied before may take the next
	return nil
}

// faultSummary says why no host could take a VM.
func faultSummary(faults map[fault]int, eligible int) string {
	if eligible == 0 {
		return "no host is eligible"
	}
	if faults[faultNoCluster] > 0 {
		return "it is clustered, but its host is in no cluster"
	}
	names := []struct {
		f    fault
		what string
	}{
		{faultSameHost, "its own host"},
		{faultCluster, "outside its cluster"},
		{faultVendor, "with another processor vendor"},
		{faultModel, "with another processor model"},
		{faultVersion, "without its configuration version"},
		{faultSwitch, "missing a virtual switch"},
		{faultRefused, "refused by Compare-VM lately"},
		{faultCSV, "outside the cluster of its shared volume"},
		{faultInflow, "at max_inflow_per_host"},
		{faultMemory, "short of memory"},
		{faultMemoryHigh, "over memory_high"},
		{faultCPU, "over cpu_high or the CPU ceiling"},
		{faultStoragePath, "with no storage path"},
		{faultStorageVolume, "with no volume for their storage path"},
		{faultStorageFull, "short of storage space"},
	}
	var parts []string
	for _, n := range names {
		if c := faults[n.f]; c > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c, n.what))
		}
	}
	return fmt.Sprintf("of %d eligible hosts, %s", eligible, strings.Join(parts, ", "))
}

// withEvacuations returns the policy's requests plus one of kind
// MaintenanceKind for each running VM of a host in maintenance that the
// policy did not already ask to evacuate (a request of that kind for the
// VM), so that no VM is asked for twice. A VM the planner must leave where
// it is (frozen, in cooldown, on an unhealthy host) still gets its request:
// the plan then says why the host does not drain. An evacuation whose VM
// a request of higher priority already moved off is met (see request).
func withEvacuations(st *state, reqs []policy.Request) []policy.Request {
	asked := make(map[string]bool)
	for _, r := range reqs {
		if r.Kind == MaintenanceKind {
			asked[r.VM] = true
		}
	}
	out := append([]policy.Request(nil), reqs...)
	for hi := range st.hosts {
		hs := &st.hosts[hi]
		if !InMaintenance(hs.h) {
			continue
		}
		for _, vi := range hs.vms {
			v := st.vms[vi].v
			if !v.Running() || asked[v.ID] {
				continue
			}
			out = append(out, policy.Request{
				VM:       v.ID,
				Reason:   fmt.Sprintf("%s: evacuate %s (maintenance)", vmName(v), hs.h.Name),
				Priority: MaintenancePriority,
				Kind:     MaintenanceKind,
			})
		}
	}
	return out
}

// vmName is a VM's name for messages, or its ID if it has none.
func vmName(v *collector.VM) string {
	if v.Name != "" {
		return v.Name
	}
	return v.ID
}
