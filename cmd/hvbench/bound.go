package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/policy"
)

// boundSuffix ends the name of a baseline held to the shipped policy.
const boundSuffix = ", shipped policy's rules"

// bound returns baseline c held to the shipped policy's rules as
// hvbalancer with that policy is (see policyRule): the same method, which
// passes over every move the policy denies and every VM it freezes or
// holds, as it passes over a move past a hard limit.
//
// The baselines as published know nothing of the shipped policy: where
// its rules stand between a baseline and a lower peak (a sql VM beside
// another, a destination filled past memory_high), the baseline's peak is
// one hvbalancer with that policy may not reach by any path. A baseline
// held to the same rules is the comparison of the methods alone; the
// target is judged against both (see Target.Bound).
func bound(c contender, engine *policy.Engine) contender {
	inner := c.Run
	c.Name += boundSuffix
	c.Kind = kindBound
	c.Source += "; held to the shipped policy's rules"
	c.Run = func(ctx context.Context, f *fleet, rec *recorder) (int, error) {
		f.rule = &policyRule{ctx: ctx, engine: engine, f: f}
		rounds, err := inner(ctx, f, rec)
		if err == nil {
			err = f.rule.err
		}
		return rounds, err
	}
	return c
}

// policyRule judges a move with the shipped policy as the planner judges
// a candidate: in a session begun on the fleet as it stands, with both
// hosts as the move would leave them. A VM the session freezes or holds
// may not move at all. A failed evaluation denies every move from then on
// and is kept in err, so that the contender reports it.
type policyRule struct {
	ctx    context.Context
	engine *policy.Engine
	f      *fleet
	// sessions are the sessions begun so far, by the placement (fleet.key)
	// each was begun on: a baseline that tries a move and undoes it, or
	// tries swaps from the same placement, asks on one session.
	sessions map[uint64]*judged
	err      error
}

// judged is a session and what it has said so far.
type judged struct {
	session *policy.Session
	hostVMs [][]string // each host's VM IDs, sorted, on the session's placement
	verdict map[[2]int]bool
}

// keptSessions bounds policyRule.sessions: past it, the map starts again.
const keptSessions = 16

// allows says whether the shipped policy allows moving VM vi to host to
// from the fleet as it stands.
func (p *policyRule) allows(vi, to int) bool {
	if p.err != nil {
		return false
	}
	j, err := p.session()
	if err != nil {
		p.err = err
		return false
	}
	k := [2]int{vi, to}
	if ok, seen := j.verdict[k]; seen {
		return ok
	}
	why, err := p.judge(j, vi, to)
	if err != nil {
		p.err = err
		return false
	}
	j.verdict[k] = why == ""
	return why == ""
}

// denial says why the shipped policy denies moving VM vi to host to from
// the fleet as it stands, "" when it allows it.
func (p *policyRule) denial(vi, to int) (string, error) {
	j, err := p.session()
	if err != nil {
		return "", err
	}
	return p.judge(j, vi, to)
}

// session returns the session begun on the fleet's placement, beginning
// it if there is none.
func (p *policyRule) session() (*judged, error) {
	f := p.f
	if j, ok := p.sessions[f.key]; ok {
		return j, nil
	}
	s, err := p.engine.Begin(p.ctx, balancer.PolicyInput(f.snapshot(), policy.History{}, time.UTC))
	if err != nil {
		return nil, fmt.Errorf("begin a policy session: %w", err)
	}
	j := &judged{session: s, hostVMs: make([][]string, len(f.snap.Hosts)), verdict: map[[2]int]bool{}}
	for vi, hi := range f.hostOf {
		j.hostVMs[hi] = append(j.hostVMs[hi], f.snap.VMs[vi].ID)
	}
	for _, ids := range j.hostVMs {
		slices.Sort(ids)
	}
	if p.sessions == nil || len(p.sessions) >= keptSessions {
		p.sessions = make(map[uint64]*judged, keptSessions)
	}
	p.sessions[f.key] = j
	return j, nil
}

// judge asks j's session about moving VM vi to host to, and says why it
// is denied: the first of the policy's deny messages, or why the VM may
// not move at all; "" when it is allowed.
func (p *policyRule) judge(j *judged, vi, to int) (string, error) {
	f := p.f
	v := &f.snap.VMs[vi]
	if j.session.Frozen(v.ID) {
		return v.Name + " is frozen by the policy", nil
	}
	if h := j.session.Held(v.ID); len(h) > 0 {
		return v.Name + " is held by the policy: " + h[0].Reason, nil
	}
	from := f.hostOf[vi]
	cores, bytes := vmCores(v), v.MemoryAssigned
	at := func(hi int, cores float64, bytes int64, vms []string) policy.HostLoad {
		h := &f.snap.Hosts[hi]
		return policy.HostLoad{CPU: min(cores/float64(h.LogicalProcessors)*100, 100),
			Memory: min(float64(bytes)/float64(h.MemoryBytes)*100, 100), VMs: vms, VMMemoryBytes: bytes}
	}
	left := slices.DeleteFunc(slices.Clone(j.hostVMs[from]), func(id string) bool { return id == v.ID })
	joined := slices.Clone(j.hostVMs[to])
	i, _ := slices.BinarySearch(joined, v.ID)
	joined = slices.Insert(joined, i, v.ID)
	pr := policy.Projected{
		From: at(from, f.cores[from]-cores, f.memUsed[from]-bytes, left),
		To:   at(to, f.cores[to]+cores, f.memUsed[to]+bytes, joined),
	}
	verdict, err := j.session.Judge(p.ctx, policy.Move{VM: v.ID, From: f.snap.Hosts[from].Name, To: f.snap.Hosts[to].Name}, pr)
	if err != nil {
		return "", fmt.Errorf("judge %s to %s: %w", v.Name, f.snap.Hosts[to].Name, err)
	}
	if len(verdict.Deny) > 0 {
		return slices.Min(verdict.Deny), nil
	}
	return "", nil
}
