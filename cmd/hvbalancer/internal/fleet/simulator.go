package fleet

import (
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/config"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/logins"
	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/hyperv"
	"github.com/hvbalancer/hvbalancer/hyperv/sim"
)

// openSimulator starts the configured simulated fleet on 127.0.0.1 and
// connects to it over WinRM like to any other fleet: with the fleet file's
// credentials, unless the top-level winrm section names others.
func openSimulator(c *config.Config, log *slog.Logger, reg prometheus.Registerer) (*Fleet, error) {
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
	f := &Fleet{Now: fl.Clock().Now, speed: speed, Sim: srv}
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
			hc, err := ClientConfig(ep, password)
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
