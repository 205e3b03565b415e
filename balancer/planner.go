package balancer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sort"
	"sync"
	"time"

	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/policy"
)

// Planner makes plans. It is safe for concurrent use: each Plan call works
// on its own state.
//
// Loads. A host's CPU load is the mean of the window's mean and 95th
// percentile of its CPU use (percent of its logical processors); its
// memory load is the window's 95th percentile of memory in use (percent of
// capacity). A VM's CPU demand is the mean of its window mean and p95 in
// logical processors. So one spike moves nothing, a sustained peak counts,
// and memory is planned at its high mark.
//
// Objective. Over the n eligible hosts (healthy, not in maintenance by
// flag or label (see InMaintenance), live migration enabled), the weighted
// imbalance is
//
//	√n · (cpu_weight·σcpu + memory_weight·σmemory) + cpu_weight·(peak + over)
//
// where σ is the population standard deviation of host load in percentage
// points, peak the busiest eligible host's CPU load, and over the eligible
// hosts' CPU load above a line, summed: above cpu_high, or above the mean
// CPU load where that is higher (a dense fleet). The √n factor (as in
// VMware DRS's imbalance metric) makes a gain read the same in any fleet
// size: moving load off a lone hot host to one under the line gains about
// the points of load it moves in the spread term, as much again in the
// peak term while that host stays the busiest, and as much again in over
// while the host stays above the line. The peak term makes the search
// lower the busiest host, not only the spread: a host busy in CPU and
// light in memory (or one of many near the mean) is where a fleet's worst
// slowdown is, and balancers are judged by it. A move into the busiest
// host raises the peak and is scored so. Where many hosts are near the
// busiest, one move lowers the peak by little; over counts what each move
// takes off any hot host, so that relieving one of many is worth a move of
// its own. A move's gain is the drop in imbalance
// minus its migration cost, migration_cost_weight × the bytes it copies
// (assigned memory, plus its disks when its storage moves with it) in
// percent of an average eligible host's memory, minus the policy's penalty
// (a number in the same points).
//
// Search. Policy requests come first, by priority: a request with a
// destination is taken if it passes the hard limits and the policy's deny;
// one without is sent to the destination with the best gain that passes
// both. A request may take a VM off a host in maintenance (evacuation),
// and the planner itself asks to evacuate each running VM of such a host
// (see withEvacuations), whatever requests the policy makes; no request
// or balancing move ever enters a host that is not eligible, so none
// enters a host in maintenance, whatever the policy allows. Requests that cannot be
// met are counted by kind (see UnmetRequests) and kept cheap: all requests
// share 1,024 Judge calls, a kind the policy denied everywhere three times
// in a row is not tried again until a move changes the fleet (except for a
// smaller VM), and while a host is hot, requests other than evacuations
// leave the last quarter of max_moves to balancing. Balancing follows,
// greedily: each step scores the movable VMs of every hot host (by how far
// it is over, then by heat; the hosts of highest heat fill up to four when
// fewer are hot; and the three busiest by CPU, which is the peak) against
// the sixteen coolest hosts that can take them (down
// to four each when the sources hold more than 512 movable VMs, so that a
// step scores about 8,192 candidates at most; see candidates.go), and asks
// the policy about candidates best ranked first (see below), only while
// one could still outrank the best allowed so far, at most 256 per step.
// A step takes the best-ranked allowed candidate that is worthwhile: its gain
// reaches MinGain(aggressiveness), or it gains and is a peak relief. A move off the busiest eligible host is credited the part of
// that host's drop the peak term misses because a third host is near the
// peak (see objective.relief): where several hosts sit within a few points
// of the busiest, well under cpu_high once the hot hosts are relieved, no
// single move lowers the peak by much, and under business hours' minimum
// gain of 2 the search stopped with that plateau in place (64 hosts: eight
// at 42-44 % CPU, the ideal 33.7 %). With the credit, a move that takes
// the busiest host down by about the minimum gain and leaves neither of
// its hosts as busy as the next busiest is worthwhile, so the plateau
// comes down host by host, busiest first; every other move still needs
// the minimum gain on its own. No credit is given below a host no plan
// can lower (healthy, live migration disabled), since the fleet's busiest
// host cannot come down past it, nor to a move that gains less than half
// the minimum on its own and widens the weighted spread (see
// pass.relief). Candidates rank by their gain
// with the credit, so the busiest host is relieved first, and its VMs are
// tried against the hosts coolest in CPU (the others' against the coolest
// by heat); a plan's figures are the objective's gains alone. On a dense
// fleet the ranking also charges a move's bytes thrift (8) times more than
// the objective does, while whether a move is worthwhile is still judged
// on the objective's gain: the same moves are worth making, and of those
// that gain alike the one that copies fewer bytes goes first, since the
// busiest host usually holds a small VM that brings it down as far as a
// large one (see thrift in candidates.go).
// Hysteresis per host pair: a host that was not hot before the plan sends
// no balancing move back along a host pair that a balancing migration of the history
// used the other way within the cooldown, so that two hosts near the mean do not
// pass load back and forth as noise swaps their ranking (see backPairs).
// When no candidate is worthwhile, the step tries swaps
// (Sandpiper's swap phase, see swapPhase): a busy VM of one of the four
// first sources to one of the eight coolest hosts and a less busy VM of
// that host back, planned as two moves in that order, each within every
// hard limit in order and judged by the policy like any move, the second
// also within the source's memory limits and the ceiling before the first
// has left (the executor may finish it first); a swap must gain twice
// MinGain. Balancing stops when no allowed move or swap gains enough, at
// max_moves, or once no host is hot and every weighted spread is within
// target_spread.
// Ties go to the lower VM ID, then host name, so the same snapshot and
// rules always give the same plan. Denied candidates are kept with the move
// chosen after them (the first ten), or with the plan when the search ends
// on them.
//
// Hard limits, checked against the fleet re-simulated after every planned
// move: a destination keeps memory_reserve_bytes free, stays at or below
// memory_high, and at or below cpu_high or cpu_ceiling, whichever is lower
// (so that no policy can make a move leave its destination hot); a
// balancing move fills it only to memory_high and cpu_high less the
// headroom, so that a host it fills is not hot again at the next noisy
// sample (policy requests may use the headroom). A dense fleet, whose
// eligible hosts' mean CPU is above that fill line, has no such
// destination; there a move off the busiest host may fill its destination
// past the fill line and cpu_high, to below the source's new load and at
// most cpu_ceiling (see denseFill), so that the busiest host comes down to
// the ceiling without a destination becoming busier than the host it
// relieves; and a VM of static memory may fill its destination's memory
// to within 1 point of memory_high, not the whole headroom, since memory
// in use does not move with noise as CPU does and the hosts with CPU room
// there are often full in memory (see memMargin). At most
// max_inflow_per_host moves go into one host (a safety
// setting, 16 by default: how many run at once is the executor's
// per_host_cap) and max_moves in all; a VM moves at most once, never to its own host, and a
// clustered VM only within its host's cluster; the destination runs the VM
// as it is (processor vendor, processor model unless the VM has processor
// compatibility, configuration version, virtual switches; see compat.go)
// and reaches or has room for its files (a VM on local volumes moves its
// disks into the destination's storage path, whose volume keeps
// storage_reserve_bytes free after every storage move planned into it; one
// on a CSV moves only within that cluster, one on an SMB share memory only,
// the destination's Compare-VM saying whether it reaches the share; see
// storage.go). Facts a host or VM does not report refuse nothing, except
// that a storage move needs its destination's path and volume. Destinations
// refused for these reasons are listed in Plan.Limited. VMs that are not running,
// frozen by the policy, in cooldown or on a host that is unhealthy or has
// live migration disabled stay put. Recheck applies the same limits, with
// the same code, to one move just before it starts.
type Planner struct {
	cfg Config
	log *slog.Logger

	mu sync.Mutex
	// unmetSaid are the unmet requests the last plan logged, by kind and
	// why, with their count: the same ones again are logged at debug, so
	// that a request no plan can meet is said once, not every round.
	unmetSaid map[string]int
}

