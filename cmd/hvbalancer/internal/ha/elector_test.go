package ha

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/etcdtest"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/ha/hatest"
)

// TestExactlyOneLeads proves that of two or three daemons campaigning at
// once exactly one leads, that the others see its identity and term, and
// that it stays the only one while they all keep campaigning.
func TestExactlyOneLeads(t *testing.T) {
	for _, n := range []int{2, 3} {
		t.Run(fmt.Sprintf("%d candidates", n), func(t *testing.T) {
			ep := etcdtest.Start(t, 1).Members[0].ClientURL
			var cs []*candidate
			for i := range n {
				cs = append(cs, startCandidate(t, fmt.Sprintf("node%d", i), ep))
			}
			leader := oneLeader(t, 20*time.Second, cs)
			for range 10 { // a second and a half of keep-alives and observation
				time.Sleep(150 * time.Millisecond)
				if l := leaders(cs); len(l) != 1 || l[0] != leader {
					t.Fatalf("leaders changed with nothing lost: %s", names(cs))
				}
			}
			for _, c := range cs {
				if c != leader && c.Leading() != nil {
					t.Errorf("%s has a term while %s leads", c.name, leader.name)
				}
			}
		})
	}
}

// TestTakeover loses the leader in each way a leader is lost and proves
// that another daemon leads within the TTL and a margin (the time is
// logged, not asserted), that the third daemon's observer names the new
// leader, that the old leader's term ends, and that etcd refuses a write
// fenced with the old term.
func TestTakeover(t *testing.T) {
	tests := []struct {
		name string
		lose func(t *testing.T, leader *candidate, proxies map[string]*hatest.Proxy, admin *clientv3.Client)
		// within is the bound on the takeover: at once for a
		// resignation, the TTL and a margin for a lost session.
		within time.Duration
	}{
		{"shut down (resigns)", func(t *testing.T, l *candidate, _ map[string]*hatest.Proxy, _ *clientv3.Client) {
			l.stop()
		}, 5 * time.Second},
		{"resigns and stands by", func(t *testing.T, l *candidate, _ map[string]*hatest.Proxy, _ *clientv3.Client) {
			l.Resign()
		}, 5 * time.Second},
		{"session closed from outside (lease revoked)", func(t *testing.T, l *candidate, _ map[string]*hatest.Proxy, admin *clientv3.Client) {
			l.mu.Lock()
			lease := l.lease
			l.mu.Unlock()
			if _, err := admin.Revoke(context.Background(), lease); err != nil {
				t.Fatal(err)
			}
		}, testTTL + 5*time.Second},
		{"client cut off from etcd", func(t *testing.T, l *candidate, proxies map[string]*hatest.Proxy, _ *clientv3.Client) {
			proxies[l.name].Cut()
		}, 2*testTTL + 5*time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ep := etcdtest.Start(t, 1).Members[0].ClientURL
			admin := client(t, ep)
			proxies := map[string]*hatest.Proxy{}
			var cs []*candidate
			for i := range 3 {
				name := fmt.Sprintf("node%d", i)
				proxies[name] = hatest.NewProxy(t, ep[len("http://"):])
				cs = append(cs, startCandidate(t, name, proxies[name].URL()))
			}
			old := oneLeader(t, 20*time.Second, cs)
			term := old.Leading()
			fence := term.Fence()
			if err := old.Check(context.Background()); err != nil {
				t.Fatalf("leader's check: %v", err)
			}
			began := time.Now()
			tc.lose(t, old, proxies, admin)
			var next *candidate
			took := waitFor(t, tc.within, "another leader", func() bool {
				for _, c := range leaders(cs) {
					if c != old {
						next = c
						return true
					}
				}
				return false
			})
			t.Logf("%s: %s leads %s after %s lost it (TTL %s)", tc.name, next.name, took.Round(time.Millisecond), old.name, testTTL)
			waitFor(t, 2*testTTL+5*time.Second, "the old term ends", func() bool {
				select {
				case <-term.Done():
					return true
				default:
					return false
				}
			})
			t.Logf("%s: %s knew its term had ended %s after the loss", tc.name, old.name, time.Since(began).Round(time.Millisecond))
			for _, c := range cs {
				if c == old || c == next {
					continue
				}
				waitFor(t, 5*time.Second, c.name+" observes the new leader", func() bool {
					s := c.State()
					return s.Leader == next.Self() && s.Rev == next.State().Rev && !s.Leading
				})
			}
			if n := len(leaders(cs)); n != 1 {
				t.Fatalf("%d leaders after the takeover: %s", n, names(cs))
			}
			resp, err := admin.Txn(context.Background()).If(fence...).Then(clientv3.OpPut("/hvbalancer-test/journal/x", "deposed")).Commit()
			if err != nil {
				t.Fatal(err)
			}
			if resp.Succeeded {
				t.Error("etcd took a write fenced with the deposed leader's term")
			}
			resp, err = admin.Txn(context.Background()).If(next.Fence()...).Then(clientv3.OpPut("/hvbalancer-test/journal/x", "leader")).Commit()
			if err != nil || !resp.Succeeded {
				t.Errorf("write fenced with the new leader's term: succeeded %v, err %v", resp != nil && resp.Succeeded, err)
			}
			if err := next.Check(context.Background()); err != nil {
				t.Errorf("new leader's check: %v", err)
			}
			if err := old.Check(context.Background()); old.Leading() == nil && !errors.Is(err, ErrNotLeader) {
				t.Errorf("deposed leader's check: %v, want ErrNotLeader", err)
			}
		})
	}
}

