package collector

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hvbalancer/hvbalancer/hyperv"
)

// Source reads one host. *hyperv.Client implements it. Every method must
// return soon after ctx is done. A poll calls Counters while it calls
// Host and VMs: the methods must be safe for concurrent use.
type Source interface {
	Host(ctx context.Context) (hyperv.HostInfo, error)
	VMs(ctx context.Context) ([]hyperv.VM, error)
	Counters(ctx context.Context, sampleInterval time.Duration) (hyperv.Counters, error)
}

// Target is one configured host.
type Target struct {
	Name string // the host's name in snapshots; unique
	// Cluster is the failover cluster the configuration names for the
	// host. It stands until the host has answered; from then on the
	// cluster the host reports (none for a stand-alone host) is used, and
	// a disagreement is logged as a warning.
	Cluster     string
	Group       string
	Labels      map[string]string
	Maintenance bool
	Source      Source
}

// Config tunes a Collector. Zero fields take their defaults.
type Config struct {
	// Window is the smoothing window (default 5m, like DRS's five-minute view).
	Window time.Duration
	// StaleAfter: a host whose last good sample is older is stale (default 2m).
	StaleAfter time.Duration
	// Concurrency is how many hosts are polled at once (default 200). A
	// poll waits a little more than SampleInterval on the host: at about
	// 1.2 s a poll, 200 at once poll 1,000 hosts in about 6 s, within the
	// default RoundTimeout, when the collector has the CPU for it.
	Concurrency int
	// CallTimeout is the deadline of one host's poll, all calls together (default 30s).
	CallTimeout time.Duration
	// RoundTimeout is how long Poll waits for the hosts' answers before it
	// makes the snapshot of what has arrived (default 10s, at most
	// CallTimeout). A host that has not answered by then goes on in the
	// background: its answer counts when it comes, it is not polled again
	// meanwhile, and it turns stale on its own while the others stay fresh.
	// The round as a whole ends by RoundTimeout: its wait ends early by
	// what the recent rounds took to merge their answers and make their
	// snapshots (a quarter of RoundTimeout at most; 0.4-2.8 s at a
	// thousand hosts on a busy core).
	RoundTimeout time.Duration
	// SampleInterval is Get-Counter's sample interval (default 1s).
	SampleInterval time.Duration
	// FactsEvery: host facts (Get-VMHost) are read again every FactsEvery
	// polls of the host, and after a failure (default 10).
	FactsEvery int
	// Now is the clock (default time.Now); tests inject a fake one.
	Now func() time.Time
}

// Defaults for the zero fields of Config.
const (
	DefaultWindow         = 5 * time.Minute
	DefaultStaleAfter     = 2 * time.Minute
	DefaultConcurrency    = 200
	DefaultCallTimeout    = 30 * time.Second
	DefaultRoundTimeout   = 10 * time.Second
	DefaultSampleInterval = time.Second
	DefaultFactsEvery     = 10
)

// ErrInvalidConfig marks every problem New and SetTargets reject.
var ErrInvalidConfig = errors.New("invalid collector config")