// logUnmet logs the plan's unmet requests once per kind and why, not per
// request, and at info only when they differ from the last plan's.
func (p *Planner) logUnmet(plan *Plan) {
	p.mu.Lock()
	defer p.mu.Unlock()
	said := make(map[string]int, len(plan.Unmet))
	for _, u := range plan.Unmet {
		key := u.Kind + "\x00" + u.Why
		level := slog.LevelInfo
		if n, ok := p.unmetSaid[key]; ok && n == u.Count {
			level = slog.LevelDebug
		}
		said[key] = u.Count
		p.log.Log(context.Background(), level, "policy requests not met", "plan_id", plan.ID, "kind", u.Kind, "count", u.Count, "why", u.Why, "example", u.Example)
	}
	p.unmetSaid = said
}

// NewPlanner returns a planner with the given settings, or every problem
// with them. A nil logger discards.
func NewPlanner(cfg Config, log *slog.Logger) (*Planner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("new planner: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Planner{cfg: cfg, log: log.With("component", "planner")}, nil
}

// pass is one Plan call's work: a planning pass.
type pass struct {
	base     Config // the configured settings, before the policy's
	cfg      Config
	st       *state
	rules    Rules
	search   Search
	moves    []Move
	rejected []Rejection
	omitted  int
	stopped  string
	stop     stop // why the balancing search ended, for the verdict
	// policyErrors counts the verdicts whose deny or penalty rule failed
	// (each vetoed its candidate); policyError is the first one's message.
	policyErrors int
	policyError  string
	// limited are the destinations refused because the VM cannot run or
	// keep its storage there (see Plan.Limited); limitSeen marks each VM
	// and destination met, by vm*len(hosts)+host.
	limited        []Rejection
	limitedOmitted int
	limitSeen      bits
	// unmet counts the requests the plan cannot meet by kind and why
	// (unmetIdx finds one by kind and why); requestJudged counts the
	// requests' Judge calls; kindDenied counts, by kind, the requests in a
	// row whose every destination the policy denied since the last move.
	unmet         []UnmetRequests
	unmetIdx      map[string]int
	requestJudged int
	kindDenied    map[string]*deniedKind
	// verdicts are the policy's verdicts so far, by VM and destination,
	// with the stamps of the hosts they hold for (see judge).
	verdicts map[[2]int]keptVerdict
	// back are the (source, destination) directions that send load back
	// along a host pair used the other way within the cooldown (see
	// backPairs).
	back map[[2]int]bool
	// held counts the moves of the current step that the hysteresis per
	// host pair held back and that would have been worthwhile (see
	// balanceCandidates).
	held int
	// recent is each VM's last migration, by VM ID, for the cooldown (see
	// cooldownStop); cooled counts the moves of cooled VMs that the
	// cooldown held at the search's stop and that would have been
	// worthwhile, and coolFree is when the first of those VMs leaves it.
	recent   map[string]time.Time
	cooled   int
	coolFree time.Time
	// cooledUnasked counts the cooled VMs' worthwhile moves the policy was
	// not asked about when it denied all those it was (see cooldownStop).
	cooledUnasked int
}

// Plan plans the moves for snapshot s under rules. policyDigest names the
// policy (it goes into the plan and its ID); hist is what earlier rounds
// left (each VM's last migration, for the cooldown, and the moves
// Compare-VM refused lately), nil when none. It reads no clock: the plan is
// created at the snapshot's time.
func (p *Planner) Plan(ctx context.Context, s *collector.Snapshot, rules Rules, policyDigest string, hist *History) (*Plan, error) {
	if s == nil || rules == nil {
		return nil, errors.New("plan: no snapshot or no rules")
	}
	s, err := sortedSnapshot(s)
	if err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	cfg := p.cfg.withPolicy(rules.Settings())
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("plan: settings with the policy's config: %w", err)
	}
	// The snapshot's digest (its whole JSON form) takes as long as the
	// search on a large fleet: compute it alongside.
	var snapDigest string
	var wg sync.WaitGroup
	wg.Go(func() { snapDigest = s.Digest() })
	r, before, err := p.search(ctx, s, cfg, rules, hist)
	wg.Wait()
	if err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	plan := r.plan(s, snapDigest, policyDigest, before)
	if plan.PolicyErrors > 0 {
		// Once per pass, not per candidate.
		p.log.Warn("policy rule failed; its candidates were vetoed", "plan_id", plan.ID,
			"policy_errors", plan.PolicyErrors, "error", plan.PolicyError)
	}
	p.logUnmet(plan)
	p.log.Debug("planned", "plan_id", plan.ID, "moves", len(plan.Moves), "steps", r.search.Steps,
		"candidates", r.search.Candidates, "judged", r.search.Judged, "denied", r.search.Denied, "stopped", r.stopped)
	return plan, nil
}

