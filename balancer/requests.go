package balancer

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/hvbalancer/hvbalancer/policy"
)

// request plans one policy request, or records why it cannot be done.
func (r *pass) request(ctx context.Context, req policy.Request) error {
	st := r.st
	refuse := func(msgs ...string) {
		rej := Rejection{VM: req.VM, To: req.To, Trigger: TriggerRequest, Messages: msgs}
		if vi, ok := st.vmIdx[req.VM]; ok {
			rej.VMName = st.vms[vi].v.Name
			rej.From = st.vms[vi].v.Host
		}
		r.addRejections([]Rejection{rej}, 1)
	}
	vi, ok := st.vmIdx[req.VM]
	switch {
	case !ok:
		refuse(fmt.Sprintf("requested (%s), but the vm is not in the snapshot", req.Reason))
		return nil
	case req.To != "" && req.To == st.vms[vi].v.Host && !st.vms[vi].moved:
		return nil // already where the policy wants it
	case len(r.moves) >= r.cfg.MaxMoves:
		refuse(fmt.Sprintf("requested (%s), but the plan already has max_moves (%d) moves", req.Reason, r.cfg.MaxMoves))
		return nil
	case st.vms[vi].moved:
		refuse(fmt.Sprintf("requested (%s), but the vm is already moved by a request of higher priority", req.Reason))
		return nil
	case st.vms[vi].held != movable:
		refuse(fmt.Sprintf("requested (%s), but %s", req.Reason, st.vms[vi].note))
		return nil
	}
	var cands []candidate
	if req.To != "" {
		to, ok := st.hostIdx[req.To]
		if !ok {
			refuse(fmt.Sprintf("requested (%s), but host %s is not in the snapshot", req.Reason, req.To))
			return nil
		}
		if msg := st.check(vi, to); msg != "" {
			refuse(fmt.Sprintf("requested (%s), but %s", req.Reason, msg))
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
			refuse(fmt.Sprintf("requested (%s), but no host can take it: %s", req.Reason, faultSummary(faults, len(st.elig))))
			return nil
		}
	}
	j, err := r.choose(ctx, cands, math.Inf(-1), TriggerRequest, maxJudgedPerStep)
	if err != nil {
		return err
	}
	if j.best == nil {
		if req.To == "" {
			refuse(fmt.Sprintf("requested (%s), but the policy denied every destination (%d)", req.Reason, j.denied))
		}
		r.addRejections(j.rejected, j.denied)
		return nil
	}
	r.addMove(j.best, TriggerRequest, req.Reason, req.Priority, []string{"requests", "deny", "penalty"}, j.rejected)
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
