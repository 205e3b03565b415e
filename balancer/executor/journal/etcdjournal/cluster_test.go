package etcdjournal_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/etcdjournal"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/etcdtest"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/journaltest"
)

// TestJournalOutlivesItsServers proves the journal's durability on etcd's
// side: a single server stopped as in a crash and started again on its
// data, and a cluster of three that loses the member leading its raft
// group, keep every entry, and the journal goes on through the same
// client.
func TestJournalOutlivesItsServers(t *testing.T) {
	tests := []struct {
		name    string
		members int
	}{
		{"one server restarted", 1},
		{"three members, the raft leader lost", 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			c := etcdtest.Start(t, tc.members)
			j := etcdjournal.New(c.Client(t), etcdjournal.Options{Prefix: "/site/"})
			if _, _, err := j.Intend(journaltest.NewEntry("plan-1/0", "vm-a")); err != nil {
				t.Fatal(err)
			}
			if _, err := j.Transition("plan-1/0", journal.StateStarted, journaltest.T0, "", ""); err != nil {
				t.Fatal(err)
			}
			if _, err := j.Queue([]journal.Entry{journaltest.NewEntry("plan-1/1", "vm-b")}); err != nil {
				t.Fatal(err)
			}
			before, err := j.Entries(0, nil)
			if err != nil {
				t.Fatal(err)
			}
			lead, err := c.Leader(ctx)
			if err != nil {
				t.Fatal(err)
			}
			c.Stop(lead)
			if tc.members == 1 {
				c.Restart(lead)
			}
			// The client finds a member that serves; until then a call
			// fails and the caller tries again, as the executor would
			// record the outcome once it can.
			var after []journal.Entry
			for {
				if after, err = j.Entries(0, nil); err == nil || ctx.Err() != nil {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			if diff := cmp.Diff(before, after); diff != "" {
				t.Fatalf("entries after losing m%d (-before +after):\n%s", lead, diff)
			}
			if _, err := j.Transition("plan-1/0", journal.StateSucceeded, journaltest.T0.Add(time.Minute), "", ""); err != nil {
				t.Fatal(err)
			}
			if _, created, err := j.Intend(journaltest.NewEntry("plan-1/1", "vm-b")); err != nil || !created {
				t.Fatalf("intent of the queued move: created=%v %v", created, err)
			}
			if un, err := j.Unresolved(); err != nil || len(un) != 1 || un[0].MoveID != "plan-1/1" {
				t.Errorf("unresolved: %+v %v", un, err)
			}
		})
	}
}