// search plans the requests, then balances.
func (p *Planner) search(ctx context.Context, s *collector.Snapshot, cfg Config, rules Rules, hist *History) (*pass, measures, error) {
	st := newState(s, cfg, rules, hist)
	before := measure(st)
	r := &pass{base: p.cfg, cfg: cfg, st: st, rules: rules, back: backPairs(hist, st.hostIdx, s.Taken, cfg.Cooldown), recent: hist.lastMoved()}
	reqs, err := policyRequests(ctx, rules)
	if err != nil {
		return nil, before, err
	}
	for _, req := range sortedRequests(withEvacuations(st, reqs)) {
		if err := ctx.Err(); err != nil {
			return nil, before, err
		}
		if err := r.request(ctx, req); err != nil {
			return nil, before, fmt.Errorf("request for vm %s: %w", req.VM, err)
		}
	}
	if err := r.balance(ctx); err != nil {
		return nil, before, err
	}
	return r, before, nil
}

// sortedSnapshot returns s, or a copy sorted as a Snapshot must be, and
// refuses duplicate host names or VM IDs.
func sortedSnapshot(s *collector.Snapshot) (*collector.Snapshot, error) {
	hostsOK := sort.SliceIsSorted(s.Hosts, func(i, j int) bool { return s.Hosts[i].Name < s.Hosts[j].Name })
	vmsOK := sort.SliceIsSorted(s.VMs, func(i, j int) bool { return s.VMs[i].ID < s.VMs[j].ID })
	if !hostsOK || !vmsOK {
		c := *s
		c.Hosts = append([]collector.Host(nil), s.Hosts...)
		c.VMs = append([]collector.VM(nil), s.VMs...)
		c.Sort()
		s = &c
	}
	for i := 1; i < len(s.Hosts); i++ {
		if s.Hosts[i].Name == s.Hosts[i-1].Name {
			return nil, fmt.Errorf("snapshot has host %q twice", s.Hosts[i].Name)
		}
	}
	for i := 1; i < len(s.VMs); i++ {
		if s.VMs[i].ID == s.VMs[i-1].ID {
			return nil, fmt.Errorf("snapshot has vm %s twice", s.VMs[i].ID)
		}
	}
	return s, nil
}

