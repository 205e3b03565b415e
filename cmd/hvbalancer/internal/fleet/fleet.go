package fleet

import (
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/config"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/logins"
	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/hyperv/sim"
)

// Fleet is the set of hosts a command talks to: real hosts from the
// configuration, or a simulated fleet started in-process. Every call to a
// host goes through its login guard.
type Fleet struct {
	// Targets are the collector's hosts, each with its Source through the
	// guard.
	Targets []collector.Target
	// Guard stands in front of every host: it logs in, backs off and stops
	// a credential after failed logins.
	Guard *logins.Guard
	// Addrs maps a host's name to its address:port, for messages.
	Addrs map[string]string
	// Now is the fleet's clock: the simulator's, or the wall clock.
	Now func() time.Time
	// Sim is the in-process simulator; nil for real hosts.
	Sim *sim.Server

	// describe makes the hosts of a configuration: the collector's targets
	// (without sources), the login guard's hosts and their addresses.
	describe func(*config.Config) ([]collector.Target, []logins.Host, map[string]string)
	speed    float64 // how much faster than real time the fleet's clock runs (1 for real hosts)
}

// Close closes the hosts' connections and stops an in-process simulator.
func (f *Fleet) Close() {
	if f.Guard != nil {
		f.Guard.Close()
	}
	if f.Sim != nil {
		f.Sim.Close()
	}
}

// open describes the fleet's hosts and puts the login guard in front of them.
func (f *Fleet) open(c *config.Config, log *slog.Logger, reg prometheus.Registerer) error {
	targets, hosts, addrs := f.describe(c)
	g, err := logins.New(hosts, loginSettings(c, f), log, reg)
	if err != nil {
		return err
	}
	f.Guard, f.Addrs, f.Targets = g, addrs, withSources(g, targets)
	return nil
}

// Reload describes the hosts of a new configuration to the login guard
// and returns the collector's new targets; nothing changes on an error.
func (f *Fleet) Reload(c *config.Config) ([]collector.Target, error) {
	targets, hosts, _ := f.describe(c)
	if err := f.Guard.Update(hosts); err != nil {
		return nil, err
	}
	return withSources(f.Guard, targets), nil
}

// withSources gives every target its Source through the guard.
func withSources(g *logins.Guard, targets []collector.Target) []collector.Target {
	for i := range targets {
		targets[i].Source = g.Source(targets[i].Name)
	}
	return targets
}

// loginSettings turns the file's login limits into the guard's. Like the
// collector's, its waits are wall-clock settings, scaled to a faster
// simulated clock.
func loginSettings(c *config.Config, f *Fleet) logins.Settings {
	return logins.Settings{
		Threshold:   c.Collector.StopAfterFailedLogins,
		BackoffBase: f.Scale(logins.DefaultBackoffBase),
		BackoffMax:  f.Scale(c.Collector.LoginBackoffMax),
		Now:         f.Now,
	}
}

// Scale turns a wall-clock duration into the fleet clock's: the collector
// polls on the wall clock but stamps samples with the fleet's.
func (f *Fleet) Scale(d time.Duration) time.Duration {
	if f.speed <= 1 {
		return d
	}
	return time.Duration(float64(d) * f.speed)
}
