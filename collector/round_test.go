package collector_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/collector/collectortest"
)

// TestRoundStartsNoPollAfterItEnds: with one poll at a time and the
// first host hung, the round ends without polling the others, and does
// not poll them once it has ended either (their poll would answer in no
// round of its own). The next round starts with the hosts whose answer
// is oldest, those never polled, rather than in name order; a host the
// round had no time for is stale in it, with the cause timeout.
func TestRoundStartsNoPollAfterItEnds(t *testing.T) {
	cfg := collector.Config{Concurrency: 1, CallTimeout: time.Hour, RoundTimeout: 50 * time.Millisecond}
	f := newFixture(t, cfg, collector.Target{Name: "HV01"}, collector.Target{Name: "HV02"}, collector.Target{Name: "HV03"})
	f.srcs["HV01"].Block()
	t.Cleanup(f.srcs["HV01"].Unblock)
	s := f.poll(time.Minute)
	for _, name := range []string{"HV02", "HV03"} {
		if h := host(t, s, name); h.Health != collector.HealthUnreachable || h.Reason != "not polled yet" {
			t.Errorf("round 1: %s is %s: %q, want unreachable: not polled yet", name, h.Health, h.Reason)
		}
	}
	f.srcs["HV01"].Unblock()
	waitNoPoll(t, f, cfg) // HV01's late answer is in; the slot it held is free
	for _, name := range []string{"HV02", "HV03"} {
		if n := f.srcs[name].Calls(collectortest.CallVMs); n != 0 {
			t.Errorf("%s was asked %d times after its round ended, want never", name, n)
		}
	}

	// Round 2: HV02 and HV03 have never answered, HV01 has: HV02 goes
	// first and hangs, and neither HV03 nor HV01 gets its turn.
	f.srcs["HV02"].Block()
	t.Cleanup(f.srcs["HV02"].Unblock)
	before := f.srcs["HV01"].Calls(collectortest.CallVMs)
	s = f.poll(time.Minute)
	if n := f.srcs["HV01"].Calls(collectortest.CallVMs); n != before {
		t.Errorf("HV01, which answered last round, was polled before the hosts that never had (%d calls, want %d)", n, before)
	}
	if h := host(t, s, "HV01"); h.Health != collector.HealthStale || h.Cause != collector.CauseTimeout || !strings.HasPrefix(h.Reason, "not polled in this round") {
		t.Errorf("round 2: HV01 is %s (%s): %q, want stale (timeout): not polled in this round", h.Health, h.Cause, h.Reason)
	}
	if h := host(t, s, "HV03"); h.Health != collector.HealthUnreachable || h.Reason != "not polled yet" {
		t.Errorf("round 2: HV03 is %s: %q, want unreachable: not polled yet", h.Health, h.Reason)
	}
	if h := host(t, s, "HV02"); h.Health != collector.HealthUnreachable || !strings.HasPrefix(h.Reason, "no answer yet") {
		t.Errorf("round 2: HV02 is %s: %q, want unreachable: no answer yet", h.Health, h.Reason)
	}

	// Once HV02 answers, every host is polled in the next round and ok.
	f.srcs["HV02"].Unblock()
	waitNoPoll(t, f, cfg)
	s = f.poll(time.Minute)
	for _, name := range []string{"HV01", "HV02", "HV03"} {
		if h := host(t, s, name); h.Health != collector.HealthOK {
			t.Errorf("round 3: %s is %s: %q, want ok", name, h.Health, h.Reason)
		}
	}
}

// waitNoPoll waits until no host's poll is under way: Reconfigure with the
// same settings succeeds only then.
func waitNoPoll(t *testing.T, f *fixture, cfg collector.Config) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := f.c.Reconfigure(ctx, cfg); err != nil {
		t.Fatal(err)
	}
}
