package balancer_test

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/collector"
)

// daemonRun drives a fake fleet as the daemon does: the collector polls
// every 30 s; every round interval the planner plans from the latest
// snapshot with each VM's last migration for the cooldown and the
// migrations of the last day for the hysteresis per host pair (as the
// daemon reads both from its journal), unless a copy
// is still running (the daemon's round is then busy), and the plan's moves
// start at once. It records what would be flapping.
type daemonRun struct {
	f      *fakeFleet
	pl     *balancer.Planner
	cfg    balancer.Config
	every  time.Duration
	landIn func() int // polls a copy runs through before it lands

	lastMoved map[string]time.Time
	moved     []balancer.Migration            // every migration, oldest first
	left      map[string]map[string]time.Time // VM → host it left → when
	prev      *balancer.Plan                  // the last plan with moves
	plans     int
	moves     int
	// back are moves of a VM to a host it left within its cooldown;
	// reversed, plans that sent a pair's load only the other way than the
	// plan with moves before them did, within its cooldown; excused, such
	// plans that are no flapping, and why (see reversal).
	back, reversed, excused []string
	// trail tells each plan with moves: the hosts as the planner read
	// them, as they truly are, and the moves.
	trail strings.Builder
}

func newDaemonRun(t failer, f *fakeFleet, cfg balancer.Config, every time.Duration, landIn func() int) *daemonRun {
	t.Helper()
	pl, err := balancer.NewPlanner(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &daemonRun{f: f, pl: pl, cfg: cfg, every: every, landIn: landIn,
		lastMoved: map[string]time.Time{}, left: map[string]map[string]time.Time{}}
}

// round polls until the next round and plans, as one daemon round; it
// returns the plan, nil when the round was busy.
func (r *daemonRun) round(t failer) *balancer.Plan {
	t.Helper()
	var s *collector.Snapshot
	for range int(r.every / pollEvery) {
		s = r.f.poll(t)
	}
	if r.f.migrating() {
		return nil
	}
	p, err := r.pl.Plan(context.Background(), s, &fakeRules{}, "sha256:flapping", r.history(s.Taken))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Moves) == 0 {
		return p
	}
	r.plans++
	r.moves += len(p.Moves)
	r.tell(s, p)
	for _, m := range p.Moves {
		if at, ok := r.left[m.VM][m.To]; ok && s.Taken.Sub(at) < r.cfg.Cooldown {
			r.back = append(r.back, fmt.Sprintf("%s: vm %s back to %s, which it left at %s", s.Taken.Format(time.TimeOnly), m.VM, m.To, at.Format(time.TimeOnly)))
		}
	}
	r.reversal(s, p)
	for _, m := range p.Moves {
		n := r.landIn()
		if err := r.f.begin(m, n); err != nil {
			t.Fatalf("plan %s: %v", p.ID, err)
		}
		// The journal's end of the move: just before the poll that sees
		// it landed.
		ended := s.Taken.Add(time.Duration(n+1)*pollEvery - time.Second)
		r.lastMoved[m.VM] = ended
		r.moved = append(r.moved, balancer.Migration{VM: m.VM, From: m.From, To: m.To, Trigger: m.Trigger, At: ended})
		if r.left[m.VM] == nil {
			r.left[m.VM] = map[string]time.Time{}
		}
		r.left[m.VM][m.From] = ended
	}
	r.prev = p
	return p
}

// history is the planner's history at time now, as the daemon gives it:
// each VM's last migration and the migrations that ended within the last
// day.
func (r *daemonRun) history(now time.Time) *balancer.History {
	h := &balancer.History{LastMoved: maps.Clone(r.lastMoved)}
	for _, m := range r.moved {
		if now.Sub(m.At) < 24*time.Hour {
			h.Moved = append(h.Moved, m)
		}
	}
	return h
}

