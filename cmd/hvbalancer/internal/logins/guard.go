package logins

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/hyperv"
)

// Client is what a call through the guard gets: *hyperv.Client.
type Client interface {
	collector.Source
	Locate(ctx context.Context, vmID string) (hyperv.VMLocation, bool, error)
	Move(ctx context.Context, vmID, destination string, opt hyperv.MoveOptions) (hyperv.VMLocation, error)
	Compare(ctx context.Context, vmID, destination string, opt hyperv.MoveOptions) ([]hyperv.Incompatibility, error)
	Close() error
}

var _ Client = (*hyperv.Client)(nil)

// Settings tune a Guard. Zero fields take their defaults.
type Settings struct {
	// Threshold is how many failed logins in a row, across the fleet, stop
	// a credential (default 3: below any sane domain lockout threshold).
	Threshold int
	// BackoffBase is a host's wait after its first failed login, doubled
	// after each further one (default 1m); BackoffMax caps it (default 30m).
	BackoffBase, BackoffMax time.Duration
	// Jitter is the share by which a wait varies either way (default 0.2).
	Jitter float64
	// CheckEvery is the wall-clock time between two looks at a credential's
	// files (default 1s; negative: at every call).
	CheckEvery time.Duration
	// Now is the fleet's clock, which the backoff follows (default time.Now).
	Now func() time.Time
	// Rand returns a number in [0, 1) for the jitter (default math/rand/v2).
	Rand func() float64
}

// Defaults for the zero fields of Settings.
const (
	DefaultThreshold   = 3
	DefaultBackoffBase = time.Minute
	DefaultBackoffMax  = 30 * time.Minute
	DefaultJitter      = 0.2
	DefaultCheckEvery  = time.Second
)

func (s Settings) withDefaults() Settings {
	if s.Threshold <= 0 {
		s.Threshold = DefaultThreshold
	}
	if s.BackoffBase <= 0 {
		s.BackoffBase = DefaultBackoffBase
	}
	if s.BackoffMax <= 0 {
		s.BackoffMax = DefaultBackoffMax
	}
	if s.Jitter <= 0 {
		s.Jitter = DefaultJitter
	}
	if s.CheckEvery == 0 {
		s.CheckEvery = DefaultCheckEvery
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.Rand == nil {
		s.Rand = rand.Float64
	}
	return s
}

// Host is one host the guard stands in front of.
type Host struct {
	Name       string
	Credential Credential
	// Settings is everything else the host's client is made from, as text
	// without secrets: a reload that changes it makes a new client and
	// gives the credential another chance.
	Settings string
	// Dial makes the host's client with the credential's password (empty
	// for a keytab or a credential cache). It must not connect.
	Dial func(password string) (Client, error)
}

// host is the guard's state of one Host.
type host struct {
	Host
	cred     *credential
	client   Client
	gen      uint64    // the credential generation the client was made with
	failures int       // failed logins in a row to this host
	retryAt  time.Time // no login before (fleet clock)
	last     error     // the failure that holds it back
	// probing: a first login with an unproven credential is in flight to
	// this host; its other calls wait for its outcome instead of spending
	// another of the credential's probes on the same host.
	probing bool
}

// Guard decides when a call to a host may go out. Its methods are safe for
// concurrent use.
type Guard struct {
	set Settings
	log *slog.Logger
	m   *metrics

	mu      sync.Mutex
	changed chan struct{} // closed and replaced at every release and change
	creds   map[string]*credential
	hosts   map[string]*host // by lower-case name
	retired []Client         // replaced clients, closed by Close: calls may still use them
	closed  bool
}

// New builds the guard of hosts: it reads every credential's secret and
// makes every client (without connecting). It registers its metrics on
// reg (none when nil) and logs to log (none when nil).
func New(hosts []Host, s Settings, log *slog.Logger, reg prometheus.Registerer) (*Guard, error) {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, fmt.Errorf("new login guard: %w", err)
	}
	g := &Guard{
		set: s.withDefaults(), log: log.With("component", "logins"), m: m,
		changed: make(chan struct{}), creds: map[string]*credential{}, hosts: map[string]*host{},
	}
	if err := g.Update(hosts); err != nil {
		return nil, err
	}
	return g, nil
}