// sortedRequests orders requests by priority (highest first), then VM,
// then destination, whatever order the rules gave.
func sortedRequests(in []policy.Request) []policy.Request {
	out := append([]policy.Request(nil), in...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Priority != b.Priority {
			return a.Priority > b.Priority
		}
		if a.VM != b.VM {
			return a.VM < b.VM
		}
		return a.To < b.To
	})
	return out
}

// balance runs the greedy balancing search.
func (r *pass) balance(ctx context.Context) error {
	st := r.st
	minGain := MinGain(r.cfg.Aggressiveness)
	if math.IsInf(minGain, 1) {
		r.stop, r.stopped = stopRequestsOnly, "aggressiveness 1 plans policy requests only"
		return nil
	}
	if why := st.tooFewHosts(); why != "" {
		r.stop, r.stopped = stopTooFewHosts, why
		return nil
	}
	st.margin = r.cfg.Headroom
	defer func() { st.margin = 0 }()
	for {
		if len(r.moves) >= r.cfg.MaxMoves {
			r.stop, r.stopped = stopMaxMoves, fmt.Sprintf("the plan reached max_moves (%d)", r.cfg.MaxMoves)
			return nil
		}
		if st.balanced() {
			r.stop, r.stopped = stopWithinTarget, "no host is hot and the spread is within the target"
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		r.search.Steps++
		cands := r.balanceCandidates(minGain)
		j, err := r.choose(ctx, cands, minGain, TriggerBalance, maxJudgedPerStep)
		if err != nil {
			return err
		}
		if j.best == nil {
			swapped, err := r.swapPhase(ctx, minGain)
			if err != nil {
				return err
			}
			if swapped {
				continue
			}
			r.addRejections(j.rejected, j.denied)
			switch {
			case len(cands) == 0:
				r.stop, r.stopped = stopNoGain, fmt.Sprintf("no move within the limits gains at least %g points", minGain)
			case j.denied == j.judged && j.judged >= maxJudgedPerStep:
				r.stop, r.stopped = stopDeniedBudget, fmt.Sprintf("the policy denied the best %d candidates", j.judged)
			case j.denied == j.judged:
				r.stop, r.stopped = stopDenied, fmt.Sprintf("the policy denied every candidate that gains at least %g points (%d)", minGain, j.denied)
			default:
				r.stop, r.stopped = stopPenalty, fmt.Sprintf("with the policy's penalties no allowed candidate gains at least %g points", minGain)
			}
			r.heldStop(len(cands) == 0)
			if r.stop == stopNoGain {
				return r.cooldownStop(ctx, minGain)
			}
			return nil
		}
		c := j.best
		r.addMove(c, TriggerBalance, st.hotReason(st.vms[c.vm].host), 0, []string{"deny", "penalty"}, j.rejected)
	}
}

// hotReason says why the search moves load off host hi.
func (st *state) hotReason(hi int) string {
	h := &st.hosts[hi]
	var hot []string
	if h.cpu > st.cfg.CPUHigh {
		hot = append(hot, fmt.Sprintf("CPU %.0f%% > %g%%", h.cpu, st.cfg.CPUHigh))
	}
	if h.mem > st.cfg.MemoryHigh {
		hot = append(hot, fmt.Sprintf("memory %.0f%% > %g%%", h.mem, st.cfg.MemoryHigh))
	}
	switch len(hot) {
	case 1:
		return h.h.Name + " " + hot[0]
	case 2:
		return h.h.Name + " " + hot[0] + ", " + hot[1]
	}
	dc := st.cfg.CPUWeight * (h.cpu - st.obj.pc)
	dm := st.cfg.MemoryWeight * (h.mem - st.obj.pm)
	if dc >= dm {
		return fmt.Sprintf("spread: %s CPU %.0f%%, fleet mean %.0f%%", h.h.Name, h.cpu, st.obj.pc)
	}
	return fmt.Sprintf("spread: %s memory %.0f%%, fleet mean %.0f%%", h.h.Name, h.mem, st.obj.pm)
}

// addMove records a chosen candidate as a move and re-simulates the fleet.
func (r *pass) addMove(c *choice, trigger, reason string, priority int, rules []string, rejected []Rejection) {
	st := r.st
	vs := &st.vms[c.vm]
	if len(rejected) > maxRejectionsPerMove {
		rejected = rejected[:maxRejectionsPerMove]
	}
	m := Move{
		VM:               vs.v.ID,
		VMName:           vs.v.Name,
		From:             st.hosts[vs.host].h.Name,
		To:               st.hosts[c.to].h.Name,
		Clustered:        vs.v.Clustered,
		Trigger:          trigger,
		Reason:           reason,
		Priority:         priority,
		Gain:             decimals(c.final, 3),
		Penalty:          decimals(c.penalty, 3),
		Costs:            r.costsOf(c),
		Bytes:            vs.v.MemoryAssigned,
		EstimatedSeconds: decimals(moveSeconds(vs.v.MemoryAssigned, vs.need.storage.bytes, vs.cores, r.cfg.BandwidthBytesPerSecond), 1),
		Rules:            rules,
		Rejected:         append([]Rejection(nil), rejected...),
	}
	if vs.need.storage.local {
		m.StorageBytes = vs.need.storage.bytes
		m.StoragePath = vmFolder(st.hosts[c.to].offer.store.path, vs.v)
	}
	st.apply(c.vm, c.to)
	r.moves = append(r.moves, m)
}

// limit records that the hard limits refused VM vi on host to for a
// reason Plan.Limited lists, the first time the search meets the pair.
// Such a reason holds for the rest of the plan (compatibility, storage
// reach and a remembered refusal do not change, and a volume's planned
// bytes only grow), so a balancing step passes over a marked pair without
// checking it again.
func (r *pass) limit(vi, to int, f fault, trigger string) {
	if !f.cannotRun() {
		return
	}
	st := r.st
	k := vi*len(st.hosts) + to
	if r.limitSeen.has(k) {
		return
	}
	r.limitSeen.add(k)
	if len(r.limited) >= maxPlanRejections {
		r.limitedOmitted++
		return
	}
	r.limited = append(r.limited, r.rejection(vi, to, trigger, st.obj.gain(st, vi, to), []string{st.check(vi, to)}))
}

// addRejections keeps plan-level rejections, up to the cap; total counts
// the rejections rej stands for (it may have been capped already).
func (r *pass) addRejections(rej []Rejection, total int) {
	for _, x := range rej {
		if len(r.rejected) < maxPlanRejections {
			r.rejected = append(r.rejected, x)
		} else {
			r.omitted++
		}
	}
	if total > len(rej) {
		r.omitted += total - len(rej)
	}
}
