package balancer

import (
	"context"
	"runtime"

	"github.com/hvbalancer/hvbalancer/policy"
)

// batchJudge is a Rules that judges several candidates side by side and
// keeps their verdicts, so that asking again with Judge costs no
// evaluation; *policy.Session is one.
type batchJudge interface {
	JudgeAll(ctx context.Context, cands []policy.Candidate) ([]policy.Verdict, []error)
}

// minAheadVMs is the fleet size, in VMs, from which judgeAhead judges
// candidates side by side: on a smaller fleet a candidate's evaluation is
// too short for a second goroutine to pay for itself and for the candidate
// judged in vain when the first of the batch ends the walk.
const minAheadVMs = 1000

// judgeAhead judges cands[i], which choose is about to ask about, together
// with the candidates after it that choose would ask about next should
// every one before them be denied, side by side: a batch of one a core
// (GOMAXPROCS), within budget, begun at every width-th candidate so that
// the candidates of a batch are not judged again by the next. It only
// warms the session's verdicts: choose then asks for each in order as it
// always has, and what it counts and decides does not depend on this, nor
// on which goroutine finished first; an error here is left for that ask to
// meet again. Candidates the pass already holds a verdict for (see judge)
// are left out. It does nothing with one core, with rules that cannot
// judge side by side, on a small fleet, or with fewer than two candidates
// to judge.
func (r *pass) judgeAhead(ctx context.Context, cands []candidate, i, budget int) {
	width := runtime.GOMAXPROCS(0)
	if i%width != 0 {
		return
	}
	r.warm(ctx, cands[i:min(i+width, i+budget, len(cands))])
}

// warm judges cands side by side, those the pass holds no verdict for
// (see kept), only to warm the session's verdicts for judge to ask about
// in order after. It does nothing with one core, with rules that cannot
// judge side by side, on a fleet under minAheadVMs, or with fewer than two
// candidates to judge.
func (r *pass) warm(ctx context.Context, cands []candidate) {
	bj, ok := r.rules.(batchJudge)
	if !ok || runtime.GOMAXPROCS(0) < 2 || len(r.st.vms) < minAheadVMs {
		return
	}
	st := r.st
	batch := make([]policy.Candidate, 0, len(cands))
	for _, c := range cands {
		if r.kept(c) {
			continue
		}
		vs := &st.vms[c.vm]
		batch = append(batch, policy.Candidate{
			Move:      policy.Move{VM: vs.v.ID, From: st.hosts[vs.host].h.Name, To: st.hosts[c.to].h.Name},
			Projected: st.projected(c.vm, c.to),
		})
	}
	if len(batch) < 2 {
		return
	}
	bj.JudgeAll(ctx, batch)
}

// kept reports whether the pass holds the policy's verdict for c as its
// hosts are now (see judge), so that judge will not ask the policy.
func (r *pass) kept(c candidate) bool {
	st := r.st
	vs := &st.vms[c.vm]
	k, ok := r.verdicts[[2]int{c.vm, c.to}]
	return ok && k.from == st.hosts[vs.host].stamp && k.to == st.hosts[c.to].stamp && k.at == vs.host
}
