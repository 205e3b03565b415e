package balancer

import (
	"container/heap"
	"context"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"sync"

	"github.com/hvbalancer/hvbalancer/policy"
)

// Search bounds, so a step stays fast on large fleets. A step considers
// every hot host as a source (and, when fewer than minSources are hot, the
// hottest of the others up to minSources, and the three busiest hosts by
// CPU, the objective's peak); each movable VM on them is
// scored against the coolest destinations that can take it: maxDestinations
// of them, or fewer (never under minDestinations) once the sources hold
// more than maxStepPairs/maxDestinations movable VMs, so that a step scores
// at most about maxStepPairs moves whatever the number of hot hosts.
const (
	minSources           = 4    // sources a step considers when fewer hosts are hot
	maxDestinations      = 16   // coolest hosts within limits tried per VM
	minDestinations      = 4    // the fewest tried per VM on a fleet with many hot VMs
	maxStepPairs         = 8192 // VM and destination pairs a step aims to score at most
	maxJudgedPerStep     = 256  // Judge calls before a step gives up
	maxRejectionsPerMove = 10   // rejections kept with a move
	maxPlanRejections    = 100  // rejections kept at plan level
)

// candidate is a move the search may take.
type candidate struct {
	vm, to int
	gain   float64 // objective gain before any penalty
	// relief is the peak relief credit (see objective.relief): what the move takes off the busiest host that the peak
	// term does not see because other hosts are near it. It counts toward
	// the minimum gain (see worthwhile) and in the ranking, so the busiest
	// host is relieved first; never in the plan's figures, which are the
	// objective's.
	relief float64
	// cost is the candidate's migration cost (see objective.cost), already
	// part of gain, when the ranking charges it again (see thrift); else 0.
	cost float64
}

// thrift is how many times more the ranking of balancing candidates on a
// dense fleet (see state.dense) charges a move's bytes than the objective
// does: a candidate ranks by its gain with the peak relief credit less
// thrift × its migration cost, as if migration_cost_weight were 1 + thrift
// times higher (and not at all when it is 0). Whether a move is worthwhile
// is still judged on the objective's gain (see worthwhile), so the same
// moves are worth making; the ranking only says which of them a step
// takes first: of moves that gain alike, the one that copies fewer bytes.
//
// On a dense fleet every host is hot and each step relieves the busiest
// (only a move off it may fill past the fill line, see denseFill), which
// usually holds a small VM that takes it as far down as a large one; the
// objective's gain alone took the large one for its few extra points (on
// hvbench's dense fleet, 96 hosts all above cpu_high, four large VMs were
// 192 of the 544 GiB; TestDenseFleetTakesTheSmallerVMForTheSamePeak is
// that choice on five hosts). With the ranking the same fleet reaches the
// same 81.1 % peak with 350 GiB, and any factor from 5 to 12 gives
// 344–350 GiB. Raising migration_cost_weight instead (to 0.3) also raised
// the minimum the last moves of the levelling had to clear, and the
// busiest host stayed at 82.0 %. On other fleets the bytes a move copies
// also buy the memory balance the objective weighs, and charging them
// there left memory less even (hvbench's memory-tight fleet, 16 hosts:
// the fullest host at 60.9 % instead of 47.9 %), so the ranking charges
// them only on a dense fleet. Policy requests rank by their gain alone.
const thrift = 8

// rank is the ranking of a candidate before the policy's verdict: gain
// with the peak relief credit, less thrift × its migration cost on a dense
// fleet.
func (c candidate) rank() float64 { return c.gain + c.relief - thrift*c.cost }

// worthwhile reports whether a candidate whose gain after the policy's
// penalty is final clears the minimum gain: final reaches minGain, or the
// move gains (final > 0) and final with its peak relief reaches minGain.
// So where several hosts sit near the busiest one, a move that takes the
// busiest host clearly down and leaves neither of its hosts as busy as
// that host was is worthwhile, though the fleet's peak falls only once the
// hosts near it are relieved too; the aggressiveness keeps its meaning for
// every other move. pass.relief gives no credit to a move below half the
// minimum that widens the weighted spread, nor to one back along a host
// pair used the other way within the cooldown.
func worthwhile(final, relief, minGain float64) bool {
	return final >= minGain || final > 0 && final+relief >= minGain
}

// choice is an allowed candidate with the policy's verdict.
type choice struct {
	candidate
	final   float64 // gain minus penalty
	penalty float64
	order   int
}