// reversal records plan p of snapshot s when, for a pair of hosts, the last
// plan with moves sent load only one way and p sends it only the other. A
// plan may swap VMs between two hosts, one each way: that is no direction.
// It is excused, not flapping, when
//   - p comes after the last plan's cooldown: its moves have stood as long
//     as the administrator asked;
//   - the last plan was cut short by a per-plan limit (max_moves, or a
//     destination at max_inflow_per_host): p goes on with the same search,
//     and a swap split between the two is no reversal.
//
// Flapping is every other case: a host that reads what it no longer is, as
// a window of samples from before the moves showed it, or a destination
// filled up to a high threshold that one noisy sample tips over it (the
// planner's headroom keeps balancing moves below the thresholds, so that
// cannot happen).
func (r *daemonRun) reversal(s *collector.Snapshot, p *balancer.Plan) {
	if r.prev == nil {
		return
	}
	last, now := flows(r.prev.Moves), flows(p.Moves)
	for pair, m := range now {
		back := [2]string{pair[1], pair[0]}
		e, ok := last[back]
		_, swapNow := now[back]
		_, swapLast := last[pair]
		if !ok || swapNow || swapLast {
			continue
		}
		msg := fmt.Sprintf("%s: vm %s %s→%s right after vm %s %s→%s at %s",
			s.Taken.Format(time.TimeOnly), m.VM, m.From, m.To, e.VM, e.From, e.To, r.prev.Created.Format(time.TimeOnly))
		switch why := r.excuse(p); {
		case why != "":
			r.excused = append(r.excused, msg+": "+why)
		default:
			r.reversed = append(r.reversed, msg)
		}
	}
}

// excuse says why a reversal between hosts a and b in plan p is no
// flapping, "" when it is.
func (r *daemonRun) excuse(p *balancer.Plan) string {
	if p.Created.Sub(r.prev.Created) >= r.cfg.Cooldown {
		return "after the cooldown"
	}
	if strings.Contains(r.prev.Search.Stopped, "max_moves") {
		return "the last plan reached max_moves"
	}
	for _, h := range r.prev.Hosts {
		if h.In >= r.cfg.MaxInflowPerHost {
			return "the last plan filled " + h.Name + " to max_inflow_per_host"
		}
	}
	return ""
}

// hostLoad returns plan p's line of the named host.
func hostLoad(p *balancer.Plan, name string) balancer.HostLoad {
	for _, h := range p.Hosts {
		if h.Name == name {
			return h
		}
	}
	return balancer.HostLoad{}
}

// flows returns one move of each (from, to) pair that moves go along.
func flows(moves []balancer.Move) map[[2]string]balancer.Move {
	out := map[[2]string]balancer.Move{}
	for _, m := range moves {
		if _, ok := out[[2]string{m.From, m.To}]; !ok {
			out[[2]string{m.From, m.To}] = m
		}
	}
	return out
}

// tell adds plan p of snapshot s to the trail.
func (r *daemonRun) tell(s *collector.Snapshot, p *balancer.Plan) {
	fmt.Fprintf(&r.trail, "%s plan (cpu_high %.1f, memory_high %.1f):\n", s.Taken.Format(time.TimeOnly), r.cfg.CPUHigh, r.cfg.MemoryHigh)
	for _, h := range p.Hosts {
		sh, _ := s.Host(h.Name)
		cpu, mem := r.f.load(h.Name)
		fmt.Fprintf(&r.trail, "  %s cpu %5.1f → %5.1f (true %5.1f) memory %5.1f → %5.1f (true %5.1f) %s\n",
			h.Name, h.CPUBefore, h.CPUAfter, cpu, h.MemoryBefore, h.MemoryAfter, mem, sh.LoadModel)
	}
	for _, m := range p.Moves {
		fmt.Fprintf(&r.trail, "  move %s %s→%s (%s, gain %.2f: %s)\n", m.VM, m.From, m.To, m.Trigger, m.Gain, m.Reason)
	}
}

// run runs rounds for d.
func (r *daemonRun) run(t failer, d time.Duration) {
	t.Helper()
	for range int(d / r.every) {
		r.round(t)
	}
}

// flapping says what flapped, "" when nothing did.
func (r *daemonRun) flapping() string {
	if len(r.back)+len(r.reversed) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(r.trail.String())
	for _, s := range r.back {
		fmt.Fprintln(&b, s)
	}
	for _, s := range r.reversed {
		fmt.Fprintln(&b, s)
	}
	return b.String()
}
