package main

import (
	"context"
	"fmt"

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
// of a contender on a fresh fleet of s and asks engine about each one
// (see policyRule); ok is false when the policy allows every move. Each
// move is judged in a session begun on the fleet as the moves before it
// left it, so that the rules that read the fleet see it as it was.
func firstDenied(ctx context.Context, engine *policy.Engine, s *collector.Snapshot, lim limits, name string, moves [][2]int) (d Denied, ok bool, err error) {
	f := newFleet(s, lim)
	rule := &policyRule{ctx: ctx, engine: engine, f: f}
	for i, m := range moves {
		vi, to := m[0], m[1]
		why, err := rule.denial(vi, to)
		if err != nil {
			return Denied{}, false, fmt.Errorf("judge %s's move %d: %w", name, i+1, err)
		}
		if why != "" {
			return Denied{Contender: name, Move: i + 1, Moves: len(moves), VM: s.VMs[vi].Name, From: s.Hosts[f.hostOf[vi]].Name, To: s.Hosts[to].Name, Reason: why}, true, nil
		}
		f.move(vi, to)
	}
	return Denied{}, false, nil
}
