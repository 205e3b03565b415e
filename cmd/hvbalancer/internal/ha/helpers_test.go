package ha

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// testTTL is the session TTL of the tests: short, so that a takeover after
// a lost leader takes seconds, and long enough for keep-alives on a busy
// machine.
const testTTL = 3 * time.Second

// candidate is one running Elector of a test.
type candidate struct {
	*Elector
	name string
	reg  *prometheus.Registry
	stop context.CancelFunc
	done chan struct{}
}

// startCandidate runs an Elector named name against endpoints until the
// test ends (or stop).
func startCandidate(t *testing.T, name string, endpoints ...string) *candidate {
	t.Helper()
	reg := prometheus.NewRegistry()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})).With("node", name)
	e, err := New(Config{
		Endpoints:  endpoints,
		Prefix:     "/hvbalancer-test",
		SessionTTL: testTTL,
		Self:       Identity{Name: name, Address: "http://" + name + ".example:9707"},
	}, log, reg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &candidate{Elector: e, name: name, reg: reg, stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		if err := e.Run(ctx); err != nil {
			t.Errorf("%s: run: %v", name, err)
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-c.done
		e.Close()
	})
	return c
}

// waitFor polls cond until it holds or the deadline passes, and returns
// how long it took.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	began := time.Now()
	for !cond() {
		if time.Since(began) > within {
			t.Fatalf("%s: not after %s", what, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(began)
}

// leaders returns the candidates that lead.
func leaders(cs []*candidate) []*candidate {
	var out []*candidate
	for _, c := range cs {
		if c.State().Leading {
			out = append(out, c)
		}
	}
	return out
}

// oneLeader waits until exactly one candidate leads and every other one
// sees it, and returns it.
func oneLeader(t *testing.T, within time.Duration, cs []*candidate) *candidate {
	t.Helper()
	var leader *candidate
	waitFor(t, within, "exactly one leader seen by all", func() bool {
		l := leaders(cs)
		if len(l) != 1 {
			return false
		}
		leader = l[0]
		for _, c := range cs {
			if s := c.State(); s.Leader != leader.Self() || s.Rev != leader.State().Rev {
				return false
			}
		}
		return true
	})
	return leader
}

func names(cs []*candidate) string {
	s := ""
	for _, c := range cs {
		s += fmt.Sprintf("%s(leading=%v sees %s) ", c.name, c.State().Leading, c.State().Leader)
	}
	return s
}
