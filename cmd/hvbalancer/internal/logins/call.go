package logins

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/hyperv"
)

// HeldError is a call the guard did not send: the host is waiting out its
// backoff, or its credential is stopped or cannot be read. It matches
// collector.ErrHeld and the cause of the failures that led to it (such as
// hyperv.ErrUnauthorized).
type HeldError struct {
	Host   string
	Reason string    // why, in words
	Until  time.Time // when the host is tried again; zero until something changes
	Cause  error     // the failure that led to it, when there was one
}

// Error implements error.
func (e *HeldError) Error() string {
	return collector.ErrHeld.Error() + ": " + e.Reason
}

// Unwrap returns collector.ErrHeld and the cause.
func (e *HeldError) Unwrap() []error {
	if e.Cause == nil {
		return []error{collector.ErrHeld}
	}
	return []error{collector.ErrHeld, e.Cause}
}

var errClosed = errors.New("login guard closed")

// Call runs f with the host's client when the guard lets a call to it go
// out, and learns from its error. It returns a *HeldError when it does not
// call f.
func (g *Guard) Call(ctx context.Context, hostName string, f func(Client) error) error {
	t, err := g.acquire(ctx, hostName)
	if err != nil {
		return err
	}
	err = f(t.client)
	g.release(t, err)
	return err
}

// ticket is one call let out.
type ticket struct {
	h      *host
	c      *credential
	client Client
	gen    uint64
	probe  bool // counted in c.probes
}

func (g *Guard) acquire(ctx context.Context, hostName string) (ticket, error) {
	for {
		g.mu.Lock()
		h := g.hosts[strings.ToLower(hostName)]
		switch {
		case g.closed:
			g.mu.Unlock()
			return ticket{}, fmt.Errorf("%s: %w", hostName, errClosed)
		case h == nil:
			g.mu.Unlock()
			return ticket{}, fmt.Errorf("%s: no such host: %w", hostName, hyperv.ErrInvalidArgument)
		}
		c := h.cred
		g.refreshLocked(c)
		now := g.set.Now()
		switch {
		case c.stopped:
			g.mu.Unlock()
			return ticket{}, &HeldError{Host: h.Name, Reason: stoppedText(c) + ": " + c.fix(), Cause: hyperv.ErrUnauthorized}
		case c.secretErr != nil:
			err := c.secretErr
			g.mu.Unlock()
			return ticket{}, &HeldError{Host: h.Name, Reason: err.Error(), Cause: err}
		case now.Before(h.retryAt):
			e := &HeldError{Host: h.Name, Until: h.retryAt, Cause: h.last,
				Reason: fmt.Sprintf("%s after %s in a row; next attempt at %s",
					problem(h.last), plural(h.failures, "failed login"), h.retryAt.UTC().Format(time.DateTime+" MST"))}
			g.mu.Unlock()
			return ticket{}, e
		}
		probe := !c.proven
		if probe && (h.probing || c.probes+c.failures >= g.set.Threshold) {
			// A login to this host is in flight already (a poll's reads
			// run side by side), or as many logins are in flight as the
			// credential may still fail: wait for one of them to tell.
			ch := g.changed
			g.mu.Unlock()
			select {
			case <-ctx.Done():
				// Not ctx.Err() as the cause: nothing was sent, whatever
				// the caller's deadline suggests.
				return ticket{}, &HeldError{Host: hostName,
					Reason: fmt.Sprintf("waited in vain for another login with %s to succeed (%v)", c.name, ctx.Err())}
			case <-ch:
			}
			continue
		}
		if h.client == nil || h.gen != c.gen {
			client, err := h.Dial(c.password)
			if err != nil {
				g.mu.Unlock()
				return ticket{}, fmt.Errorf("%s: %w", h.Name, err)
			}
			if h.client != nil {
				g.retired = append(g.retired, h.client)
			}
			h.client, h.gen = client, c.gen
		}
		if probe {
			c.probes++
			h.probing = true
		}
		t := ticket{h: h, c: c, client: h.client, gen: c.gen, probe: probe}
		g.mu.Unlock()
		return t, nil
	}
}

// outcome is what a call's error says about its login.
type outcome int

const (
	neutral  outcome = iota // nothing: unreachable, timeout, TLS, cancelled
	loggedIn                // the host accepted the credential
	refused                 // HTTP 401: a failed login, as a domain counts them
	hostAuth                // Kerberos clock skew or unknown principal: this host, not the password
)

func classify(err error) outcome {
	var ps *hyperv.PowerShellError
	var me *hyperv.MigrationError
	switch {
	case err == nil:
		return loggedIn
	case errors.Is(err, collector.ErrHeld):
		return neutral
	case errors.Is(err, hyperv.ErrClockSkew), errors.Is(err, hyperv.ErrUnknownPrincipal):
		return hostAuth
	case errors.Is(err, hyperv.ErrUnauthorized):
		return refused
	case errors.As(err, &ps), errors.As(err, &me), errors.Is(err, hyperv.ErrUnexpectedOutput):
		return loggedIn // a script ran: the login worked
	}
	return neutral
}

