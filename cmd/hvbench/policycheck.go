package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/policy"
)

// Denied is the first move of a baseline that the shipped policy denies,
// asked as the planner asks it: the fleet as the baseline had left it
// before the move, and the two hosts as the move leaves them.
type Denied struct {
	Contender string `json:"contender"`
	Move      int    `json:"move"`  // its place among the baseline's moves, from 1
	Moves     int    `json:"moves"` // how many moves the baseline made
	VM        string `json:"vm"`
	From      string `json:"from"`
	To        string `json:"to"`
	Reason    string `json:"reason"` // the policy's first deny message
}

// firstDenied replays the moves (VM and destination indices, in order)
// of a contender on a fresh fleet of s and asks engine about each one;
// ok is false when the policy allows every move. Each move is judged in a
// session begun on the fleet as the moves before it left it, so that the
// rules that read the fleet see it as it was.
func firstDenied(ctx context.Context, engine *policy.Engine, s *collector.Snapshot, lim limits, name string, moves [][2]int) (d Denied, ok bool, err error) {
	f := newFleet(s, lim)
	for i, m := range moves {
		vi, to := m[0], m[1]
		from := f.hostOf[vi]
		session, err := engine.Begin(ctx, balancer.PolicyInput(f.snapshot(), policy.History{}, time.UTC))
		if err != nil {
			return Denied{}, false, fmt.Errorf("judge %s's move %d: %w", name, i+1, err)
		}
		f.move(vi, to)
		mv := policy.Move{VM: s.VMs[vi].ID, From: s.Hosts[from].Name, To: s.Hosts[to].Name}
		v, err := session.Judge(ctx, mv, policy.Projected{From: f.load(from), To: f.load(to)})
		if err != nil {
			return Denied{}, false, fmt.Errorf("judge %s's move %d: %w", name, i+1, err)
		}
		if len(v.Deny) > 0 {
			return Denied{Contender: name, Move: i + 1, Moves: len(moves), VM: s.VMs[vi].Name, From: mv.From, To: mv.To, Reason: slices.Min(v.Deny)}, true, nil
		}
	}
	return Denied{}, false, nil
}

// load is host hi's load and VMs as the policy sees a projected host.
func (f *fleet) load(hi int) policy.HostLoad {
	l := policy.HostLoad{CPU: min(f.cpu(hi), 100), Memory: min(f.mem(hi), 100), VMMemoryBytes: f.memUsed[hi]}
	for vi, h := range f.hostOf {
		if h == hi {
			l.VMs = append(l.VMs, f.snap.VMs[vi].ID)
		}
	}
	slices.Sort(l.VMs)
	return l
}
