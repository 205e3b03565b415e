package collector_test

import (
	"context"
	"strings"
	"testing"

	"github.com/hvbalancer/hvbalancer/collector"
)

// TestE2EAddressOfAnotherHost: over real WinRM, a configuration that gives
// HV01 and HV02 each other's addresses reads two hosts that say they are
// someone else: both fail with the wrong-host cause, and none of their
// VMs is put on the wrong host in the snapshot.
func TestE2EAddressOfAnotherHost(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	_, _, _, col := servedFleetWith(t, "../examples/fleets/demo.yaml", func(ts []collector.Target) []collector.Target {
		var a, b int
		for i := range ts {
			switch ts[i].Name {
			case "HV01":
				a = i
			case "HV02":
				b = i
			}
		}
		ts[a].Source, ts[b].Source = ts[b].Source, ts[a].Source
		return ts
	})
	var s *collector.Snapshot
	for range 2 {
		var err error
		if s, err = col.Poll(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	for name, says := range map[string]string{"HV01": "HV02", "HV02": "HV01"} {
		h, _ := s.Host(name)
		if h.Health == collector.HealthOK || h.Cause != collector.CauseWrongHost || !strings.Contains(h.Reason, "it says it is "+says) {
			t.Errorf("%s: health %s, cause %q, reason %q; want the wrong-host cause naming %s", name, h.Health, h.Cause, h.Reason, says)
		}
		for _, v := range s.VMs {
			if v.Host == name {
				t.Errorf("VM %s (%s) is placed on %s, whose answers are another host's", v.Name, v.ID, name)
			}
		}
	}
	if ok, total := s.Answering(); ok != total-2 {
		t.Errorf("%d of %d hosts ok, want all but the two swapped", ok, total)
	}
}
