package etcdtest

import (
	"context"
	"fmt"
	"net/url"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// TestCluster proves that the members form one cluster (each lists the
// others, and a write through one member is read through another), that
// every URL is on the loopback address, and that with three members one
// can be stopped and the two left elect a leader and take writes, and
// the stopped one restarted on its data catches up.
func TestCluster(t *testing.T) {
	tests := []struct {
		name    string
		members int
		stop    bool
	}{
		{"one member", 1, false},
		{"three members, one stopped", 3, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			c := Start(t, tc.members)
			for _, m := range c.Members {
				for _, raw := range []string{m.ClientURL, m.PeerURL} {
					if u, err := url.Parse(raw); err != nil || u.Hostname() != "127.0.0.1" {
						t.Errorf("%s listens on %s, want 127.0.0.1", m.Name, raw)
					}
				}
				ml, err := m.Client(t).MemberList(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if len(ml.Members) != tc.members {
					t.Errorf("%s lists %d members, want %d", m.Name, len(ml.Members), tc.members)
				}
			}
			first, last := c.Members[0].Client(t), c.Members[len(c.Members)-1].Client(t)
			if _, err := first.Put(ctx, "k", "v1"); err != nil {
				t.Fatal(err)
			}
			if got := get(ctx, t, last, "k"); got != "v1" {
				t.Errorf("read through %s: %q, want v1", c.Members[len(c.Members)-1].Name, got)
			}
			if !tc.stop {
				return
			}
			lead, err := c.Leader(ctx)
			if err != nil {
				t.Fatal(err)
			}
			c.Stop(lead) // the hardest member to lose
			if !c.Members[lead].Stopped() || len(c.Endpoints()) != tc.members-1 {
				t.Fatalf("after stopping %s: endpoints %v", c.Members[lead].Name, c.Endpoints())
			}
			next, err := c.Leader(ctx)
			if err != nil || next == lead {
				t.Fatalf("leader after stopping m%d: %d, %v", lead, next, err)
			}
			cli := c.Client(t)
			if _, err := cli.Put(ctx, "k", "v2"); err != nil {
				t.Fatalf("write with %d of %d members: %v", tc.members-1, tc.members, err)
			}
			for i, m := range c.Members {
				if i == lead {
					continue
				}
				if got := get(ctx, t, m.Client(t), "k"); got != "v2" {
					t.Errorf("%s reads %q, want v2", m.Name, got)
				}
			}
			// The stopped member comes back on its data and catches up.
			c.Restart(lead)
			if got := get(ctx, t, c.Members[lead].Client(t), "k"); got != "v2" {
				t.Errorf("restarted %s reads %q, want v2", c.Members[lead].Name, got)
			}
		})
	}
}

func get(ctx context.Context, t *testing.T, cli *clientv3.Client, key string) string {
	t.Helper()
	r, err := cli.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Kvs) != 1 {
		t.Fatalf("%s: %d values", key, len(r.Kvs))
	}
	return fmt.Sprint(string(r.Kvs[0].Value))
}
