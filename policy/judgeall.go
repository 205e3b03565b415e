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
// shared under a lock). The goroutines beside the caller are the session's
// helpers (see helpers), not new ones.
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
	if n := min(runtime.GOMAXPROCS(0), len(cands)) - 1; n > 0 && r.helpers != nil {
		jobs := r.helpers.start()
		for range n {
			wg.Add(1)
			select {
			case jobs <- func() { defer wg.Done(); work() }:
			default: // every helper is busy: the others take its share
				wg.Done()
			}
		}
	}
	work()
	wg.Wait()
	return vs, errs
}

// helpers are the goroutines that judge beside JudgeAll's caller, one a
// core but one, started with the session's first batch and kept for it: a
// new goroutine grows its stack again for OPA's deep evaluation, and that
// cost a sixth of each evaluation it made. They hold no reference to the
// session between jobs, and end once it is unreachable.
type helpers struct {
	once sync.Once
	jobs chan func()
}

// start starts the helpers once and returns their job channel, unbuffered:
// a send succeeds only where a helper is free.
func (h *helpers) start() chan func() {
	h.once.Do(func() {
		h.jobs = make(chan func())
		for range runtime.GOMAXPROCS(0) - 1 {
			go func(jobs chan func()) {
				for job := range jobs {
					job()
				}
			}(h.jobs)
		}
	})
	return h.jobs
}

// stop ends the helpers, if they were started.
func (h *helpers) stop() {
	h.once.Do(func() {}) // what start did is seen here
	if h.jobs != nil {
		close(h.jobs)
	}
}
