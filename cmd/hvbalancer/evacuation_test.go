package main

import (
	"flag"
	"net/http"
	"testing"
	"time"
)

// The issue's evacuation: 16 VMs, 232 GiB, off a host with 2 migration
// slots, over a link of 19.2 Gbit/s (no compression): the physical limit,
// bytes ÷ (bandwidth × slots), is 51.9 s. Four destinations with 2 slots
// each, so the draining host's slots bind. The VMs dirty 50 MiB/s while
// they migrate, as the simulator's VMs do by default.
var issueEvacuation = evacFleet{
	gbps: 19.2, dirty: 50,
	sizes: []int{24, 24, 20, 20, 16, 16, 16, 12, 12, 12, 12, 12, 12, 8, 8, 8},
	dests: 4, srcMax: 2, destMax: 2,
}

// evacuationFigures is what one measured evacuation took, on the
// simulated fleet's clock.
type evacuationFigures struct {
	physical  time.Duration // total bytes ÷ (bandwidth × slots)
	took      time.Duration // from the request to the end of the last move
	firstMove time.Duration // from the request to the start of the first
	left      int           // running VMs left on the host
	moves     int
}

func (f evacuationFigures) ratio() float64 { return f.took.Seconds() / f.physical.Seconds() }

// measureEvacuation runs a daemon with the example config's executor
// limits (4 in flight, per_host_cap 2, 10 migrations a minute, burst 2)
// against fleet f served at speed, puts HV01 in maintenance through the
// API and waits until it has no running VM and nothing is in flight.
func measureEvacuation(t *testing.T, f evacFleet, speed float64) evacuationFigures {
	t.Helper()
	f.speed = speed
	srv, spec := f.serve(t)
	cfgPath := maintenanceConfig(t, srv, spec, "max_concurrent: 4, per_host_cap: 2, migrations_per_minute: 10, burst: 2")
	d, _ := startWatchedDaemon(t, cfgPath)
	st := awaitRound(t, d, "a first round")
	asked := simNow(t, srv.AdminURL())
	if code, body := maintenanceCall(t, d, http.MethodPost, "HV01", `{"reason": "evacuation benchmark"}`); code != http.StatusOK {
		t.Fatalf("enter: %d %s", code, body)
	}
	eventually(t, "HV01 drained", func() bool {
		getJSON(t, d.url+"/api/v1/status", &st)
		return runningOn(srv, "HV01") == 0 && len(st.InFlight) == 0
	})
	var out evacuationFigures
	var total int64
	for _, gib := range f.sizes {
		total += int64(gib) << 30
	}
	bw := f.gbps * 1e9 / 8
	out.physical = time.Duration(float64(total) / (bw * float64(f.srcMax)) * float64(time.Second))
	var first, last time.Time
	for _, e := range fleetLedger(t, srv).Entries {
		if e.Source != "HV01" {
			continue
		}
		out.moves++
		if first.IsZero() || e.Start.Before(first) {
			first = e.Start
		}
		if e.End.After(last) {
			last = e.End
		}
	}
	out.took, out.firstMove = last.Sub(asked), first.Sub(asked)
	out.left = runningOn(srv, "HV01")
	return out
}

// evacuationSpeed is the simulated clock's speed for
// TestEvacuationNearThePhysicalLimit; 1 measures in real time (about a
// minute): go test ./cmd/hvbalancer/ -run EvacuationNear -evacuation-speed 1 -v
var evacuationSpeed = flag.Float64("evacuation-speed", 5, "simulated seconds per real second for the evacuation measurement")

// TestEvacuationNearThePhysicalLimit measures the issue's evacuation end
// to end, with the example config's executor limits, and reports how far
// it is from the physical limit and when its first move started. At the
// default 5× it takes about 11 s of real time; the daemon's own work (the
// round, each move's re-check, Compare-VM and verification over WinRM)
// runs in real time, so it weighs 5 times as much on the simulated clock
// as it would on real hosts: -evacuation-speed 1 measures without that.
// The figures are reported, not asserted (a loaded machine makes them
// worse); what is asserted is that every VM left, each once.
func TestEvacuationNearThePhysicalLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a daemon for about 15 s")
	}
	r := measureEvacuation(t, issueEvacuation, *evacuationSpeed)
	if r.left != 0 || r.moves != len(issueEvacuation.sizes) {
		t.Errorf("%d VMs left on HV01 after %d moves, want 0 after %d", r.left, r.moves, len(issueEvacuation.sizes))
	}
	t.Logf("evacuation of %d VMs (232 GiB, 2 slots) at %g×: %.1f s, physical limit %.1f s, ratio %.3f; first move %.2f s after the request",
		r.moves, *evacuationSpeed, r.took.Seconds(), r.physical.Seconds(), r.ratio(), r.firstMove.Seconds())
}
