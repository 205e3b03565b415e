package daemon

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/config"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/ha"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
)

// haSettings builds the elector's settings from the ha section, its TLS
// files read: an error here stops New, as a bad journal does. The
// identity's address is completed in startElector once the listener is
// open.
func haSettings(c *config.Config) (*ha.Config, error) {
	h := c.HA
	var t *tls.Config
	if h.Etcd.TLS.Enabled() || strings.HasPrefix(h.Etcd.Endpoints[0], "https://") {
		var err error
		if t, err = ha.LoadTLS(h.Etcd.TLS.CA, h.Etcd.TLS.Cert, h.Etcd.TLS.Key); err != nil {
			return nil, err
		}
	}
	return &ha.Config{
		Endpoints:   h.Etcd.Endpoints,
		TLS:         t,
		DialTimeout: h.Etcd.DialTimeout,
		Prefix:      h.Etcd.Prefix,
		SessionTTL:  h.Etcd.SessionTTL,
		Self:        ha.Identity{Name: h.NodeName, Address: h.Advertise},
	}, nil
}

// startElector makes the elector, advertising the API at the configured
// address, or at the port the listener was given when the address names
// port 0.
func (d *Daemon) startElector(ln net.Listener) error {
	c := *d.haCfg
	if u, err := url.Parse(c.Self.Address); err == nil && u.Port() == "0" {
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		u.Host = net.JoinHostPort(u.Hostname(), port)
		c.Self.Address = u.String()
	}
	el, err := ha.New(c, d.log, d.reg)
	if err != nil {
		return err
	}
	d.ha = el
	return nil
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
