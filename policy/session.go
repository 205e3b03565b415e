package policy

import (
	"context"
	"errors"
	"fmt"
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
	frozen   map[string]bool
	held     map[string][]Hold
	// pending is the requests rule's evaluation (see Start).
	pending *pendingRequests

	mu    sync.Mutex
	cache map[string]*judgement // by candidateKey
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
	r, first, err := e.start(ctx, in)
	if err != nil {
		return nil, err
	}
	p := r.pending
	if first.evalErr != nil { // the first part's failure before the second's
		p.cancel()
		<-p.done
		return nil, first.evalErr
	}
	<-p.done // ends when ctx does: OPA's evaluation stops with it
	if p.evalErr != nil {
		return nil, p.evalErr
	}
	// Every invalid decision, in rule order.
	errs := []error{first.config, p.decodeErr, first.frozen, first.held}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("begin session: %w", err)
	}
	return r, nil
}

// Start begins a session as Begin does, but returns as soon as config,
// frozen and held are known: the requests rule, most of a session's rule
// work, goes on evaluating beside the caller, who can meanwhile prepare
// what needs no requests (a planner its state and its snapshot's digest).
// Requests waits for it. A caller of Start must call Wait before it trusts
// Requests: Wait returns the error Begin would have returned for the
// requests rule (failing at run time, or invalid), and Requests of such a
// session has none. An error from Start itself is one of the other rules'
// (or the conversion's); the requests evaluation is then abandoned.
func (e *Engine) Start(ctx context.Context, in *Input) (*Session, error) {
	r, first, err := e.start(ctx, in)
	if err != nil {
		return nil, err
	}
	if first.evalErr != nil {
		r.pending.cancel()
		return nil, first.evalErr
	}
	if err := errors.Join(first.config, first.frozen, first.held); err != nil {
		r.pending.cancel()
		return nil, fmt.Errorf("begin session: %w", err)
	}
	return r, nil
}

// Wait waits for the requests rule of a session begun with Start and
// returns its failure: an error wrapping a *RuleError when it failed at
// run time, the problems of an invalid decision, or ctx's error when ctx
// ends first. For a session from Begin it returns nil at once.
func (r *Session) Wait(ctx context.Context) error {
	p := r.pending
	select {
	case <-p.done:
	case <-ctx.Done():
		return fmt.Errorf("begin session: requests: %w", ctx.Err())
	}
	if p.evalErr != nil {
		return p.evalErr
	}
	if p.decodeErr != nil {
		return fmt.Errorf("begin session: %w", p.decodeErr)
	}
	return nil
}

// pendingRequests is the requests rule's evaluation (sessionParts[1]),
// under way beside the rest of a session's start. Its fields other than
// done and cancel are set before done is closed.
type pendingRequests struct {
	done      chan struct{}
	cancel    context.CancelFunc // abandons the evaluation
	evalErr   error              // the rule failing at run time, or OPA's own failure
	decodeErr error              // an invalid decision
	requests  []Request
}

// firstPart is what the other session rules (sessionParts[0]) gave: the
// part's evaluation failing, or each rule's invalid decision.
type firstPart struct {
	evalErr              error
	config, frozen, held error
}

// start converts the input, sets the requests rule evaluating on its own
// goroutine and evaluates the other session rules on the caller's,
// sharing the session-constant values, and decodes them. Only the
// conversion's failure is its error; the rules' are in firstPart and the
// session's pending requests.
func (e *Engine) start(ctx context.Context, in *Input) (*Session, firstPart, error) {
	c := e.cur.Load()
	terms, err := convertInput(in)
	if err != nil {
		return nil, firstPart{}, fmt.Errorf("begin session: input: %w", err)
	}
	r := &Session{
		policy:  c,
		shared:  newSharedValues(),
		terms:   terms,
		hosts:   make(map[string]bool, len(in.Fleet.Hosts)),
		frozen:  map[string]bool{},
		cache:   map[string]*judgement{},
		helpers: &helpers{},
	}
	runtime.AddCleanup(r, (*helpers).stop, r.helpers)
	for name := range in.Fleet.Hosts {
		r.hosts[name] = true
	}
	input := terms.object(nil, nil)
	rctx, cancel := context.WithCancel(ctx)
	p := &pendingRequests{done: make(chan struct{}), cancel: cancel}
	r.pending = p
	shared := r.shared
	go func() {
		defer close(p.done)
		defer cancel()
		b, err := c.evalPart(rctx, 1, input, shared)
		if err != nil {
			p.evalErr = err
			return
		}
		if v, ok := single(b["requests"]); ok {
			p.requests, p.decodeErr = decodeRequests(v, in)
		}
	}()
	var first firstPart
	b, err := c.evalPart(ctx, 0, input, shared)
	if err != nil {
		first.evalErr = err
		return r, first, nil
	}
	if v, ok := single(b["config"]); ok {
		r.settings, first.config = decodeSettings(v)
	}
	if v, ok := single(b["frozen"]); ok {
		ids, err := decodeStrings("frozen", v)
		first.frozen = err
		for _, id := range ids {
			r.frozen[id] = true
		}
	}
	if v, ok := single(b["held"]); ok {
		r.held, first.held = decodeHeld(v)
	}
	return r, first, nil
}

// evalPart evaluates sessionParts[i] on input with the session's shared
// values and returns its bindings by rule. A rule failing at run time is
// an error wrapping a *RuleError naming it.
func (c *compiled) evalPart(ctx context.Context, i int, input ast.Object, shared *sharedValues) (rego.Vars, error) {
	rs, err := c.session[i].Eval(ctx, rego.EvalParsedInput(input),
		rego.EvalVirtualCache(newEvalCache(shared, c.consts)))
	if err != nil {
		if re := c.ruleFailure(ctx, err, sessionParts[i], input); re != nil {
			err = re
		}
		return nil, fmt.Errorf("begin session: %w", err)
	}
	if len(rs) != 1 {
		return nil, fmt.Errorf("begin session: %d results, want 1", len(rs))
	}
	return rs[0].Bindings, nil
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
// requested more than once (for example by two rules); the first wins. In
// a session begun with Start it waits for the rule; see Wait for its
// failure, after which it has none.
func (r *Session) Requests() []Request {
	<-r.pending.done
	return append([]Request(nil), r.pending.requests...)
}

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