// Update replaces the hosts (a configuration reload), all or nothing. A
// host whose name, credential and settings stay keeps its client and its
// backoff; a credential keeps its failures and stays stopped unless the
// settings of the hosts that use it changed.
func (g *Guard) Update(hosts []Host) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	settings := map[string][]string{}
	for _, h := range hosts {
		k := h.Credential.key()
		settings[k] = append(settings[k], h.Name+"\x00"+h.Settings)
	}
	creds := map[string]*credential{}
	var errs []error
	for _, h := range hosts {
		k := h.Credential.key()
		if creds[k] != nil {
			continue
		}
		slices.Sort(settings[k])
		digest := strings.Join(settings[k], "\n")
		c := g.creds[k]
		if c == nil {
			c = &credential{Credential: h.Credential, name: h.Credential.Name(), gen: 1}
			var err error
			if c.password, c.fp, err = c.secret(); err != nil {
				errs = append(errs, fmt.Errorf("host %s: %w", h.Name, err))
			}
			c.checked = time.Now()
		}
		creds[k] = c
		c.settingsNext = digest
	}
	next := map[string]*host{}
	for _, h := range hosts {
		name := strings.ToLower(h.Name)
		if next[name] != nil {
			errs = append(errs, fmt.Errorf("host %s twice", h.Name))
			continue
		}
		c := creds[h.Credential.key()]
		old := g.hosts[name]
		if old != nil && old.cred == c && old.Settings == h.Settings && c.settings == c.settingsNext {
			next[name] = old
			continue
		}
		nh := &host{Host: h, cred: c}
		client, err := h.Dial(c.password)
		if err != nil {
			errs = append(errs, fmt.Errorf("host %s: %w", h.Name, err))
		}
		nh.client, nh.gen = client, c.gen
		next[name] = nh
	}
	if err := errors.Join(errs...); err != nil {
		for _, c := range creds {
			c.settingsNext = c.settings
		}
		return err
	}
	for _, c := range creds {
		if c.settings != "" && c.settings != c.settingsNext {
			g.resumeLocked(c, "the configuration of its hosts changed")
		}
		c.settings = c.settingsNext
	}
	for name, h := range g.hosts {
		if next[name] == nil {
			g.m.forget(h.Name)
		}
	}
	for name, h := range g.hosts {
		if next[name] != h && h.client != nil {
			g.retired = append(g.retired, h.client)
		}
	}
	for _, h := range next {
		g.m.authFailures.WithLabelValues(h.Name) // a host that never failed counts 0
	}
	g.creds, g.hosts = creds, next
	g.m.setStopped(g.stoppedCountLocked())
	g.broadcastLocked()
	return nil
}

// Close closes every client the guard made. Calls after Close fail.
func (g *Guard) Close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, h := range g.hosts {
		if h.client != nil {
			_ = h.client.Close()
		}
	}
	for _, c := range g.retired {
		_ = c.Close()
	}
	g.retired, g.closed = nil, true
}

// resumeLocked gives a credential another chance and says so when it was
// stopped.
func (g *Guard) resumeLocked(c *credential, why string) {
	if c.stopped {
		g.log.Info("credential resumes", "credential", c.name, "because", why)
	}
	c.reset()
	for _, h := range g.hosts {
		if h.cred == c {
			h.failures, h.retryAt, h.last = 0, time.Time{}, nil
		}
	}
	g.m.setStopped(g.stoppedCountLocked())
}

func (g *Guard) broadcastLocked() {
	close(g.changed)
	g.changed = make(chan struct{})
}

func (g *Guard) stoppedCountLocked() int {
	n := 0
	for _, c := range g.creds {
		if c.stopped {
			n++
		}
	}
	return n
}

// refreshLocked looks at a credential's files, at most every CheckEvery,
// and starts over with a new secret when they changed.
func (g *Guard) refreshLocked(c *credential) {
	now := time.Now()
	if g.set.CheckEvery > 0 && now.Sub(c.checked) < g.set.CheckEvery {
		return
	}
	c.checked = now
	if len(c.files()) == 0 && c.secretErr == nil {
		return // an environment variable or an inline password: fixed for the process
	}
	password, fp, err := c.secret()
	if err != nil {
		if c.secretErr == nil || c.secretErr.Error() != err.Error() {
			g.log.Warn("cannot read a credential; its hosts are not tried", "credential", c.name, "err", err)
		}
		c.secretErr = err
		return
	}
	changed := fp != c.fp || password != c.password
	if c.secretErr != nil {
		c.secretErr = nil
		changed = true
	}
	if changed {
		c.password, c.fp = password, fp
		g.resumeLocked(c, "its secret changed")
	}
}
