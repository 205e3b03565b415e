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
	fleet, err := sim.NewFleet(spec, sim.NewScaledClock(spec.Start, 600))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sim.Serve(fleet, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	creds := fleet.Spec().Credentials
	var targets []collector.Target
	for _, hs := range fleet.Spec().Hosts {
		ep, ok := srv.Endpoint(hs.Name)
		if !ok {
			t.Fatalf("no endpoint for %s", hs.Name)
		}
		c, err := hyperv.New(hyperv.Config{
			Host: ep.IP, Port: ep.Port, HTTPS: ep.HTTPS,
			Auth: hyperv.AuthNTLM, Username: creds.Username, Password: creds.Password,
			CallTimeout: 20 * time.Second, OperationTimeout: time.Second,
		})
		if err != nil {
			t.Fatal(err)
		}
		targets = append(targets, collector.Target{Name: hs.Name, Group: hs.Group, Labels: hs.Labels, Source: c})
	}
	if edit != nil {
		targets = edit(targets)
	}
	col, err := collector.New(targets, collector.Config{}, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	return fleet, srv, spec, col
}
