package policy

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/open-policy-agent/opa/v1/rego"
)

// judgement is one cached verdict; done is closed once v and err are set, so
// concurrent callers for the same candidate wait for one evaluation.
type judgement struct {
	done chan struct{}
	v    Verdict
	err  error
}

// Judge evaluates data.hvbalancer.deny and penalty for a candidate move with
// the projected state of its hosts. A deny or penalty rule that fails at
// run time for the candidate (a built-in's error, conflicting values)
// vetoes it: the verdict denies it with the rule's message, and Error says
// the same (see RuleError); it is no error of Judge's. Verdicts are cached for the session by the
// move and projection, so asking again costs nothing. The move's VM and
// hosts must be in the session's fleet; an empty source places a new VM.
func (r *Session) Judge(ctx context.Context, m Move, p Projected) (Verdict, error) {
	if err := r.checkMove(m); err != nil {
		return Verdict{}, fmt.Errorf("judge %s from %s to %s: %w", m.VM, m.From, m.To, err)
	}
	// OPA notices a cancelled context only while it evaluates, and a short
	// evaluation can finish first: a caller that gave up gets no verdict.
	if err := ctx.Err(); err != nil {
		return Verdict{}, fmt.Errorf("judge %s from %s to %s: %w", m.VM, m.From, m.To, err)
	}
	buf, _ := r.keyBufs.Get().(*[]byte)
	if buf == nil {
		buf = new([]byte)
	}
	b, err := candidateKey(*buf, m, p)
	if err != nil {
		*buf = b
		r.keyBufs.Put(buf)
		return Verdict{}, fmt.Errorf("judge %s from %s to %s: %w", m.VM, m.From, m.To, err)
	}
	var key string
	r.mu.Lock()
	j, found := r.cache[string(b)] // no copy to look up
	if !found {
		key = string(b)
		j = &judgement{done: make(chan struct{})}
		r.cache[key] = j
	}
	r.mu.Unlock()
	*buf = b
	r.keyBufs.Put(buf)

	if found {
		select {
		case <-j.done:
		case <-ctx.Done():
			return Verdict{}, fmt.Errorf("judge %s from %s to %s: %w", m.VM, m.From, m.To, ctx.Err())
		}
		if j.err != nil {
			return Verdict{}, j.err
		}
		return j.v.clone(), nil
	}

	r.evals.Add(1)
	j.v, j.err = r.evaluate(ctx, m, p)
	if j.err != nil {
		j.err = fmt.Errorf("judge %s from %s to %s: %w", m.VM, m.From, m.To, j.err)
		r.mu.Lock()
		delete(r.cache, key) // a later call tries again
		r.mu.Unlock()
	}
	close(j.done)
	if j.err != nil {
		return Verdict{}, j.err
	}
	return j.v.clone(), nil
}

func (r *Session) checkMove(m Move) error {
	var errs []error
	if r.terms.ids[m.VM] == nil { // the fleet's VMs are the converted IDs
		errs = append(errs, fmt.Errorf("vm %q is not in the fleet", m.VM))
	}
	// An empty source places a new VM, which comes from no host (see
	// balancer.Place); its projected source is empty.
	if m.From != "" && !r.hosts[m.From] {
		errs = append(errs, fmt.Errorf("source %q is not a host in the fleet", m.From))
	}
	if !r.hosts[m.To] {
		errs = append(errs, fmt.Errorf("destination %q is not a host in the fleet", m.To))
	}
	if m.From == m.To {
		errs = append(errs, errors.New("source and destination are the same host"))
	}
	return errors.Join(errs...)
}

func (r *Session) evaluate(ctx context.Context, m Move, p Projected) (Verdict, error) {
	proj, err := projectedTerm(r.terms, m, p)
	if err != nil {
		return Verdict{}, err
	}
	input := r.terms.object(moveTerm(m), proj)
	rs, err := r.policy.judge.Eval(ctx, rego.EvalParsedInput(input),
		rego.EvalVirtualCache(newEvalCache(r.shared, r.policy.consts)))
	if err != nil {
		re := r.policy.ruleFailure(ctx, err, judgeRules, input, rego.EvalVirtualCache(newEvalCache(r.shared, r.policy.consts)))
		if re == nil {
			return Verdict{}, err
		}
		// The rule cannot say whether this move is allowed: it is not.
		return Verdict{Deny: []string{vetoMessage(re)}, Error: re.Error()}, nil
	}
	if len(rs) != 1 {
		return Verdict{}, fmt.Errorf("%d results, want 1", len(rs))
	}
	var v Verdict
	if d, ok := single(rs[0].Bindings["deny"]); ok {
		if v.Deny, err = decodeStrings("deny", d); err != nil {
			return Verdict{}, err
		}
		if len(v.Deny) == 0 {
			v.Deny = nil
		}
	}
	if pen, ok := single(rs[0].Bindings["penalty"]); ok {
		if v.Penalty, err = decodePenalty(pen); err != nil {
			return Verdict{}, err
		}
	}
	return v, nil
}

func (v Verdict) clone() Verdict {
	v.Deny = slices.Clone(v.Deny)
	return v
}

// candidateKey identifies a candidate by the content of its move and
// projection: every part length-prefixed, so that different candidates
// never share a key, made in buf and returned (buf's array, for reuse).
// The key is the whole of it: its SHA-256 was a twentieth of judging a
// candidate, and a string key costs a copy (a few kilobytes on a dense
// host) only for a candidate not asked before.
func candidateKey(buf []byte, m Move, p Projected) ([]byte, error) {
	b := buf[:0]
	str := func(s string) {
		b = strconv.AppendInt(b, int64(len(s)), 10)
		b = append(b, ':')
		b = append(b, s...)
	}
	str(m.VM)
	str(m.From)
	str(m.To)
	for _, h := range []HostLoad{p.From, p.To} {
		for _, f := range []float64{h.CPU, h.Memory} {
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return b, fmt.Errorf("projected load %v is not a finite number", f)
			}
			b = strconv.AppendFloat(b, f, 'g', -1, 64)
			b = append(b, ';')
		}
		b = strconv.AppendInt(b, h.VMMemoryBytes, 10)
		b = append(b, ';')
		b = strconv.AppendInt(b, int64(len(h.VMs)), 10)
		b = append(b, '[')
		for _, id := range h.VMs {
			str(id)
		}
	}
	return b, nil
}
