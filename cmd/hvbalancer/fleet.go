package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/config"
	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/hyperv"
	"github.com/hvbalancer/hvbalancer/hyperv/sim"
)

// fleet is the set of hosts a command talks to: real hosts from the
// configuration, or a simulated fleet started in-process.
type fleet struct {
	targets []collector.Target
	clients map[string]*hyperv.Client // by host name
	now     func() time.Time          // the fleet's clock: the simulator's, or the wall clock
	speed   float64                   // how much faster than real time the fleet's clock runs (1 for real hosts)
	sim     *sim.Server               // nil for real hosts
}

// Close stops an in-process simulator.
func (f *fleet) Close() {
	if f.sim != nil {
		f.sim.Close()
	}
}

// openFleet connects to the configured hosts, or starts the simulator.
func openFleet(c *config.Config, log *slog.Logger) (*fleet, error) {
	if c.Simulator != nil {
		return openSimulator(c, log)
	}
	f := &fleet{clients: map[string]*hyperv.Client{}, now: time.Now, speed: 1}
	eps := c.Endpoints() // in file order, as the loops below
	for _, cl := range c.Clusters {
		for _, h := range cl.Hosts {
			ep := eps[0]
			eps = eps[1:]
			hc, err := clientFor(ep)
			if err != nil {
				return nil, err
			}
			f.clients[h.Name] = hc
			f.targets = append(f.targets, collector.Target{
				Name: h.Name, Cluster: cl.Name, Group: h.Group, Labels: h.Labels, Maintenance: h.Maintenance, Source: hc,
			})
		}
	}
	return f, nil
}

// clientFor builds the WinRM client of one configured host.
func clientFor(ep config.Endpoint) (*hyperv.Client, error) {
	auth, err := hyperv.ParseAuthMethod(ep.Auth)
	if err != nil {
		return nil, fmt.Errorf("host %s: %w", ep.Host, err)
	}
	hc := hyperv.Config{
		Host:               ep.Address,
		Port:               ep.Port,
		HTTPS:              ep.HTTPS,
		InsecureSkipVerify: ep.InsecureSkipVerify,
		TLSServerName:      ep.TLSServerName,
		Auth:               auth,
		Username:           ep.Username,
		Kerberos: hyperv.KerberosConfig{
			Realm: ep.Kerberos.Realm, ConfigFile: ep.Kerberos.ConfigFile, SPN: ep.Kerberos.SPN, CCache: ep.Kerberos.CCache,
		},
		CallTimeout:      ep.CallTimeout,
		MoveTimeout:      ep.MoveTimeout,
		OperationTimeout: ep.OperationTimeout,
	}
	if ep.CAFile != "" {
		if hc.CACert, err = os.ReadFile(ep.CAFile); err != nil {
			return nil, fmt.Errorf("host %s: read CA file: %w", ep.Host, err)
		}
	}
	if ep.Kerberos.CCache == "" {
		if hc.Password, err = ep.Password(); err != nil {
			return nil, err
		}
	}
	client, err := hyperv.New(hc)
	if err != nil {
		return nil, fmt.Errorf("host %s: %w", ep.Host, err)
	}
	return client, nil
}

// openSimulator starts the configured simulated fleet on 127.0.0.1 and
// connects to it over WinRM like to any other fleet.
func openSimulator(c *config.Config, log *slog.Logger) (*fleet, error) {
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
	f := &fleet{clients: map[string]*hyperv.Client{}, now: fl.Clock().Now, speed: speed, sim: srv}
	for _, ep := range srv.Endpoints() {
		hc, err := hyperv.New(hyperv.Config{
			Host: ep.IP, Port: ep.Port, HTTPS: ep.HTTPS, CACert: srv.CACertPEM(),
			Username: spec.Credentials.Username, Password: spec.Credentials.Password,
			OperationTimeout: time.Second,
		})
		if err != nil {
			srv.Close()
			return nil, fmt.Errorf("host %s: %w", ep.Host, err)
		}
		h, _ := fl.Host(ep.Host)
		f.clients[ep.Host] = hc
		f.targets = append(f.targets, collector.Target{
			Name: ep.Host, Cluster: h.Cluster, Group: h.Group, Labels: h.Labels, Source: hc,
		})
	}
	return f, nil
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
