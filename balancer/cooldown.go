package balancer

import (
	"fmt"
	"slices"
	"time"
)

// cooldownStop counts, when the balancing search stopped because no move
// within the limits gains the minimum (stopNoGain), the moves it would
// have made but for a VM's cooldown: moves of a VM that migrated less than
// the cooldown before the snapshot (the executor's per-VM cooldown, read
// from the history), from the last step's sources to the destinations a
// step would try, within the hard limits and the hysteresis per host pair,
// that are worthwhile before the policy's penalty (the policy is not asked
// about them). When any is, r.cooled counts them, r.coolFree is when the
// first of their VMs leaves its cooldown, and the search's stop names
// them, so that a plan does not call a fleet balanced that the planner
// would change once the cooldowns end (see pass.verdict): right after a
// round's migrations many VMs are in cooldown, and a move of one of them
// that gains is load the planner means to move. A fleet where no move
// gains the minimum, cooled VMs or not, is still balanced.
//
// It scores the cooled VMs of one step's sources once, at the stop, and
// nothing when the sources hold none: no second search.
func (r *pass) cooldownStop(minGain float64) {
	if len(r.recent) == 0 || r.cfg.Cooldown <= 0 {
		return
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
		return
	}
	perVM := maxDestinations
	if n := st.movableOn(sources) + len(cooled); n*maxDestinations > maxStepPairs {
		perVM = max(minDestinations, maxStepPairs/n)
	}
	byHeat := st.coolest(func(hi int) float64 { return st.heat(hi) })
	var byCPU coolest
	if top := st.obj.top[0]; top >= 0 && slices.Contains(sources, top) {
		byCPU = st.coolest(func(hi int) float64 { return st.hosts[hi].cpu })
	}
	vms := 0
	for _, c := range cooled {
		order := byHeat
		if c.src == st.obj.top[0] {
			order = byCPU
		}
		if n := r.cooledMoves(c.src, c.vi, order, perVM, minGain); n > 0 {
			r.cooled += n
			vms++
			free := r.recent[st.vms[c.vi].v.ID].Add(r.cfg.Cooldown)
			if r.coolFree.IsZero() || free.Before(r.coolFree) {
				r.coolFree = free
			}
		}
	}
	if r.cooled == 0 {
		return
	}
	why := fmt.Sprintf("%s of %s in cooldown (%s after a VM's migration), the first free at %s",
		plural(r.cooled, "move"), plural(vms, "VM"), r.cfg.Cooldown, r.coolFree.UTC().Format(time.RFC3339))
	if r.held > 0 {
		r.stopped += "; save as well " + why
		return
	}
	r.stopped += ", save " + why
}

// cooledMoves counts the worthwhile moves of VM vi, in its cooldown on
// source src, to the first perVM destinations of order within the hard
// limits and the hysteresis per host pair, as a balancing step would score
// them were the VM movable.
func (r *pass) cooledMoves(src, vi int, order coolest, perVM int, minGain float64) int {
	st := r.st
	vs := &st.vms[vi]
	list := order.all
	if vs.v.Clustered {
		list = order.byCluster[st.hosts[src].h.Cluster]
	}
	// The limits are checked as for a movable VM: the cooldown is the
	// only hold, and it is put back before returning.
	vs.held = movable
	defer func() { vs.held = heldCooldown }()
	n, tried := 0, 0
	for _, to := range list {
		if tried == perVM {
			break
		}
		if st.fault(vi, to) != faultNone || r.heldBack(src, to) {
			continue
		}
		tried++
		g := st.obj.gain(st, vi, to)
		if worthwhile(g, r.relief(vi, src, to, g, minGain), minGain) {
			n++
		}
	}
	return n
}