// withDefaults fills the zero fields.
func (c Config) withDefaults() Config {
	if c.Window == 0 {
		c.Window = DefaultWindow
	}
	if c.StaleAfter == 0 {
		c.StaleAfter = DefaultStaleAfter
	}
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.CallTimeout == 0 {
		c.CallTimeout = DefaultCallTimeout
	}
	if c.SampleInterval == 0 {
		c.SampleInterval = DefaultSampleInterval
	}
	if c.RoundTimeout == 0 {
		c.RoundTimeout = DefaultRoundTimeout
	}
	c.RoundTimeout = min(c.RoundTimeout, c.CallTimeout)
	if c.FactsEvery == 0 {
		c.FactsEvery = DefaultFactsEvery
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// validate reports every negative field at once.
func (c Config) validate() error {
	var errs []error
	for _, f := range []struct {
		name string
		bad  bool
		val  any
	}{
		{"window", c.Window < 0, c.Window},
		{"stale_after", c.StaleAfter < 0, c.StaleAfter},
		{"concurrency", c.Concurrency < 0, c.Concurrency},
		{"call_timeout", c.CallTimeout < 0, c.CallTimeout},
		{"round_timeout", c.RoundTimeout < 0, c.RoundTimeout},
		{"sample_interval", c.SampleInterval < 0, c.SampleInterval},
		{"facts_every", c.FactsEvery < 0, c.FactsEvery},
	} {
		if f.bad {
			errs = append(errs, fmt.Errorf("%s: %v is negative: %w", f.name, f.val, ErrInvalidConfig))
		}
	}
	return errors.Join(errs...)
}

// checkTargets reports every unnamed, duplicate or source-less target.
func checkTargets(targets []Target) error {
	var errs []error
	seen := make(map[string]bool, len(targets))
	for i, t := range targets {
		switch {
		case t.Name == "":
			errs = append(errs, fmt.Errorf("targets[%d]: no name: %w", i, ErrInvalidConfig))
		case seen[t.Name]:
			errs = append(errs, fmt.Errorf("targets[%d]: host %q twice: %w", i, t.Name, ErrInvalidConfig))
		}
		seen[t.Name] = true
		if t.Source == nil {
			errs = append(errs, fmt.Errorf("targets[%d]: host %q has no source: %w", i, t.Name, ErrInvalidConfig))
		}
	}
	return errors.Join(errs...)
}

// Collector polls a fleet and keeps its windows. Its methods are safe for
// concurrent use; polls run one at a time.
type Collector struct {
	cfg     Config
	log     *slog.Logger
	metrics *metrics

	pollMu sync.Mutex // one round at a time
	// merge is how long the recent rounds took from the end of their
	// wait for answers to their snapshot: the longest, a quarter less for
	// each round since (guarded by pollMu).
	merge time.Duration

	mu      sync.Mutex // guards targets, hosts and vms
	targets []Target
	hosts   map[string]*hostState // by target name
	vms     map[string]*vmState   // by VM ID
	// conflicts are the VM IDs more than one host reported in the last
	// round: they are marked in the snapshot and not planned.
	conflicts conflicts
	// late queues the answers that came after their round ended.
	late lateAnswers

	latest atomic.Pointer[Snapshot]
}

// New validates the targets and cfg and returns a collector for them. It
// registers its metrics on reg (none when reg is nil) and logs to log (none
// when nil). It does not poll.
func New(targets []Target, cfg Config, log *slog.Logger, reg prometheus.Registerer) (*Collector, error) {
	if err := errors.Join(cfg.validate(), checkTargets(targets)); err != nil {
		return nil, fmt.Errorf("new collector: %w", err)
	}
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, fmt.Errorf("new collector: %w", err)
	}
	c := &Collector{
		cfg:     cfg.withDefaults(),
		log:     log.With("component", "collector"),
		metrics: m,
		hosts:   make(map[string]*hostState, len(targets)),
		vms:     make(map[string]*vmState),
	}
	c.setTargetsLocked(targets)
	return c, nil
}

// SetTargets replaces the configured hosts (a config reload). Hosts that
// stay, by name, keep their windows and health; new ones start unpolled;
// removed ones are forgotten (their VMs' windows expire on their own, or
// follow the VMs to another host). The next Poll uses the new set.
func (c *Collector) SetTargets(targets []Target) error {
	if err := checkTargets(targets); err != nil {
		return fmt.Errorf("set targets: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.setTargetsLocked(targets)
	return nil
}

func (c *Collector) setTargetsLocked(targets []Target) {
	c.targets = make([]Target, len(targets))
	keep := make(map[string]bool, len(targets))
	for i, t := range targets {
		t.Labels = cloneTags(t.Labels)
		c.targets[i] = t
		keep[t.Name] = true
		if c.hosts[t.Name] == nil {
			c.hosts[t.Name] = &hostState{}
		}
	}
	for name := range c.hosts {
		if !keep[name] {
			delete(c.hosts, name)
			c.metrics.forget(name)
		}
	}
}

// Latest returns the last snapshot, or nil before the first round.
func (c *Collector) Latest() *Snapshot { return c.latest.Load() }

// Run polls at once and then every interval until ctx is done, passing each
// snapshot to out (when not nil). A failing host never stops it; it returns
// nil when ctx is done.
func (c *Collector) Run(ctx context.Context, every time.Duration, out func(*Snapshot)) error {
	if every <= 0 {
		return fmt.Errorf("run collector: interval %v is not positive: %w", every, ErrInvalidConfig)
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		s, err := c.Poll(ctx)
		if err != nil {
			return nil // only when ctx is done
		}
		if out != nil {
			out(s)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}
