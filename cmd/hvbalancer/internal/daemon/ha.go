package daemon

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/etcdjournal"

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/config"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/ha"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/planstore"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/seal"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
)

// errApplyHA refuses `hvbalancer apply` with an ha section: only the
// elected daemon starts migrations, and it runs an approved plan itself.
var errApplyHA = errors.New("apply: with an ha section only the leading daemon migrates; approve the plan through the API (POST /api/v1/plans/ID/approve) instead")

// HAConfig is the elector's settings from the ha section, its TLS files
// read.
func HAConfig(c *config.Config) (ha.Config, error) {
	h := c.HA
	var t *tls.Config
	if h.Etcd.TLS.Enabled() || strings.HasPrefix(h.Etcd.Endpoints[0], "https://") {
		var err error
		if t, err = ha.LoadTLS(h.Etcd.TLS.CA, h.Etcd.TLS.Cert, h.Etcd.TLS.Key); err != nil {
			return ha.Config{}, err
		}
	}
	return ha.Config{
		Endpoints:   h.Etcd.Endpoints,
		TLS:         t,
		DialTimeout: h.Etcd.DialTimeout,
		Prefix:      h.Etcd.Prefix,
		SessionTTL:  h.Etcd.SessionTTL,
		Self:        ha.Identity{Name: h.NodeName, Address: h.Advertise},
	}, nil
}

// openHA makes the elector from the ha section (an error here stops New,
// as a bad journal does) and the journal it fences, in etcd under the
// section's prefix. The identity's address is completed in startElector
// once the listener is open.
func (d *Daemon) openHA(c *config.Config, reg prometheus.Registerer) error {
	hc, err := HAConfig(c)
	if err != nil {
		return err
	}
	el, err := ha.New(hc, d.log, reg)
	if err != nil {
		return err
	}
	d.ha = el
	d.journal = d.keepHistory(sharedJournal(el, etcdjournal.Options{Fence: el.Fence, Term: termEnds(el)}))
	d.term = &termJournal{Store: d.journal}
	return nil
}

// sharedPlans is the plan store the daemons sharing etcd share, under the
// ha prefix, its writes fenced: any daemon reads the plans, the leader
// alone makes and changes them. Like the journal's, its writes end with
// the term (termEnds), and so do the reads the leader makes in order to
// write (planStore.lead): a round saving a plan or acting on the plans,
// or an approval, when this daemon is cut off from etcd fails when the
// lease runs out, not after the store's timeout. A standby's reads are
// not bound.
func (d *Daemon) sharedPlans(c *config.Config, key *seal.Key, trusted []seal.PublicKey) *planStore {
	st := planstore.NewEtcd(d.ha.Client(), planstore.EtcdOptions{Prefix: c.HA.Etcd.Prefix + "/", Fence: d.ha.Fence, Term: termEnds(d.ha)})
	s := newPlanStore(st, key, trusted, d.log)
	s.lead = st.Writer()
	return s
}

// startElector advertises the API at the port the listener was given when
// the configured address names port 0.
func (d *Daemon) startElector(ln net.Listener) error {
	u, err := url.Parse(d.ha.Self().Address)
	if err != nil || u.Port() != "0" {
		return nil
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	u.Host = net.JoinHostPort(u.Hostname(), port)
	return d.ha.SetAddress(u.String())
}

// standBy campaigns and leads while elected, until ctx ends: while this
// daemon stands by it serves the API and the status page only, and
// forwards mutations to the leader (see forwarding). At the end a term's
// migrations drain before the elector resigns, so that the next leader
// finds them ended.
func (d *Daemon) standBy(ctx context.Context) error {
	ectx, stop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.ha.Run(ectx)
	}()
	defer func() {
		stop()
		<-done
	}()
	d.log.Info("standing by until elected", "node", d.ha.Self().Name, "address", d.ha.Self().Address, "etcd_prefix", d.ha.Prefix())
	for ctx.Err() == nil {
		changed := d.ha.Changed()
		if t := d.ha.Leading(); t != nil {
			d.lead(ctx, t)
			continue
		}
		select {
		case <-ctx.Done():
		case <-changed:
		}
	}
	return nil
}

// lead does a leader's work for one term, as a daemon alone does from its
// start: it polls, reconciles the journal (the outcomes the last leader
// left unknown are located, as after a crash), then plans every round and
// executes, resuming approved plans. When the term ends no migration
// starts any more; the ones in flight drain.
func (d *Daemon) lead(ctx context.Context, t *ha.Term) {
	tctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-t.Done():
			cancel()
		case <-tctx.Done():
		}
	}()
	d.log.Info("leading: collecting, planning and executing", "term", t.Rev)
	// What the last leader left in the journal is this daemon's now: its
	// queued moves, the outcomes it left unknown, its cooldowns.
	d.term.open.Store(true)
	defer d.term.open.Store(false)
	if err := d.exec.Reload(); err != nil {
		d.standDown(ctx, t, "read the journal the last leader left", err)
		return
	}
	if _, err := d.maint.load(); err != nil { // the fleet's maintenance, before any round
		d.standDown(ctx, t, "read the fleet's maintenance", err)
		return
	}
	d.syncPause() // the fleet's pause, before any migration may start
	g, gctx := errgroup.WithContext(tctx)
	g.Go(func() error { d.poll(gctx); return nil })
	g.Go(func() error {
		d.reconcile(gctx)
		if gctx.Err() != nil {
			return nil
		}
		g.Go(func() error { d.rounds(gctx); return nil })
		return d.exec.Run(gctx)
	})
	if err := g.Wait(); err != nil {
		d.log.Warn("end of term", "term", t.Rev, "err", err)
	}
	d.stateMu.Lock()
	d.reconciled = false // the next term reconciles again
	d.stateMu.Unlock()
	if ctx.Err() == nil {
		d.log.Warn("standing by: no migration starts here until this daemon is elected again", "term", t.Rev)
	}
}

// standDown resigns a term whose work could not begin, so that another
// daemon may try, and waits for the term to end.
func (d *Daemon) standDown(ctx context.Context, t *ha.Term, what string, err error) {
	d.log.Error(what+"; resigning", "term", t.Rev, "err", err)
	d.ha.Resign()
	select {
	case <-t.Done():
	case <-ctx.Done():
	}
}

// leads is nil while this daemon leads, as etcd says now: the fence the
// executor checks before it re-validates a move and again before Move-VM.
func (d *Daemon) leads(ctx context.Context) error {
	if d.ha == nil {
		return ha.ErrNotLeader
	}
	return d.ha.Check(ctx)
}

// haStatus is the leadership for the status; nil for a daemon alone.
func (d *Daemon) haStatus() *web.HAStatus {
	if d.ha == nil {
		return nil
	}
	s := d.ha.State()
	return &web.HAStatus{
		Node: d.ha.Self().Name, Leading: s.Leading,
		Leader: s.Leader.Name, LeaderAddress: s.Leader.Address, Term: s.Rev, Since: s.Since,
	}
}

// standbyReason says why a standby is not ready, naming the leader.
func standbyReason(h *web.HAStatus) string {
	if h.Leader == "" {
		return "standing by: no leader elected yet"
	}
	return fmt.Sprintf("standing by: %s leads at %s", h.Leader, h.LeaderAddress)
}
