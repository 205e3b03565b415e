package balancer

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/hvbalancer/hvbalancer/policy"
)

// cooledBatch is how many of the cooled VMs' worthwhile moves cooldownStop
// asks the policy about at a time, the best ranked first, until one is
// allowed: a fourth of what a balancing step may judge. maxCooledJudged,
// what a balancing step may judge (maxJudgedPerStep), bounds them all,
// spent once a plan.
const (
	cooledBatch     = 64
	maxCooledJudged = maxJudgedPerStep
)

// cooldownStop counts, when the balancing search stopped because no move
// within the limits gains the minimum (stopNoGain), the moves it would
// have made but for a VM's cooldown: moves of a VM that migrated less than
// the cooldown before the snapshot (the executor's per-VM cooldown, read
// from the history), from the last step's sources to the destinations a
// step would try, within the hard limits and the hysteresis per host pair,
// that are worthwhile before the policy's penalty, and that the policy,
// asked as a balancing step asks it (see pass.judge), allows and leaves
// worthwhile after its penalty. When any is, r.cooled counts them,
// r.coolFree is when the first of their VMs leaves its cooldown, and the
// search's stop names them, so that a plan does not call a fleet balanced
// that the planner would change once the cooldowns end (see pass.verdict):
// right after a round's migrations many VMs are in cooldown, and a move of
// one of them that gains is load the planner means to move. A fleet where
// no move gains the minimum, cooled VMs or not, is still balanced, and so
// is one whose cooled VMs' gaining moves the policy denies (anti-affinity,
// a pin, a guard) or prices below the minimum: nothing would move after
// the cooldowns either.
//
// It scores the cooled VMs of one step's sources once, at the stop, and
// nothing when the sources hold none; it asks the policy only when some
// move of theirs is worthwhile, about the best cooledBatch of them, and
// about the next cooledBatch while it has allowed none, up to
// maxCooledJudged (the stop says "at least" when it allowed some and did
// not ask about them all), counted in the plan's Search.Judged and
// Search.Denied like the search's own: no second search. When it denied
// all it asked about and moves are left that it was not asked about,
// r.cooledUnasked counts them and the plan does not call the fleet
// balanced (see pass.verdict), as when a balancing step's denials use up
// its budget: saying balanced would claim what no one checked. An error
// from the policy fails the plan, as in the search.
func (r *pass) cooldownStop(ctx context.Context, minGain float64) error {
	if len(r.recent) == 0 || r.cfg.Cooldown <= 0 {
		return nil
	}
	st := r.st
	sources := r.sources()
	type cooledVM struct{ src, vi int }
	var cooled []cooledVM
	for _, src := range sources {
		for _, vi := range st.hosts[src].vms {
			if st.vms[vi].held == heldCooldown {
				cooled = append(cooled, cooledVM{src, vi})
			}
		}
	}
	if len(cooled) == 0 {
		return nil
	}
	sc := r.newScoring(sources, len(cooled), minGain)
	var sh share // the moves only: the limits, holds and counts are the search's
	for _, c := range cooled {
		sc.scoreCooled(&sh, c.src, c.vi)
	}
	cands := sh.out
	if len(cands) == 0 {
		return nil
	}
	sortCandidates(cands)
	judged, vms := 0, 0
	for judged < len(cands) && judged < maxCooledJudged && r.cooled == 0 {
		batch := cands[judged:min(judged+cooledBatch, len(cands), maxCooledJudged)]
		n, err := r.judgeCooled(ctx, batch, minGain)
		if err != nil {
			return err
		}
		vms += n
		judged += len(batch)
	}
	left := len(cands) - judged
	if r.cooled == 0 {
		if left > 0 {
			r.cooledUnasked = left
			r.stopped += fmt.Sprintf(", and the policy denied or priced out the best %s of VMs in cooldown (%s after a VM's migration), %d more not asked",
				plural(judged, "move"), r.cfg.Cooldown, left)
		}
		return nil
	}
	atLeast := ""
	if left > 0 {
		atLeast = "at least "
	}
	why := fmt.Sprintf("%s%s of %s in cooldown (%s after a VM's migration), the first free at %s",
		atLeast, plural(r.cooled, "move"), plural(vms, "VM"), r.cfg.Cooldown, r.coolFree.UTC().Format(time.RFC3339))
	if r.held > 0 {
		r.stopped += "; save as well " + why
		return nil
	}
	r.stopped += ", save " + why
	return nil
}

// scoreCooled scores the moves of VM vi, in its cooldown on source src,
// into sh as a balancing step would score them were the VM movable: the
// cooldown is the only hold, and it is put back after.
func (sc *scoring) scoreCooled(sh *share, src, vi int) {
	vs := &sc.r.st.vms[vi]
	vs.held = movable
	defer func() { vs.held = heldCooldown }()
	sc.scoreVM(sh, src, vi)
}

// judgeCooled asks the policy about the cooled VMs' candidates, sorted
// best first, with the fleet as projected (see pass.judge), each VM
// movable for its judgement and back in its cooldown after, and counts in
// r.cooled those it allows that stay worthwhile after its penalty, with
// r.coolFree the soonest their VMs leave the cooldown; it returns how many
// VMs they move. It first judges them side by side where that pays (see
// warm), which only warms the verdicts.
func (r *pass) judgeCooled(ctx context.Context, cands []candidate, minGain float64) (int, error) {
	st := r.st
	r.warm(ctx, cands)
	var moved []int
	for _, c := range cands {
		v, err := r.judgeMovable(ctx, c.vm, c.to)
		if err != nil {
			return 0, err
		}
		if len(v.Deny) > 0 || !worthwhile(c.gain-v.Penalty, c.relief, minGain) {
			continue
		}
		r.cooled++
		if slices.Contains(moved, c.vm) {
			continue
		}
		moved = append(moved, c.vm)
		free := r.recent[st.vms[c.vm].v.ID].Add(r.cfg.Cooldown)
		if r.coolFree.IsZero() || free.Before(r.coolFree) {
			r.coolFree = free
		}
	}
	return len(moved), nil
}

// judgeMovable judges the move of VM vi, in its cooldown, to host to as
// the move of a movable VM, putting its cooldown back after.
func (r *pass) judgeMovable(ctx context.Context, vi, to int) (policy.Verdict, error) {
	vs := &r.st.vms[vi]
	vs.held = movable
	defer func() { vs.held = heldCooldown }()
	return r.judge(ctx, vi, to)
}