// rank is a judged candidate's ranking: its rank with the policy's
// penalty taken off (see candidate.rank).
func (c *choice) rank() float64 { return c.final + c.relief - thrift*c.cost }

// choices is a max-heap of allowed candidates by rank after the penalty.
type choices []choice

func (h choices) Len() int { return len(h) }
func (h choices) Less(i, j int) bool {
	if a, b := h[i].rank(), h[j].rank(); a != b {
		return a > b
	}
	return h[i].order < h[j].order
}
func (h choices) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *choices) Push(x any)   { *h = append(*h, x.(choice)) }
func (h *choices) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// judgement is the outcome of choose.
type judgement struct {
	best     *choice
	rejected []Rejection // denied candidates, in the order judged (capped)
	denied   int
	judged   int
}

// choose walks candidates (sorted best first) and asks the policy about
// them lazily: only while a not yet judged candidate could still outrank
// the best allowed one. Penalties are assumed to be costs (>= 0) for that
// bound; a negative penalty only makes a candidate win sooner. The chosen
// candidate is worthwhile (see worthwhile).
func (r *pass) choose(ctx context.Context, cands []candidate, minGain float64, trigger string, budget int) (judgement, error) {
	var out judgement
	var allowed choices
	for i := 0; ; {
		if allowed.Len() > 0 && (i == len(cands) || out.judged >= budget || allowed[0].rank() >= cands[i].rank()) {
			if worthwhile(allowed[0].final, allowed[0].relief, minGain) {
				best := allowed[0]
				out.best = &best
				return out, nil
			}
			heap.Pop(&allowed) // allowed, but its penalty leaves it short of worthwhile
			continue
		}
		if i == len(cands) || out.judged >= budget {
			return out, nil
		}
		r.judgeAhead(ctx, cands, i, budget-out.judged)
		c := cands[i]
		i++
		v, err := r.judge(ctx, c.vm, c.to)
		out.judged++
		if err != nil {
			return out, err
		}
		if len(v.Deny) > 0 {
			out.denied++
			if len(out.rejected) < maxPlanRejections {
				out.rejected = append(out.rejected, r.rejection(c.vm, c.to, trigger, c.gain, v.Deny))
			}
			continue
		}
		heap.Push(&allowed, choice{candidate: c, final: c.gain - v.Penalty, penalty: v.Penalty, order: i})
	}
}

// judge asks the policy about moving VM vi to host to. What the policy
// sees of a candidate is the move and its two hosts as projected (see
// state.projected), so a verdict holds until a planned move changes either
// host: it is kept, by the hosts' stamps, and given again without asking,
// so that later steps do not judge again the candidates an earlier step
// judged and left.
func (r *pass) judge(ctx context.Context, vi, to int) (policy.Verdict, error) {
	st := r.st
	vs := &st.vms[vi]
	key := [2]int{vi, to}
	if k, ok := r.verdicts[key]; ok && k.from == st.hosts[vs.host].stamp && k.to == st.hosts[to].stamp && k.at == vs.host {
		return k.v, nil
	}
	m := policy.Move{VM: vs.v.ID, From: st.hosts[vs.host].h.Name, To: st.hosts[to].h.Name}
	v, err := r.rules.Judge(ctx, m, st.projected(vi, to))
	r.search.Judged++
	if err != nil {
		return v, fmt.Errorf("judge moving vm %s from %s to %s: %w", m.VM, m.From, m.To, err)
	}
	if r.verdicts == nil {
		r.verdicts = make(map[[2]int]keptVerdict)
	}
	r.verdicts[key] = keptVerdict{v: v, at: vs.host, from: st.hosts[vs.host].stamp, to: st.hosts[to].stamp}
	if len(v.Deny) > 0 {
		r.search.Denied++
	}
	if v.Error != "" {
		// A rule that failed for the candidate vetoes it (its Deny says so).
		r.policyErrors++
		if r.policyError == "" {
			r.policyError = v.Error
		}
	}
	return v, nil
}

// keptVerdict is a verdict with the stamps of the two hosts it was given
// for (see pass.judge); at is the VM's host then.
type keptVerdict struct {
	v        policy.Verdict
	at       int
	from, to uint64
}

// rejection records a refused candidate.
func (r *pass) rejection(vi, to int, trigger string, gain float64, msgs []string) Rejection {
	st := r.st
	vs := &st.vms[vi]
	rej := Rejection{VM: vs.v.ID, VMName: vs.v.Name, Trigger: trigger, Gain: decimals(gain, 3), Messages: sortedCopy(msgs)}
	if vs.host >= 0 {
		rej.From = st.hosts[vs.host].h.Name
	} else {
		rej.From = vs.v.Host
	}
	if to >= 0 {
		rej.To = st.hosts[to].h.Name
	}
	return rej
}

