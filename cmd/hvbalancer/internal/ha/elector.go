package ha

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
	"go.uber.org/zap"
)

// resignTimeout bounds the resignation at shutdown: a standby takes over
// at once when it succeeds, after the TTL when it does not.
const resignTimeout = 5 * time.Second

// retryWait is the pause before a new session after one could not be made.
const retryWait = time.Second

// Elector campaigns for this daemon and follows who leads. New builds it,
// Run campaigns until its context ends, Close closes the etcd client.
type Elector struct {
	cfg     Config
	log     *slog.Logger
	client  *clientv3.Client
	metrics *metrics
	value   string // this daemon's identity as the leader key's value

	lead *leadership

	mu     sync.Mutex       // guards value, cfg.Self and lease
	lease  clientv3.LeaseID // the current session's, 0 between sessions
	other  chan struct{}    // the term's leader key was seen gone
	resign chan struct{}    // Resign asks the term to end
}

// New connects to etcd (the connection itself is made lazily by the
// client) and registers the leader metrics with reg.
func New(cfg Config, log *slog.Logger, reg prometheus.Registerer) (*Elector, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	value, err := json.Marshal(cfg.Self)
	if err != nil {
		return nil, fmt.Errorf("ha identity: %w", err)
	}
	client, err := clientv3.New(clientv3.Config{
		Endpoints:   cfg.Endpoints,
		TLS:         cfg.TLS,
		DialTimeout: cfg.DialTimeout,
		Logger:      zap.NewNop(), // what matters is logged here, through slog
	})
	if err != nil {
		return nil, fmt.Errorf("etcd client: %w", err)
	}
	m, err := newMetrics(reg)
	if err != nil {
		client.Close()
		return nil, err
	}
	return &Elector{
		cfg: cfg, log: log.With("component", "ha"), client: client, metrics: m, value: string(value),
		lead: newLeadership(), other: make(chan struct{}, 1), resign: make(chan struct{}, 1),
	}, nil
}

// SetAddress changes the address this daemon advertises, e.g. once its
// listener has the port the configuration left to the system. Call it
// before Run.
func (e *Elector) SetAddress(address string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	self := e.cfg.Self
	self.Address = address
	value, err := json.Marshal(self)
	if err != nil {
		return fmt.Errorf("ha identity: %w", err)
	}
	e.cfg.Self, e.value = self, string(value)
	return nil
}

// State returns the leadership as this daemon sees it now.
func (e *Elector) State() State { return e.lead.current() }

// Changed returns a channel that is closed at the next change of State;
// call it again after each change.
func (e *Elector) Changed() <-chan struct{} { return e.lead.next() }

// Leading returns the current term while this daemon leads, or nil.
func (e *Elector) Leading() *Term { return e.lead.leading() }

// Client is the etcd client, for the stores that share the connection.
func (e *Elector) Client() *clientv3.Client { return e.client }

// Self is this daemon's identity.
func (e *Elector) Self() Identity {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.cfg.Self
}

// Prefix is the key prefix of this fleet's daemons.
func (e *Elector) Prefix() string { return e.cfg.Prefix }

// Close closes the etcd client; Run must have returned.
func (e *Elector) Close() error { return e.client.Close() }

// electionPrefix is where the candidates' keys are.
func (e *Elector) electionPrefix() string { return e.cfg.Prefix + "/leader" }

// Run follows the leader and campaigns for this daemon until ctx ends, one
// session after another: when a session ends (its lease expired, or etcd
// was unreachable past the TTL), a new one campaigns again. At the end a
// leader resigns, so that a standby takes over at once.
func (e *Elector) Run(ctx context.Context) error {
	octx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { e.observe(octx) })
	defer func() { stop(); wg.Wait() }()
	for ctx.Err() == nil {
		if err := e.session(ctx); err != nil && ctx.Err() == nil {
			e.log.Warn("etcd session", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(retryWait):
			}
		}
	}
	return nil
}

// Resign ends this daemon's term, if it leads, and deletes its leader key
// so that a standby takes over at once; it campaigns again afterwards.
func (e *Elector) Resign() {
	select {
	case e.resign <- struct{}{}:
	default:
	}
}

