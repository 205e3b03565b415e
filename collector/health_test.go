package collector_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/collector/collectortest"
	"github.com/hvbalancer/hvbalancer/hyperv"
)

func TestHealth(t *testing.T) {
	const id = "00000000-0000-4000-8000-000000000001"
	refused := errors.New("host unreachable: dial tcp 192.0.2.1:5986: connect: connection refused")
	type step struct {
		advance  time.Duration
		err      error // every call of HV01 fails with it; nil = it answers
		health   collector.Health
		reason   string
		lastSeen time.Duration // after t0
		samples  int
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"a failed poll keeps the last good data, marked unreachable", []step{
			{time.Minute, nil, collector.HealthOK, "", time.Minute, 1},
			{time.Minute, refused, collector.HealthUnreachable, refused.Error(), time.Minute, 1},
		}},
		{"stale once the last good sample is older than StaleAfter", []step{
			{time.Minute, nil, collector.HealthOK, "", time.Minute, 1},
			{time.Minute, refused, collector.HealthUnreachable, refused.Error(), time.Minute, 1},
			{time.Minute, refused, collector.HealthUnreachable, refused.Error(), time.Minute, 1}, // exactly 2m: not yet
			{time.Minute, refused, collector.HealthStale, "no good sample for 3m0s: " + refused.Error(), time.Minute, 1},
		}},
		{"recovers at the first good poll", []step{
			{time.Minute, nil, collector.HealthOK, "", time.Minute, 1},
			{time.Minute, refused, collector.HealthUnreachable, refused.Error(), time.Minute, 1},
			{5 * time.Minute, refused, collector.HealthStale, "no good sample for 6m0s: " + refused.Error(), time.Minute, 1},
			{time.Minute, nil, collector.HealthOK, "", 8 * time.Minute, 1}, // the old sample left the window
			{time.Minute, nil, collector.HealthOK, "", 9 * time.Minute, 2},
		}},
		{"a multi-line error becomes one line", []step{
			{time.Minute, errors.New("script get-vms exited with code 1:\n  Access is denied.\r\n"), collector.HealthUnreachable,
				"script get-vms exited with code 1: Access is denied.", 0, 0},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			flaky := collectortest.NewSource(hostInfo("HV01", 32, 256), running(id, "app", 2, 10))
			flaky.SetCounters(counters(40, 128, nil))
			f := newFixture(t, collector.Config{}, collector.Target{Name: "HV01", Source: flaky}, collector.Target{Name: "HV02"})
			for i, st := range tc.steps {
				flaky.Fail(st.err)
				s := f.poll(st.advance)
				h := host(t, s, "HV01")
				var lastSeen time.Time
				if st.samples > 0 {
					lastSeen = t0.Add(st.lastSeen)
				}
				type view struct {
					Health   collector.Health
					Reason   string
					LastSeen time.Time
					Samples  int
					CPU      collector.Stat
					VMs      map[string]string
				}
				want := view{st.health, st.reason, lastSeen, st.samples, collector.Stat{}, map[string]string{}}
				if st.samples > 0 {
					want.CPU = flat(40)
					want.VMs = map[string]string{id: "HV01"} // kept, so the planner sees them
				}
				got := view{h.Health, h.Reason, h.LastSeen, h.Samples, h.CPU, vmHosts(s)}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("step %d: HV01 (-want +got):\n%s", i, diff)
				}
				if h2 := host(t, s, "HV02"); h2.Health != collector.HealthOK {
					t.Errorf("step %d: HV02 is %s (%s): one host's failure spread", i, h2.Health, h2.Reason)
				}
			}
		})
	}
}

func TestNeverAnswered(t *testing.T) {
	src := collectortest.NewSource(hostInfo("HV01", 32, 256), running("00000000-0000-4000-8000-000000000001", "app", 2, 10))
	src.SetError(collectortest.CallVMs, fmt.Errorf("get vms on 192.0.2.1:5986: wsman: %w: http status 401", hyperv.ErrUnauthorized))
	f := newFixture(t, collector.Config{}, collector.Target{
		Name: "HV01", Cluster: "CL1", Group: "rack-a", Labels: map[string]string{"rack": "a"}, Maintenance: true, Source: src,
	})
	s := f.poll(time.Minute)
	// The facts were read, but a host counts as answering only when every
	// call succeeded: no capacity, no VMs.
	want := []collector.Host{{
		Name: "HV01", Cluster: "CL1", Group: "rack-a", Labels: map[string]string{"rack": "a"}, Maintenance: true,
		Health: collector.HealthUnreachable, Reason: "get vms on 192.0.2.1:5986: wsman: unauthorized: http status 401",
		Cause: collector.CauseUnauthorized,
	}}
	if diff := cmp.Diff(want, s.Hosts); diff != "" {
		t.Errorf("hosts (-want +got):\n%s", diff)
	}
	if len(s.VMs) != 0 {
		t.Errorf("snapshot has %d VMs of a host that never answered", len(s.VMs))
	}
}