// balanceCandidates scores the moves a balancing step considers: every
// movable VM on the sources (every hot host, hottest first, or the
// minSources hosts of highest heat when fewer are hot) to the coolest hosts
// that can take it (its cluster's only, for a clustered VM), keeping those
// that are worthwhile before penalty (see worthwhile), ranked (see
// thrift). A destination the move would
// send load back to along a recently used host pair (see backPairs) is
// passed over unless the source was hot before the plan (see heldBack);
// r.held counts those that would have been worthwhile.
func (r *pass) balanceCandidates(minGain float64) []candidate {
	st := r.st
	r.held = 0
	sources := r.sources()
	sc := r.newScoring(sources, 0, minGain)
	// The sources' VMs are scored on two goroutines, each a run of
	// sources in order, when there are enough of them and a second core:
	// scoring reads the state only (the compatibility memo is safe to
	// share), and what it records, the limits met first and the counts,
	// is applied after, in the sources' order, as one goroutine would.
	shares := []share{{sources: sources}}
	if n := st.movableOn(sources); n >= parallelScoring && len(sources) > 1 && runtime.GOMAXPROCS(0) > 1 {
		half := 0
		for i, m := 0, 0; i < len(sources)-1 && m < n/2; i++ {
			m += st.movableOn(sources[i : i+1])
			half = i + 1
		}
		shares = []share{{sources: sources[:half]}, {sources: sources[half:]}}
		var wg sync.WaitGroup
		wg.Go(func() { sc.score(&shares[1]) })
		sc.score(&shares[0])
		wg.Wait()
	} else {
		sc.score(&shares[0])
	}
	var out []candidate
	for i := range shares {
		sh := &shares[i]
		out = append(out, sh.out...)
		for _, l := range sh.limits {
			r.limit(l.vm, l.to, l.f, TriggerBalance)
		}
		r.held += sh.held
		r.search.Candidates += sh.candidates
	}
	sortBest(out, maxJudgedPerStep+1)
	return out
}

// parallelScoring is how many movable VMs a step's sources hold, at the
// least, for balanceCandidates to score them on two goroutines.
const parallelScoring = 256

// scoring is what a balancing step scores its sources' VMs with (see
// balanceCandidates).
type scoring struct {
	r             *pass
	perVM         int
	minGain       float64
	byHeat, byCPU coolest
	thrifty       bool
}

// newScoring sets up the scoring of a step from sources: the destinations
// tried per VM, fewer when the sources' movable VMs and extra more VMs
// would exceed maxStepPairs, and the destinations' orders.
func (r *pass) newScoring(sources []int, extra int, minGain float64) scoring {
	st := r.st
	perVM := maxDestinations
	if n := st.movableOn(sources) + extra; n*maxDestinations > maxStepPairs {
		perVM = max(minDestinations, maxStepPairs/n)
	}
	// Destinations coolest first: by heat, and for the busiest host by CPU
	// alone, since what relieves the peak is CPU room (a host light in CPU
	// and heavy in memory has heat, yet it is where the peak's load fits).
	byHeat := st.coolest(func(hi int) float64 { return st.heat(hi) })
	var byCPU coolest
	if top := st.obj.top[0]; top >= 0 && slices.Contains(sources, top) {
		byCPU = st.coolest(func(hi int) float64 { return st.hosts[hi].cpu })
	}
	return scoring{r: r, perVM: perVM, minGain: minGain, byHeat: byHeat, byCPU: byCPU, thrifty: st.dense()}
}

// order is the destinations' order for a VM on source src: by CPU for
// the busiest host, by heat for the others.
func (sc *scoring) order(src int) coolest {
	if src == sc.r.st.obj.top[0] {
		return sc.byCPU
	}
	return sc.byHeat
}

// share is a run of a step's sources and what scoring them found: the
// worthwhile candidates, the destinations refused by a limit (each met
// once a step, in the order met), the moves the hysteresis held back and
// the candidates scored.
type share struct {
	sources    []int
	out        []candidate
	limits     []limitMet
	held       int
	candidates int
}

// limitMet is a VM and destination a hard limit refused.
type limitMet struct {
	vm, to int
	f      fault
}