// TestFenceBeforeTheLeaderNotices proves that a deposed leader that has
// not noticed yet can change nothing: its lease is revoked behind its
// back, and at once, before its session can tell it, a write through its
// own client with its fence and its Check are both refused by etcd.
func TestFenceBeforeTheLeaderNotices(t *testing.T) {
	ep := etcdtest.Start(t, 1).Members[0].ClientURL
	admin := client(t, ep)
	a := startCandidate(t, "a", ep)
	oneLeader(t, 20*time.Second, []*candidate{a})
	term := a.Leading()
	a.mu.Lock()
	lease := a.lease
	a.mu.Unlock()
	if _, err := admin.Revoke(context.Background(), lease); err != nil {
		t.Fatal(err)
	}
	resp, err := a.Client().Txn(context.Background()).If(term.Fence()...).Then(clientv3.OpPut("/hvbalancer-test/journal/x", "deposed")).Commit()
	if err != nil {
		t.Fatal(err)
	}
	if resp.Succeeded {
		t.Error("etcd took a write fenced with a revoked leader key")
	}
	if err := a.Check(context.Background()); !errors.Is(err, ErrFenced) && !errors.Is(err, ErrNotLeader) {
		t.Errorf("check of a revoked leader: %v, want ErrFenced (or ErrNotLeader once it noticed)", err)
	}
	waitFor(t, testTTL+5*time.Second, "a leads again under a new term", func() bool {
		n := a.Leading()
		return n != nil && n != term && n.Rev > term.Rev
	})
	if resp, err := admin.Txn(context.Background()).If(term.Fence()...).Then(clientv3.OpPut("/hvbalancer-test/journal/x", "old term")).Commit(); err != nil || resp.Succeeded {
		t.Errorf("a write fenced with the old term while the same daemon leads again: succeeded %v, err %v", resp != nil && resp.Succeeded, err)
	}
}

// TestStandbyFenceFails proves a standby's fence never holds, its Check
// says it does not lead, and its fenced Write is refused.
func TestStandbyFenceFails(t *testing.T) {
	ep := etcdtest.Start(t, 1).Members[0].ClientURL
	cs := []*candidate{startCandidate(t, "a", ep), startCandidate(t, "b", ep)}
	leader := oneLeader(t, 20*time.Second, cs)
	standby := cs[0]
	if standby == leader {
		standby = cs[1]
	}
	resp, err := standby.Client().Txn(context.Background()).If(standby.Fence()...).Then(clientv3.OpPut("/hvbalancer-test/journal/x", "standby")).Commit()
	if err != nil {
		t.Fatal(err)
	}
	if resp.Succeeded {
		t.Error("etcd took a write fenced by a standby")
	}
	if err := standby.Check(context.Background()); !errors.Is(err, ErrNotLeader) {
		t.Errorf("standby's check: %v, want ErrNotLeader", err)
	}

	// Write, which the shared pause and maintenance use: the standby's is
	// refused and changes nothing, the leader's lands.
	const key = "/hvbalancer-test/pause"
	if err := standby.Write(context.Background(), clientv3.OpPut(key, "standby")); !errors.Is(err, ErrNotLeader) {
		t.Errorf("standby's write: %v, want ErrNotLeader", err)
	}
	if r, err := standby.Client().Get(context.Background(), key); err != nil || len(r.Kvs) != 0 {
		t.Errorf("after the standby's refused write: %v, err %v; want no key", r, err)
	}
	if err := leader.Write(context.Background(), clientv3.OpPut(key, "leader")); err != nil {
		t.Errorf("leader's write: %v", err)
	}
	if r, err := standby.Client().Get(context.Background(), key); err != nil || len(r.Kvs) != 1 || string(r.Kvs[0].Value) != "leader" {
		t.Errorf("after the leader's write: %v, err %v; want %s=leader", r, err, key)
	}
}

func client(t *testing.T, endpoints ...string) *clientv3.Client {
	t.Helper()
	c, err := clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestEtcdMemberLost stops the etcd member that leads the etcd cluster of
// three, under two daemons that know every member: the daemon that leads
// keeps leading (its session's keep-alives go to the members left) and
// etcd still takes its fenced writes.
func TestEtcdMemberLost(t *testing.T) {
	c := etcdtest.Start(t, 3)
	cs := []*candidate{startCandidate(t, "a", c.Endpoints()...), startCandidate(t, "b", c.Endpoints()...)}
	leader := oneLeader(t, 20*time.Second, cs)
	term := leader.Leading()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	i, err := c.Leader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c.Stop(i)
	t.Logf("stopped etcd member %d, the etcd cluster's leader", i)
	for range 2 * int(testTTL/(200*time.Millisecond)) { // two session TTLs
		time.Sleep(200 * time.Millisecond)
		if leader.Leading() != term {
			t.Fatalf("%s lost its term after an etcd member died: %s", leader.name, names(cs))
		}
	}
	cctx, ccancel := context.WithTimeout(context.Background(), 30*time.Second) // a busy machine: the client may still be leaving the stopped member
	defer ccancel()
	if err := leader.Check(cctx); err != nil {
		t.Errorf("leader's check through the members left: %v", err)
	}
	if l := leaders(cs); len(l) != 1 || l[0] != leader {
		t.Errorf("leaders after an etcd member died: %s", names(cs))
	}
}
