package collector_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/collector/collectortest"
	"github.com/hvbalancer/hvbalancer/hyperv"
)

// gate holds the hosts' first calls until limit of them wait together (or
// every host has started), so a test can see the most hosts the collector
// runs at once without sleeping.
type gate struct {
	mu               sync.Mutex
	limit, total     int
	started, waiting int
	release          chan struct{}
}

func newGate(limit, total int) *gate {
	return &gate{limit: limit, total: total, release: make(chan struct{})}
}

func (g *gate) hook(ctx context.Context, call collectortest.Call) error {
	if call != collectortest.CallHost {
		return nil
	}
	g.mu.Lock()
	g.started++
	g.waiting++
	ch := g.release
	if g.waiting == g.limit || g.started == g.total {
		close(g.release)
		g.release, g.waiting = make(chan struct{}), 0
	}
	g.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// hostMeter counts the hosts with a call in flight and the most at once:
// a host's counters are sampled while its other calls run, so its calls
// are not its hosts.
type hostMeter struct {
	mu            sync.Mutex
	calls         map[string]int // calls in flight by host
	inFlight, max int
}

// enter counts a call of host in flight until the returned func is called.
func (m *hostMeter) enter(host string) func() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.calls[host]++; m.calls[host] == 1 {
		m.inFlight++
		m.max = max(m.max, m.inFlight)
	}
	return func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.calls[host]--; m.calls[host] == 0 {
			m.inFlight--
		}
	}
}

// InFlight returns how many hosts have a call in flight now.
func (m *hostMeter) InFlight() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.inFlight
}

// Max returns the most hosts that had a call in flight at once.
func (m *hostMeter) Max() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.max
}

// meteredSource counts its host's calls on a hostMeter.
type meteredSource struct {
	*collectortest.Source
	name  string
	meter *hostMeter
}

func (s meteredSource) Host(ctx context.Context) (hyperv.HostInfo, error) {
	defer s.meter.enter(s.name)()
	return s.Source.Host(ctx)
}

func (s meteredSource) VMs(ctx context.Context) ([]hyperv.VM, error) {
	defer s.meter.enter(s.name)()
	return s.Source.VMs(ctx)
}

func (s meteredSource) Counters(ctx context.Context, every time.Duration) (hyperv.Counters, error) {
	defer s.meter.enter(s.name)()
	return s.Source.Counters(ctx, every)
}

func TestConcurrencyBound(t *testing.T) {
	tests := []struct {
		hosts, concurrency, want int
	}{
		{hosts: 12, concurrency: 4, want: 4},
		{hosts: 11, concurrency: 5, want: 5},
		{hosts: 3, concurrency: 1, want: 1},
		{hosts: 3, concurrency: 16, want: 3},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%d hosts, %d at once", tc.hosts, tc.concurrency), func(t *testing.T) {
			meter := &hostMeter{calls: make(map[string]int)}
			g := newGate(tc.want, tc.hosts)
			var targets []collector.Target
			for i := range tc.hosts {
				name := fmt.Sprintf("HV%02d", i+1)
				src := collectortest.NewSource(hostInfo(name, 16, 64))
				src.SetHook(g.hook)
				targets = append(targets, collector.Target{Name: name, Source: meteredSource{src, name, meter}})
			}
			// The deadline only ends a broken run; nothing is timed.
			f := newFixture(t, collector.Config{Concurrency: tc.concurrency, CallTimeout: time.Minute}, targets...)
			s := f.poll(time.Minute)
			for _, h := range s.Hosts {
				if h.Health != collector.HealthOK {
					t.Errorf("host %s is %s: %s", h.Name, h.Health, h.Reason)
				}
			}
			if got := meter.Max(); got != tc.want {
				t.Errorf("at most %d hosts in flight, want exactly %d", got, tc.want)
			}
			if got := meter.InFlight(); got != 0 {
				t.Errorf("%d hosts still in flight after Poll returned", got)
			}
		})
	}
}

