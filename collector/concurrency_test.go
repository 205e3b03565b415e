package collector_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/collector/collectortest"
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
			meter := &collectortest.Meter{}
			g := newGate(tc.want, tc.hosts)
			var targets []collector.Target
			for i := range tc.hosts {
				name := fmt.Sprintf("HV%02d", i+1)
				src := collectortest.NewSource(hostInfo(name, 16, 64))
				src.SetMeter(meter)
				src.SetHook(g.hook)
				targets = append(targets, collector.Target{Name: name, Source: src})
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
				t.Errorf("at most %d calls in flight, want exactly %d", got, tc.want)
			}
			if got := meter.InFlight(); got != 0 {
				t.Errorf("%d calls still in flight after Poll returned", got)
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
