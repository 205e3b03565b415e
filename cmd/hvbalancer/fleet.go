package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/config"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/logins"
	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/hyperv"
	"github.com/hvbalancer/hvbalancer/hyperv/sim"
)

// fleet is the set of hosts a command talks to: real hosts from the
// configuration, or a simulated fleet started in-process. Every call to a
// host goes through its login guard.
type fleet struct {
	// describe makes the hosts of a configuration: the collector's targets
	// (without sources), the login guard's hosts and their addresses.
	describe func(*config.Config) ([]collector.Target, []logins.Host, map[string]string)
	targets  []collector.Target
	guard    *logins.Guard
	addrs    map[string]string // host name → address:port, for messages
	now      func() time.Time  // the fleet's clock: the simulator's, or the wall clock
	speed    float64           // how much faster than real time the fleet's clock runs (1 for real hosts)
	sim      *sim.Server       // nil for real hosts
}

// Close closes the hosts' connections and stops an in-process simulator.
func (f *fleet) Close() {
	if f.guard != nil {
		f.guard.Close()
	}
	if f.sim != nil {
		f.sim.Close()
	}
}

// openFleet connects to the configured hosts, or starts the simulator. The
// login guard registers its metrics on reg (none when nil).
func openFleet(c *config.Config, log *slog.Logger, reg prometheus.Registerer) (*fleet, error) {
	if c.Simulator != nil {
		return openSimulator(c, log, reg)
	}
	f := &fleet{now: time.Now, speed: 1, describe: configuredHosts}
	if err := f.open(c, log, reg); err != nil {
		return nil, err
	}
	return f, nil
}

// configuredHosts describes the configuration's hosts.
func configuredHosts(c *config.Config) ([]collector.Target, []logins.Host, map[string]string) {
	var targets []collector.Target
	var hosts []logins.Host
	addrs := map[string]string{}
	eps := c.Endpoints() // in file order, as the loops below
	for _, cl := range c.Clusters {
		for _, h := range cl.Hosts {
			ep := eps[0]
			eps = eps[1:]
			hosts = append(hosts, guardHost(ep, func(password string) (*hyperv.Client, error) { return clientFor(ep, password) }))
			addrs[h.Name] = hostPort(ep)
			targets = append(targets, collector.Target{
				Name: h.Name, Cluster: cl.Name, Group: h.Group, Labels: h.Labels, Maintenance: h.Maintenance,
			})
		}
	}
	return targets, hosts, addrs
}

// open describes the fleet's hosts and puts the login guard in front of them.
func (f *fleet) open(c *config.Config, log *slog.Logger, reg prometheus.Registerer) error {
	targets, hosts, addrs := f.describe(c)
	g, err := logins.New(hosts, loginSettings(c, f), log, reg)
	if err != nil {
		return err
	}
	f.guard, f.addrs, f.targets = g, addrs, withSources(g, targets)
	return nil
}

