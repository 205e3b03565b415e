package collector_test

import (
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/hyperv"
	"github.com/hvbalancer/hvbalancer/hyperv/sim"
)

// servedFleet serves the fleet file on loopback (its clock 600 times
// faster) and returns it, its server, its file and a collector over one
// real WinRM client per host, each target with the file's group and labels.
func servedFleet(t *testing.T, file string) (*sim.Fleet, *sim.Server, *sim.FleetSpec, *collector.Collector) {
	t.Helper()
	return servedFleetWith(t, file, nil)
}

// servedFleetWith is servedFleet with the targets passed through edit
// first (nil: as they are), to point a name at another host's address.
func servedFleetWith(t *testing.T, file string, edit func([]collector.Target) []collector.Target) (*sim.Fleet, *sim.Server, *sim.FleetSpec, *collector.Collector) {
	t.Helper()
	spec, err := sim.LoadFleet(file)
	if err != nil {
		t.Fatal(err)
	}
	fleet, srv, targets := serveSpec(t, spec, 600, 20*time.Second)
	if edit != nil {
		targets = edit(targets)
	}
	col, err := collector.New(targets, collector.Config{}, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	return fleet, srv, spec, col
}

// serveSpec serves spec on loopback with its clock speed times faster and
// returns the fleet, its server and one target per host over a real WinRM
// client (NTLM, each call under callTimeout), with the host's group and
// labels. The server and the clients close when tb ends.
func serveSpec(tb testing.TB, spec *sim.FleetSpec, speed float64, callTimeout time.Duration) (*sim.Fleet, *sim.Server, []collector.Target) {
	tb.Helper()
	fleet, err := sim.NewFleet(spec, sim.NewScaledClock(spec.Start, speed))
	if err != nil {
		tb.Fatal(err)
	}
	srv, err := sim.Serve(fleet, sim.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { srv.Close() })
	creds := fleet.Spec().Credentials
	var targets []collector.Target
	for _, hs := range fleet.Spec().Hosts {
		ep, ok := srv.Endpoint(hs.Name)
		if !ok {
			tb.Fatalf("no endpoint for %s", hs.Name)
		}
		targets = append(targets, winrmTarget(tb, hs, ep.IP, ep.Port, ep.HTTPS, creds, callTimeout))
	}
	return fleet, srv, targets
}

// winrmTarget is a target for host hs over a real WinRM client (NTLM,
// each call under callTimeout) to ip:port, with the host's group and
// labels; the client closes when tb ends.
func winrmTarget(tb testing.TB, hs sim.HostSpec, ip string, port int, https bool, creds sim.Credentials, callTimeout time.Duration) collector.Target {
	tb.Helper()
	c, err := hyperv.New(hyperv.Config{
		Host: ip, Port: port, HTTPS: https,
		Auth: hyperv.AuthNTLM, Username: creds.Username, Password: creds.Password,
		CallTimeout: callTimeout, OperationTimeout: time.Second,
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return collector.Target{Name: hs.Name, Group: hs.Group, Labels: hs.Labels, Source: c}
}