func (g *Guard) release(t ticket, err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	defer g.broadcastLocked()
	c, h := t.c, t.h
	if t.probe {
		c.probes--
		h.probing = false
	}
	o := classify(err)
	if o == refused {
		g.m.authFailures.WithLabelValues(h.Name).Inc()
	}
	if t.gen != c.gen || g.hosts[strings.ToLower(h.Name)] != h {
		return // the secret or the host changed meanwhile: this says nothing about the new one
	}
	switch o {
	case loggedIn:
		if h.failures > 0 {
			g.log.Info("login accepted again", "host", h.Name, "credential", c.name)
		}
		c.proven, c.failures = true, 0
		h.failures, h.retryAt, h.last = 0, time.Time{}, nil
	case refused, hostAuth:
		h.failures++
		h.last = err
		wait := g.backoff(h.failures)
		h.retryAt = g.set.Now().Add(wait)
		g.log.Debug("login refused; host held back", "host", h.Name, "credential", c.name, "failures", h.failures, "wait", wait)
		if o == hostAuth {
			return
		}
		c.proven = false
		c.failures++
		if c.failures >= g.set.Threshold && !c.stopped {
			c.stopped, c.since = true, g.set.Now()
			g.m.setStopped(g.stoppedCountLocked())
			g.log.Warn("credential stopped: no more logins with it on any host", "credential", c.name,
				"failures", c.failures, "fix", c.fix())
		}
	}
}

// backoff is a host's wait after n failed logins in a row: BackoffBase
// doubled n-1 times, at most BackoffMax, varied by Jitter either way.
func (g *Guard) backoff(n int) time.Duration {
	d := g.set.BackoffMax
	if n-1 < 32 {
		if b := g.set.BackoffBase << (n - 1); b > 0 && b < d {
			d = b
		}
	}
	f := 1 + g.set.Jitter*(2*g.set.Rand()-1)
	return time.Duration(float64(d) * f)
}

// problem says a failure in an administrator's words.
func problem(err error) string {
	if t := collector.CauseOf(err).Text(); t != "" {
		return t
	}
	if err == nil {
		return "refused"
	}
	return err.Error()
}

func stoppedText(c *credential) string {
	return fmt.Sprintf("credential %s stopped after %s", c.name, plural(c.failures, "failed login"))
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// Hosts returns the names of the guarded hosts, sorted.
func (g *Guard) Hosts() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]string, 0, len(g.hosts))
	for _, h := range g.hosts {
		out = append(out, h.Name)
	}
	slices.Sort(out)
	return out
}

// Stopped is a credential the guard no longer uses.
type Stopped struct {
	Credential string    `json:"credential"` // its name, e.g. svc-hvbalancer@LAB.EXAMPLE
	Failures   int       `json:"failures"`   // failed logins in a row that stopped it
	Since      time.Time `json:"since"`      // fleet clock
	Hosts      []string  `json:"hosts"`      // the hosts that use it, none of which is tried
	Message    string    `json:"message"`    // what happened and what to do, in one line
}

// Stopped lists the stopped credentials by name.
func (g *Guard) Stopped() []Stopped {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []Stopped
	for _, c := range g.creds {
		if c.stopped {
			g.refreshLocked(c) // fixed since the last call?
		}
		if !c.stopped {
			continue
		}
		s := Stopped{Credential: c.name, Failures: c.failures, Since: c.since, Message: stoppedText(c) + ": " + c.fix()}
		for _, h := range g.hosts {
			if h.cred == c {
				s.Hosts = append(s.Hosts, h.Name)
			}
		}
		slices.Sort(s.Hosts)
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b Stopped) int { return strings.Compare(a.Credential, b.Credential) })
	return out
}

// Source returns the named host's collector Source, through the guard.
func (g *Guard) Source(hostName string) collector.Source { return source{g: g, host: hostName} }

type source struct {
	g    *Guard
	host string
}

func (s source) Host(ctx context.Context) (info hyperv.HostInfo, err error) {
	err = s.g.Call(ctx, s.host, func(c Client) error {
		info, err = c.Host(ctx)
		return err
	})
	return info, err
}

func (s source) VMs(ctx context.Context) (vms []hyperv.VM, err error) {
	err = s.g.Call(ctx, s.host, func(c Client) error {
		vms, err = c.VMs(ctx)
		return err
	})
	return vms, err
}

// Poll reads the host in one call when its client can (collector.Poller);
// otherwise it answers errors.ErrUnsupported, and the collector reads the
// host with the three calls above.
func (s source) Poll(ctx context.Context, facts bool, sampleInterval time.Duration) (r hyperv.PollResult, err error) {
	err = s.g.Call(ctx, s.host, func(c Client) error {
		p, ok := c.(collector.Poller)
		if !ok {
			return errors.ErrUnsupported
		}
		r, err = p.Poll(ctx, facts, sampleInterval)
		return err
	})
	return r, err
}

func (s source) Counters(ctx context.Context, sampleInterval time.Duration) (cs hyperv.Counters, err error) {
	err = s.g.Call(ctx, s.host, func(c Client) error {
		cs, err = c.Counters(ctx, sampleInterval)
		return err
	})
	return cs, err
}