func TestPerHostDeadline(t *testing.T) {
	hung := collectortest.NewSource(hostInfo("HV02", 32, 256))
	hung.Block()
	t.Cleanup(hung.Unblock)
	f := newFixture(t, collector.Config{CallTimeout: 50 * time.Millisecond},
		collector.Target{Name: "HV01"}, collector.Target{Name: "HV02", Source: hung}, collector.Target{Name: "HV03"})
	s := f.poll(time.Minute)
	want := map[string]string{"HV01": "ok", "HV02": "unreachable: get host: no answer within 50ms: context deadline exceeded", "HV03": "ok"}
	for _, h := range s.Hosts {
		got := string(h.Health)
		if h.Reason != "" {
			got += ": " + h.Reason
		}
		if got != want[h.Name] {
			t.Errorf("host %s: %s, want %s", h.Name, got, want[h.Name])
		}
	}
}

func TestPollCancelled(t *testing.T) {
	f := newFixture(t, collector.Config{}, collector.Target{Name: "HV01"})
	first := f.poll(time.Minute)

	// Cancelled before it starts.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if s, err := f.c.Poll(ctx); !errors.Is(err, context.Canceled) || s != nil {
		t.Errorf("Poll(cancelled) = %v, %v; want nil, context.Canceled", s, err)
	}

	// Cancelled while a host is blocked: no snapshot, and the host is not
	// blamed for the caller giving up.
	blocked := f.srcs["HV01"]
	ctx, cancel = context.WithCancel(context.Background())
	blocked.SetHook(func(ctx context.Context, _ collectortest.Call) error {
		cancel()
		<-ctx.Done()
		return ctx.Err()
	})
	if s, err := f.c.Poll(ctx); !errors.Is(err, context.Canceled) || s != nil {
		t.Errorf("Poll cancelled midway = %v, %v; want nil, context.Canceled", s, err)
	}
	if f.c.Latest() != first {
		t.Error("a cancelled round replaced the latest snapshot")
	}
	blocked.SetHook(nil)
	if h := host(t, f.poll(time.Minute), "HV01"); h.Health != collector.HealthOK || h.Samples != 2 {
		t.Errorf("after the cancelled round: %s with %d samples, want ok with 2", h.Health, h.Samples)
	}
}