// score scores the VMs of sh's sources, reading the pass and its state
// only (the compatibility memo aside): what the pass records is in sh.
func (sc *scoring) score(sh *share) {
	st := sc.r.st
	for _, src := range sh.sources {
		for _, vi := range st.hosts[src].vms {
			if vs := &st.vms[vi]; vs.held == movable && !vs.moved {
				sc.scoreVM(sh, src, vi)
			}
		}
	}
}

// scoreVM scores the moves of VM vi, movable on source src, to the first
// perVM destinations of its order within the hard limits and the
// hysteresis per host pair, into sh.
func (sc *scoring) scoreVM(sh *share, src, vi int) {
	r, st := sc.r, sc.r.st
	vs := &st.vms[vi]
	order := sc.order(src)
	list := order.all
	if vs.v.Clustered {
		list = order.byCluster[st.hosts[src].h.Cluster]
	}
	tried := 0
	for _, to := range list {
		if tried == sc.perVM {
			break
		}
		if r.limitSeen.has(vi*len(st.hosts) + to) {
			continue // a limit it cannot move past, met before: those hold for the plan (see limit)
		}
		if to == vs.host {
			continue
		}
		// A movable VM and an eligible host of its cluster (coolest): the
		// checks fault adds hold.
		if f := st.destFault(vi, to); f != faultNone {
			if f.cannotRun() {
				sh.limits = append(sh.limits, limitMet{vm: vi, to: to, f: f})
			}
			continue
		}
		if r.heldBack(src, to) {
			if worthwhile(st.obj.gain(st, vi, to), 0, sc.minGain) {
				sh.held++
			}
			continue
		}
		tried++
		sh.candidates++
		g := st.obj.gain(st, vi, to)
		if rl := r.relief(vi, src, to, g, sc.minGain); worthwhile(g, rl, sc.minGain) {
			c := candidate{vm: vi, to: to, gain: g, relief: rl}
			if sc.thrifty {
				c.cost = st.obj.cost(st, vi)
			}
			sh.out = append(sh.out, c)
		}
	}
}

// coolest is the eligible hosts in a balancing step's order of preference
// as destinations, coolest first: all of them, and those of each cluster.
type coolest struct {
	all       []int
	byCluster map[string][]int
}

// coolest orders the eligible hosts by load, lowest first (ties in name
// order).
func (st *state) coolest(load func(hi int) float64) coolest {
	c := coolest{all: append([]int(nil), st.elig...), byCluster: make(map[string][]int)}
	sort.SliceStable(c.all, func(i, j int) bool { return load(c.all[i]) < load(c.all[j]) })
	for _, hi := range c.all {
		if cl := st.hosts[hi].h.Cluster; cl != "" {
			c.byCluster[cl] = append(c.byCluster[cl], hi)
		}
	}
	return c
}

// sources are the hosts a balancing step moves VMs off: every hot host,
// by how far it is over its thresholds, then by heat; when fewer than
// minSources are hot, the hosts of highest positive heat fill up to
// minSources; then the three busiest hosts by CPU not among them, when
// above the mean (heat weighs CPU and memory together, so a host busy in
// CPU and light in memory may have none, yet it is the peak the objective
// lowers).
func (r *pass) sources() []int {
	st := r.st
	out := r.hotSources()
	for _, hi := range st.obj.top {
		if hi >= 0 && st.hosts[hi].cpu > st.obj.pc && !slices.Contains(out, hi) {
			out = append(out, hi)
		}
	}
	return out
}

// hotSources are the hot hosts and, when fewer than minSources, the hosts
// of highest positive heat up to minSources (see sources).
func (r *pass) hotSources() []int {
	st := r.st
	sources := append([]int(nil), st.elig...)
	sort.SliceStable(sources, func(i, j int) bool {
		ei, ej := st.excess(sources[i]), st.excess(sources[j])
		if ei != ej {
			return ei > ej
		}
		return st.heat(sources[i]) > st.heat(sources[j])
	})
	n := 0
	for _, hi := range sources {
		hot := st.excess(hi) > 0
		if !hot && (n >= minSources || st.heat(hi) <= 0) {
			break
		}
		sources[n] = hi
		n++
	}
	return sources[:n]
}

// movableOn counts the VMs on hosts that a balancing step may move.
func (st *state) movableOn(hosts []int) int {
	n := 0
	for _, hi := range hosts {
		for _, vi := range st.hosts[hi].vms {
			if vs := &st.vms[vi]; vs.held == movable && !vs.moved {
				n++
			}
		}
	}
	return n
}

func sortedCopy(s []string) []string {
	c := append([]string{}, s...)
	sort.Strings(c)
	return c
}
