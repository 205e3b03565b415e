package policy

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultWatchInterval is how often Watch looks for changed sources when
// given no interval.
const DefaultWatchInterval = 5 * time.Second

// Options says where a policy comes from. Exactly one of Dir and Bundle is set.
type Options struct {
	// Dir is a directory of Rego v1 files (package hvbalancer) and
	// data.json / data.yaml files, read recursively. *_test.rego files and
	// hidden files are not part of the policy (RunTests runs the tests).
	Dir string
	// Bundle is an OPA bundle (.tar.gz) holding the same.
	Bundle string
	// Logger receives reload messages; nil discards them.
	Logger *slog.Logger
}

// Engine holds the current compiled policy and swaps it for a new one when
// the sources change and compile. It is safe for concurrent use: a Session
// keeps the policy it began with.
type Engine struct {
	opts Options
	log  *slog.Logger
	cur  atomic.Pointer[compiled]

	reloadMu sync.Mutex // serializes Reload
	failed   string     // digest of the sources that last failed to compile
	failErr  error      // and why
}

// Load reads and compiles the policy named in opts. A policy that does not
// compile is a *CompileError listing every problem with its file and line.
func Load(opts Options) (*Engine, error) {
	if (opts.Dir == "") == (opts.Bundle == "") {
		return nil, errors.New("load policy: set exactly one of the directory and the bundle")
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	e := &Engine{opts: opts, log: log.With("component", "policy", "source", opts.source())}
	src, err := readSources(opts)
	if err != nil {
		return nil, err
	}
	c, err := compile(context.Background(), src)
	if err != nil {
		return nil, err
	}
	e.cur.Store(c)
	return e, nil
}

func (o Options) source() string {
	if o.Bundle != "" {
		return o.Bundle
	}
	return o.Dir
}

// Digest is "sha256:" and the hex SHA-256 over the paths and contents of the
// current policy's production sources (tests aside), in path order.
func (e *Engine) Digest() string {
	return e.cur.Load().digest
}

// Reload reads the sources again and, if they changed, compiles them and
// makes them the current policy. If they did not change it does nothing; if
// they do not compile it returns the error and keeps the last good policy.
// The same broken sources are not compiled twice.
func (e *Engine) Reload() (changed bool, err error) {
	src, err := readSources(e.opts)
	if err != nil {
		return false, err
	}
	return e.reload(src)
}

func (e *Engine) reload(src *sources) (changed bool, err error) {
	e.reloadMu.Lock()
	defer e.reloadMu.Unlock()
	if src.digest == e.cur.Load().digest {
		e.failed, e.failErr = "", nil
		return false, nil
	}
	if src.digest == e.failed {
		return false, e.failErr
	}
	c, err := compile(context.Background(), src)
	if err != nil {
		e.failed, e.failErr = src.digest, err
		return false, err
	}
	e.failed, e.failErr = "", nil
	e.cur.Store(c)
	return true, nil
}

// Watch polls the sources every interval (DefaultWatchInterval if not
// positive) until ctx is done, and reloads the policy once changed sources
// have stayed the same for one interval (so a file caught half-written is
// not compiled). It logs each new policy, and each failure once, and keeps
// the last good policy when a new one does not compile.
func (e *Engine) Watch(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = DefaultWatchInterval
	}
	t := time.NewTicker(every)
	defer t.Stop()
	var lastErr, pending string
	fail := func(err error) {
		if err.Error() != lastErr {
			lastErr = err.Error()
			e.log.Error("policy not reloaded; keeping the last good one", "digest", e.Digest(), "error", err)
		}
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		src, err := readSources(e.opts)
		if err != nil {
			fail(err)
			continue
		}
		if src.digest == e.Digest() {
			lastErr, pending = "", ""
			continue
		}
		if src.digest != pending {
			pending = src.digest // changed: wait for it to settle
			continue
		}
		changed, err := e.reload(src)
		switch {
		case err != nil:
			fail(err)
		case changed:
			lastErr, pending = "", ""
			e.log.Info("policy reloaded", "digest", e.Digest(), "modules", e.cur.Load().modules)
		}
	}
}