func TestRun(t *testing.T) {
	f := newFixture(t, collector.Config{}, collector.Target{Name: "HV01"})
	if err := f.c.Run(context.Background(), 0, nil); !errors.Is(err, collector.ErrInvalidConfig) {
		t.Errorf("Run with a zero interval: %v, want ErrInvalidConfig", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var got []*collector.Snapshot
	err := f.c.Run(ctx, time.Millisecond, func(s *collector.Snapshot) {
		got = append(got, s)
		f.clock.Advance(time.Second)
		if len(got) == 3 {
			cancel()
		}
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(got) != 3 {
		t.Fatalf("got %d snapshots, want 3", len(got))
	}
	if f.c.Latest() != got[2] {
		t.Error("Latest is not the last snapshot Run passed on")
	}
	if h := host(t, got[2], "HV01"); h.Samples != 3 {
		t.Errorf("host has %d samples after three rounds, want 3", h.Samples)
	}
}

// TestHungHostDelaysNoOne: a host that does not answer within the round's
// deadline does not hold the round up. The others are sampled every round
// and stay ok; the hung host is not polled again while its poll is under
// way, turns stale on its own, and its answer counts once it comes.
func TestHungHostDelaysNoOne(t *testing.T) {
	hung := collectortest.NewSource(hostInfo("HV02", 32, 256))
	hung.Block()
	t.Cleanup(hung.Unblock)
	f := newFixture(t, collector.Config{CallTimeout: time.Hour, RoundTimeout: 20 * time.Millisecond, StaleAfter: 2 * time.Minute},
		collector.Target{Name: "HV01"}, collector.Target{Name: "HV02", Source: hung}, collector.Target{Name: "HV03"})

	s := f.poll(time.Minute)
	if h := host(t, s, "HV02"); h.Health != collector.HealthUnreachable || !strings.HasPrefix(h.Reason, "no answer yet (its poll has waited") {
		t.Errorf("hung host after its first round: %s: %s", h.Health, h.Reason)
	}
	for round := 2; round <= 4; round++ {
		s = f.poll(time.Minute)
		for _, name := range []string{"HV01", "HV03"} {
			if h := host(t, s, name); h.Health != collector.HealthOK || h.Samples != round {
				t.Errorf("round %d: %s is %s with %d samples, want ok with %d", round, name, h.Health, h.Samples, round)
			}
		}
	}
	if n := hung.Calls(collectortest.CallHost); n != 1 {
		t.Errorf("the hung host was asked %d times while its first poll was under way, want once", n)
	}

	// Its answer comes: it counts, and the host is polled again.
	hung.Unblock()
	for hung.Calls(collectortest.CallCounters) == 0 || host(t, f.c.Latest(), "HV02").Health != collector.HealthOK {
		s = f.poll(time.Second)
	}
	if h := host(t, s, "HV02"); h.Samples == 0 || h.LastSeen.IsZero() {
		t.Errorf("after it answered: %+v", h)
	}
}

// TestHungHostTurnsStale: a host whose poll has not answered when its
// round ends is stale in that round's snapshot, with the cause timeout
// and how long its poll has waited, while its last data stays; past
// StaleAfter it says how long it has had no good sample.
func TestHungHostTurnsStale(t *testing.T) {
	f := newFixture(t, collector.Config{CallTimeout: time.Hour, RoundTimeout: 20 * time.Millisecond, StaleAfter: 2 * time.Minute},
		collector.Target{Name: "HV01"}, collector.Target{Name: "HV02"})
	f.poll(time.Minute)
	f.srcs["HV02"].Block()
	t.Cleanup(f.srcs["HV02"].Unblock)
	s := f.poll(time.Minute)
	if h := host(t, s, "HV02"); h.Health != collector.HealthStale || h.Cause != collector.CauseTimeout || h.Samples != 1 ||
		h.Reason != "no answer in this round; its last good sample is 1m0s old (its poll has waited 0s for an answer)" {
		t.Errorf("a minute after its last answer, its poll under way: %s (%s): %q with %d samples", h.Health, h.Cause, h.Reason, h.Samples)
	}
	s = f.poll(2 * time.Minute)
	h := host(t, s, "HV02")
	if h.Health != collector.HealthStale || h.Cause != collector.CauseTimeout || h.Reason != "no good sample for 3m0s (its poll has waited 2m0s for an answer)" || h.Samples != 1 {
		t.Errorf("hung past stale_after: %s: %q with %d samples", h.Health, h.Reason, h.Samples)
	}
	if h := host(t, s, "HV01"); h.Health != collector.HealthOK || h.Samples != 3 {
		t.Errorf("the other host: %s with %d samples", h.Health, h.Samples)
	}
}

// slowSource is a Source whose VM read takes d of the fixture's clock.
type slowSource struct {
	*collectortest.Source
	clock *collectortest.Clock
	d     time.Duration
}

func (s slowSource) VMs(ctx context.Context) ([]hyperv.VM, error) {
	s.clock.Advance(s.d)
	return s.Source.VMs(ctx)
}

// TestAnsweredInItsRoundIsNeverStale: a round that lasts longer than
// StaleAfter (one slow host, one poll at a time) leaves the host that
// answered early in it ok: staleness counts from the round's start, not
// from when the snapshot is taken.
func TestAnsweredInItsRoundIsNeverStale(t *testing.T) {
	slow := collectortest.NewSource(hostInfo("HV02", 32, 256))
	f := newFixture(t, collector.Config{Concurrency: 1, StaleAfter: time.Second},
		collector.Target{Name: "HV01"}, collector.Target{Name: "HV02", Source: slow})
	if err := f.c.SetTargets([]collector.Target{{Name: "HV01", Source: f.srcs["HV01"]}, {Name: "HV02", Source: slowSource{slow, f.clock, 5 * time.Second}}}); err != nil {
		t.Fatal(err)
	}
	for round := 1; round <= 2; round++ {
		s := f.poll(time.Minute)
		for _, h := range s.Hosts {
			if h.Health != collector.HealthOK {
				t.Errorf("round %d: %s answered in the round but is %s: %s", round, h.Name, h.Health, h.Reason)
			}
		}
	}
}