// session campaigns in one etcd session and leads until the session or
// the term ends.
func (e *Elector) session(ctx context.Context) error {
	s, err := concurrency.NewSession(e.client, concurrency.WithTTL(int(e.cfg.SessionTTL/time.Second)), concurrency.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	e.mu.Lock()
	e.lease = s.Lease()
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		e.lease = 0
		e.mu.Unlock()
		s.Orphan()
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), resignTimeout)
		defer cancel()
		if _, err := e.client.Revoke(rctx, s.Lease()); err != nil && ctx.Err() != nil {
			e.log.Warn("revoke the session's lease at shutdown", "err", err)
		}
	}()
	el := concurrency.NewElection(s, e.electionPrefix())
	drain(e.resign)
	e.mu.Lock()
	value := e.value
	e.mu.Unlock()
	if err := el.Campaign(s.Ctx(), value); err != nil {
		return fmt.Errorf("campaign: %w", err)
	}
	drain(e.other)
	t := e.lead.begin(e.Self(), el.Key(), el.Rev())
	e.metrics.leader.Set(1)
	e.metrics.takeovers.Inc()
	e.log.Info("leading", "rev", t.Rev)
	reason := ""
	select {
	case <-s.Done():
		reason = "session ended: lease expired or etcd unreachable"
	case <-ctx.Done():
		reason = "shutting down"
	case <-e.other:
		reason = "leader key gone (deleted or its lease revoked)"
	case <-e.resign:
		reason = "resigned"
	}
	if e.lead.end(t, reason) {
		e.metrics.leader.Set(0)
		e.log.Warn("no longer leading", "rev", t.Rev, "why", reason)
	}
	if ctx.Err() != nil || reason == "resigned" {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), resignTimeout)
		defer cancel()
		if err := el.Resign(rctx); err != nil {
			return fmt.Errorf("resign: %w", err)
		}
	}
	return nil
}

// gone reports whether etcd no longer has term t's leader key.
func (e *Elector) gone(ctx context.Context, t *Term) bool {
	resp, err := e.client.Get(ctx, t.key)
	return err == nil && (len(resp.Kvs) == 0 || resp.Kvs[0].CreateRevision != t.Rev)
}

// otherLeads tells the term its key is gone.
func (e *Elector) otherLeads() {
	select {
	case e.other <- struct{}{}:
	default:
	}
}

func drain(c chan struct{}) {
	select {
	case <-c:
	default:
	}
}

// observe follows the election's first key (the leader) and records who it
// names, until ctx ends: it reads it, waits for any change under the
// election prefix, and reads it again.
func (e *Elector) observe(ctx context.Context) {
	pfx := e.electionPrefix() + "/"
	for ctx.Err() == nil {
		resp, err := e.client.Get(ctx, pfx, clientv3.WithFirstCreate()...)
		if err != nil {
			if ctx.Err() == nil {
				e.log.Debug("read the leader", "err", err)
				sleep(ctx, retryWait)
			}
			continue
		}
		who, key, rev := Identity{}, "", int64(0)
		if len(resp.Kvs) > 0 {
			kv := resp.Kvs[0]
			if err := json.Unmarshal(kv.Value, &who); err != nil {
				who = Identity{Name: string(kv.Value)} // a daemon of another version
			}
			key, rev = string(kv.Key), kv.CreateRevision
		}
		if t := e.Leading(); t != nil {
			// A read made before this term began may still show the
			// last leader: only a missing own key ends the term.
			if key != t.key && e.gone(ctx, t) {
				e.otherLeads()
			}
		} else {
			e.lead.observed(who, rev)
		}
		wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
		wch := e.client.Watch(wctx, pfx, clientv3.WithPrefix(), clientv3.WithRev(resp.Header.Revision+1))
		select {
		case wr, ok := <-wch:
			if !ok || wr.Err() != nil {
				sleep(ctx, retryWait/5)
			}
		case <-ctx.Done():
		}
		cancel()
	}
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