// reload describes the hosts of a new configuration to the login guard
// and returns the collector's new targets; nothing changes on an error.
func (f *fleet) reload(c *config.Config) ([]collector.Target, error) {
	targets, hosts, _ := f.describe(c)
	if err := f.guard.Update(hosts); err != nil {
		return nil, err
	}
	return withSources(f.guard, targets), nil
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
func loginSettings(c *config.Config, f *fleet) logins.Settings {
	return logins.Settings{
		Threshold:   c.Collector.StopAfterFailedLogins,
		BackoffBase: f.fleetTime(logins.DefaultBackoffBase),
		BackoffMax:  f.fleetTime(c.Collector.LoginBackoffMax),
		Now:         f.now,
	}
}

// guardHost describes one host to the login guard: the credential its
// endpoint logs in with, and how to make its client.
func guardHost(ep config.Endpoint, dial func(password string) (*hyperv.Client, error)) logins.Host {
	cred := logins.Credential{Username: ep.Username, PasswordFile: ep.PasswordFile, PasswordEnv: ep.PasswordEnv}
	if ep.Auth == "kerberos" {
		cred.Realm, cred.Keytab = ep.Kerberos.Realm, ep.Kerberos.Keytab
		if ep.Kerberos.CCache != "" { // the cache, not a username and secret
			cred = logins.Credential{Realm: ep.Kerberos.Realm, CCache: ep.Kerberos.CCache}
		}
	}
	return logins.Host{
		Name:       ep.Host,
		Credential: cred,
		Settings:   fmt.Sprintf("%+v", ep), // paths and names only: no secret
		Dial: func(password string) (logins.Client, error) {
			c, err := dial(password)
			if err != nil {
				return nil, err
			}
			return c, nil
		},
	}
}

// hyperConfig maps one configured host's settings, with its password, to
// the WinRM client's.
func hyperConfig(ep config.Endpoint, password string) (hyperv.Config, error) {
	auth, err := hyperv.ParseAuthMethod(ep.Auth)
	if err != nil {
		return hyperv.Config{}, fmt.Errorf("host %s: %w", ep.Host, err)
	}
	enc, err := hyperv.ParseEncryption(ep.Encryption)
	if err != nil {
		return hyperv.Config{}, fmt.Errorf("host %s: %w", ep.Host, err)
	}
	hc := hyperv.Config{
		Host:               ep.Address,
		Port:               ep.Port,
		HTTPS:              ep.HTTPS,
		InsecureSkipVerify: ep.InsecureSkipVerify,
		TLSServerName:      ep.TLSServerName,
		Auth:               auth,
		Encryption:         enc,
		Username:           ep.Username,
		Password:           password,
		Kerberos: hyperv.KerberosConfig{
			Realm: ep.Kerberos.Realm, ConfigFile: ep.Kerberos.ConfigFile, SPN: ep.Kerberos.SPN,
			CCache: ep.Kerberos.CCache, Keytab: ep.Kerberos.Keytab,
		},
		CallTimeout:      ep.CallTimeout,
		MoveTimeout:      ep.MoveTimeout,
		OperationTimeout: ep.OperationTimeout,
	}
	if ep.CAFile != "" {
		if hc.CACert, err = os.ReadFile(ep.CAFile); err != nil {
			return hyperv.Config{}, fmt.Errorf("host %s: read CA file: %w", ep.Host, err)
		}
	}
	return hc, nil
}

// clientFor builds the WinRM client of one configured host.
func clientFor(ep config.Endpoint, password string) (*hyperv.Client, error) {
	hc, err := hyperConfig(ep, password)
	if err != nil {
		return nil, err
	}
	client, err := hyperv.New(hc)
	if err != nil {
		return nil, fmt.Errorf("host %s: %w", ep.Host, err)
	}
	return client, nil
}

// hostPort is an endpoint's address and port.
func hostPort(ep config.Endpoint) string { return fmt.Sprintf("%s:%d", ep.Address, ep.Port) }

// openSimulator starts the configured simulated fleet on 127.0.0.1 and
// connects to it over WinRM like to any other fleet: with the fleet file's
// credentials, unless the top-level winrm section names others.
func openSimulator(c *config.Config, log *slog.Logger, reg prometheus.Registerer) (*fleet, error) {
	spec, err := sim.LoadFleet(c.Simulator.Fleet)
	if err != nil {
		return nil, err
	}
	speed := c.Simulator.Speed
	if speed == 0 {
		speed = spec.Speed
	}
	if speed <= 0 {
		speed = 1
	}
	fl, err := sim.NewFleet(spec, sim.NewScaledClock(spec.Start, speed))
	if err != nil {
		return nil, err
	}
	srv, err := sim.Serve(fl, sim.Options{HTTPS: c.Simulator.HTTPS, Logger: log})
	if err != nil {
		return nil, err
	}
	f := &fleet{now: fl.Clock().Now, speed: speed, sim: srv}
	f.describe = func(c *config.Config) ([]collector.Target, []logins.Host, map[string]string) {
		return simulatedHosts(c, spec, fl, srv)
	}
	if err := f.open(c, log, reg); err != nil {
		srv.Close()
		return nil, err
	}
	return f, nil
}

// simulatedHosts describes the simulator's hosts: its addresses, with the
// top-level winrm settings and the fleet file's account unless they name
// another.
func simulatedHosts(c *config.Config, spec *sim.FleetSpec, fl *sim.Fleet, srv *sim.Server) ([]collector.Target, []logins.Host, map[string]string) {
	var targets []collector.Target
	var hosts []logins.Host
	addrs := map[string]string{}
	for _, sep := range srv.Endpoints() {
		// By default, log in as the host asks first (NTLM on a host as
		// Windows ships it); Basic over HTTP only on a host that allows
		// unencrypted messages, so unsealed.
		ep := c.SimulatorEndpoint(sep.Host, sep.IP, sep.Port, sep.HTTPS, sep.Auth)
		if c.WinRM.Encryption == nil && ep.Auth == "basic" && !ep.HTTPS {
			ep.Encryption = "never"
		}
		if ep.OperationTimeout == 0 {
			ep.OperationTimeout = time.Second
		}
		fromFleet := ep.Username == ""
		if fromFleet {
			ep.Username = spec.Credentials.Username
		}
		h := guardHost(ep, func(password string) (*hyperv.Client, error) {
			hc, err := hyperConfig(ep, password)
			if err != nil {
				return nil, err
			}
			hc.CACert = srv.CACertPEM()
			return hyperv.New(hc)
		})
		if fromFleet {
			h.Credential = logins.Credential{Username: spec.Credentials.Username, Password: spec.Credentials.Password,
				Origin: "the simulator's fleet file " + c.Simulator.Fleet}
		}
		hosts = append(hosts, h)
		addrs[sep.Host] = hostPort(ep)
		sh, _ := fl.Host(sep.Host)
		targets = append(targets, collector.Target{Name: sep.Host, Cluster: sh.Cluster, Group: sh.Group, Labels: sh.Labels})
	}
	return targets, hosts, addrs
}

// collect polls the fleet samples times, every apart, and returns the last
// snapshot: enough samples for the smoothed loads to mean something.
func collect(ctx context.Context, c *config.Config, f *fleet, samples int, every time.Duration, log *slog.Logger) (*collector.Snapshot, error) {
	col, err := collector.New(f.targets, collectorConfig(c, f), log, prometheus.NewRegistry())
	if err != nil {
		return nil, err
	}
	var snap *collector.Snapshot
	for i := 0; i < samples; i++ {
		if i > 0 {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(every):
			}
		}
		if snap, err = col.Poll(ctx); err != nil {
			return nil, err
		}
		log.Info("sampled the fleet", "sample", i+1, "of", samples, "hosts", len(snap.Hosts), "vms", len(snap.VMs))
	}
	return snap, nil
}

// fleetTime turns a wall-clock duration into the fleet clock's: the
// collector polls on the wall clock but stamps samples with the fleet's.
func (f *fleet) fleetTime(d time.Duration) time.Duration {
	if f.speed <= 1 {
		return d
	}
	return time.Duration(float64(d) * f.speed)
}
