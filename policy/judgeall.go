package policy

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
)

// Candidate is a move with its hosts as projected, one of the candidates
// JudgeAll judges.
type Candidate struct {
	Move      Move
	Projected Projected
}

// JudgeAll judges the candidates side by side, on at most GOMAXPROCS
// goroutines (the caller's one of them), and returns for each what Judge
// returns, in the candidates' order: a verdict depends on its candidate
// alone, never on the order the goroutines took them in. Verdicts are
// cached as Judge caches them. The prepared deny and penalty query is
// evaluated concurrently as OPA's prepared queries allow (each Eval has its
// own context, transaction and local cache; the session-constant values are
// shared under a lock).
func (r *Session) JudgeAll(ctx context.Context, cands []Candidate) ([]Verdict, []error) {
	vs, errs := make([]Verdict, len(cands)), make([]error, len(cands))
	var next atomic.Int64
	work := func() {
		for {
			i := int(next.Add(1)) - 1
			if i >= len(cands) {
				return
			}
			vs[i], errs[i] = r.Judge(ctx, cands[i].Move, cands[i].Projected)
		}
	}
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(cands)) - 1 {
		wg.Go(work)
	}
	work()
	wg.Wait()
	return vs, errs
}
