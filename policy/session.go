package policy

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
)

// Session is one planning pass's view of the policy: the input converted
// once, the session-wide decisions (config, requests, frozen, held) evaluated once,
// and per candidate verdicts cached. It keeps the policy it began with even
// if the engine reloads. It is safe for concurrent use.
type Session struct {
	policy   *compiled
	shared   *sharedValues // session-constant rule values; nil shares nothing
	terms    inputTerms
	hosts    map[string]bool
	settings Settings
	requests []Request
	frozen   map[string]bool
	held     map[string][]Hold

	mu    sync.Mutex
	cache map[[sha256.Size]byte]*judgement // by candidateKey
	evals atomic.Int64
	// keyBufs are buffers candidateKey makes keys in (*[]byte).
	keyBufs sync.Pool
	// helpers judge beside JudgeAll's caller; ended with the session.
	helpers *helpers
}

// Begin starts a session on in: it converts the input to OPA's value form once
// and evaluates data.hvbalancer.config, requests, frozen and held. in.Move and
// in.Projected are ignored (Judge supplies them). An invalid decision (an
// unknown config key, a request for a VM not in the fleet, ...) is an error
// naming every problem. One of the four rules failing at run time (a
// built-in's error such as a division by zero, conflicting values) is an
// error wrapping a *RuleError that names the rule: the session never goes
// on as if the rule had said nothing.
func (e *Engine) Begin(ctx context.Context, in *Input) (*Session, error) {
	c := e.cur.Load()
	terms, err := convertInput(in)
	if err != nil {
		return nil, fmt.Errorf("begin session: input: %w", err)
	}
	r := &Session{
		policy:  c,
		shared:  newSharedValues(),
		terms:   terms,
		hosts:   make(map[string]bool, len(in.Fleet.Hosts)),
		frozen:  map[string]bool{},
		cache:   map[[sha256.Size]byte]*judgement{},
		helpers: &helpers{},
	}
	runtime.AddCleanup(r, (*helpers).stop, r.helpers)
	for name := range in.Fleet.Hosts {
		r.hosts[name] = true
	}
	input := terms.object(nil, nil)
	b, err := r.evalSessionRules(ctx, input)
	if err != nil {
		return nil, err
	}
	var errs []error
	if v, ok := single(b["config"]); ok {
		if r.settings, err = decodeSettings(v); err != nil {
			errs = append(errs, err)
		}
	}
	if v, ok := single(b["requests"]); ok {
		if r.requests, err = decodeRequests(v, in); err != nil {
			errs = append(errs, err)
		}
	}
	if v, ok := single(b["frozen"]); ok {
		ids, err := decodeStrings("frozen", v)
		if err != nil {
			errs = append(errs, err)
		}
		for _, id := range ids {
			r.frozen[id] = true
		}
	}
	if v, ok := single(b["held"]); ok {
		if r.held, err = decodeHeld(v); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("begin session: %w", errors.Join(errs...))
	}
	return r, nil
}

// evalSessionRules evaluates the session rules, the two parts of sessionParts
// side by side (the second on the caller's goroutine), sharing the
// session-constant values, and returns their bindings by rule. A rule
// failing at run time is an error wrapping a *RuleError naming it (the
// first part's before the second's).
func (r *Session) evalSessionRules(ctx context.Context, input ast.Object) (rego.Vars, error) {
	c := r.policy
	var rs [2]rego.ResultSet
	var errs [2]error
	eval := func(i int) {
		rs[i], errs[i] = c.session[i].Eval(ctx, rego.EvalParsedInput(input),
			rego.EvalVirtualCache(newEvalCache(r.shared, c.consts)))
	}
	var wg sync.WaitGroup
	if runtime.GOMAXPROCS(0) > 1 {
		wg.Go(func() { eval(0) })
	} else {
		eval(0)
	}
	eval(1)
	wg.Wait()
	b := rego.Vars{}
	for i, err := range errs {
		if err != nil {
			if re := c.ruleFailure(ctx, err, sessionParts[i], input); re != nil {
				err = re
			}
			return nil, fmt.Errorf("begin session: %w", err)
		}
		if len(rs[i]) != 1 {
			return nil, fmt.Errorf("begin session: %d results, want 1", len(rs[i]))
		}
		maps.Copy(b, rs[i][0].Bindings)
	}
	return b, nil
}

// single unwraps a rule collected by the queries into an array of zero or
// one values: ok is false when the rule is undefined.
func single(v any) (any, bool) {
	arr, _ := v.([]any)
	if len(arr) == 0 {
		return nil, false
	}
	return arr[0], true
}

// Digest is the digest of the policy the session uses.
func (r *Session) Digest() string { return r.policy.digest }

// Settings are the thresholds the policy set (data.hvbalancer.config); nil
// fields leave the planner's configured values.
func (r *Session) Settings() Settings { return r.settings }

// Requests are the moves the policy demands (data.hvbalancer.requests),
// sorted by priority (highest first), then VM and destination. A VM may be
// requested more than once (for example by two rules); the first wins.
func (r *Session) Requests() []Request { return append([]Request(nil), r.requests...) }

// Frozen reports whether the policy froze the VM (data.hvbalancer.frozen):
// it must not move in this session.
func (r *Session) Frozen(vmID string) bool { return r.frozen[vmID] }

// Held says why the policy holds the VM where it is for this session
// (data.hvbalancer.held), one Hold a rule, sorted by rule; none when it may
// move. A held VM's every move from where it is would be denied: the
// planner leaves it out of its search rather than judge its destinations.
func (r *Session) Held(vmID string) []Hold { return slices.Clone(r.held[vmID]) }

// Evaluations is how many Judge calls reached Rego rather than the cache.
func (r *Session) Evaluations() int { return int(r.evals.Load()) }
