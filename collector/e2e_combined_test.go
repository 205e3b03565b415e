package collector_test

import (
	"context"
	"strings"
	"testing"

	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/hyperv/sim"
)

// TestE2ECombinedReadPartFails polls the demo fleet through the real
// client, which reads each host in one command (collector.Poller), with
// one host's performance counter classes gone: that host is failed with
// the counters' own error while its facts and VMs answered, and every
// other host is ok with a fresh sample. When the counters come back, the
// host answers again.
func TestE2ECombinedReadPartFails(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	fleet, _, _, col := servedFleet(t, "../examples/fleets/demo.yaml")
	broken := fleet.HostNames()[0]
	if err := fleet.SetFaults(broken, sim.Faults{PerfCountersMissing: true}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s, err := col.Poll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range s.Hosts {
		switch {
		case h.Name == broken:
			if h.Health == collector.HealthOK || h.Cause != collector.CauseError ||
				!strings.HasPrefix(h.Reason, "get counters on ") || !strings.Contains(h.Reason, "Invalid class") {
				t.Errorf("%s: health %s, cause %q, reason %q; want failed with the counters' error", h.Name, h.Health, h.Cause, h.Reason)
			}
		case h.Health != collector.HealthOK || h.Samples != 1:
			t.Errorf("%s: health %s (%s), %d samples; want ok with one", h.Name, h.Health, h.Reason, h.Samples)
		}
	}
	if err := fleet.SetFaults(broken, sim.Faults{}); err != nil {
		t.Fatal(err)
	}
	if s, err = col.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	for _, h := range s.Hosts {
		if h.Health != collector.HealthOK {
			t.Errorf("%s: %s (%s) after the counters came back", h.Name, h.Health, h.Reason)
		}
	}
}
