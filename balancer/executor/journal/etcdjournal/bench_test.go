package etcdjournal_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/etcdjournal"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/etcdtest"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/journaltest"
	"github.com/hvbalancer/hvbalancer/internal/proctime"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// BenchmarkIntendTransition journals one migration as the executor does
// (the intent, the start, the outcome: three synced writes) in the local
// file and in etcd (a single embedded member, and three members, each
// syncing its log to disk, unfenced and fenced on a leader key), and
// reports the process's CPU per migration beside the time: the embedded
// servers run in the benchmark's process, so their CPU is counted too.
func BenchmarkIntendTransition(b *testing.B) {
	b.Run("bbolt", func(b *testing.B) {
		j, err := journal.Open(filepath.Join(b.TempDir(), "journal.db"))
		if err != nil {
			b.Fatal(err)
		}
		defer j.Close()
		benchMigrations(b, j)
	})
	run := 0 // each run journals under a prefix of its own
	for _, members := range []int{1, 3} {
		c := etcdtest.Start(b, members)
		cli := c.Client(b)
		b.Run(fmt.Sprintf("etcd-%d", members), func(b *testing.B) {
			run++
			benchMigrations(b, etcdjournal.New(cli, etcdjournal.Options{Prefix: fmt.Sprintf("/bench/%d/", run)}))
		})
		b.Run(fmt.Sprintf("etcd-%d-fenced", members), func(b *testing.B) {
			run++
			key := fmt.Sprintf("/bench-fenced/%d/leader", run)
			r, err := cli.Put(b.Context(), key, "daemon")
			if err != nil {
				b.Fatal(err)
			}
			fence := func() []clientv3.Cmp {
				return []clientv3.Cmp{clientv3.Compare(clientv3.CreateRevision(key), "=", r.Header.Revision)}
			}
			benchMigrations(b, etcdjournal.New(cli, etcdjournal.Options{Prefix: fmt.Sprintf("/bench-fenced/%d/", run), Fence: fence}))
		})
	}
}

func benchMigrations(b *testing.B, j journal.Store) {
	at := journaltest.T0
	cpu0, cpuOK := proctime.CPU()
	b.ResetTimer()
	for i := range b.N {
		id := fmt.Sprintf("plan-%d/%d", b.N, i)
		if _, created, err := j.Intend(journaltest.NewEntry(id, "vm")); err != nil || !created {
			b.Fatal(created, err)
		}
		if _, err := j.Transition(id, journal.StateStarted, at, "", ""); err != nil {
			b.Fatal(err)
		}
		if _, err := j.Transition(id, journal.StateSucceeded, at.Add(time.Minute), "", ""); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if cpu1, ok := proctime.CPU(); ok && cpuOK {
		b.ReportMetric(float64(cpu1-cpu0)/float64(time.Microsecond)/float64(b.N), "cpu-µs/op")
	}
}

// BenchmarkListing reads a journal of 100,000 entries as the daemon does:
// the newest 50 (the API's page), and every unresolved entry (a scan of
// the whole journal, as at a start or a takeover), from the local file and
// from one etcd member, a page of DefaultPageSize entries per request.
func BenchmarkListing(b *testing.B) {
	const entries = 100_000
	fill := func(b *testing.B, j journal.Store) {
		const batch = 1000
		for lo := 0; lo < entries; lo += batch {
			es := make([]journal.Entry, 0, batch)
			for i := lo; i < lo+batch; i++ {
				e := journaltest.NewEntry(fmt.Sprintf("plan-%d/%d", i/batch, i%batch), fmt.Sprint("vm-", i%5000))
				es = append(es, e)
			}
			if _, err := j.Queue(es); err != nil {
				b.Fatal(err)
			}
		}
	}
	c := etcdtest.Start(b, 1)
	bolt, err := journal.Open(filepath.Join(b.TempDir(), "journal.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer bolt.Close()
	stores := []struct {
		name string
		j    journal.Store
	}{
		{"bbolt", bolt},
		{"etcd-1", etcdjournal.New(c.Client(b), etcdjournal.Options{Prefix: "/bench-list/"})},
	}
	for _, s := range stores {
		fill(b, s.j)
		b.Run(s.name+"/newest-50", func(b *testing.B) {
			benchRead(b, func() (int, error) { es, err := s.j.Entries(50, nil); return len(es), err }, 50)
		})
		b.Run(s.name+"/unresolved-scan", func(b *testing.B) {
			benchRead(b, func() (int, error) { es, err := s.j.Unresolved(); return len(es), err }, 0)
		})
	}
}

func benchRead(b *testing.B, read func() (int, error), want int) {
	cpu0, cpuOK := proctime.CPU()
	b.ResetTimer()
	for range b.N {
		if n, err := read(); err != nil || n != want {
			b.Fatal(n, err)
		}
	}
	b.StopTimer()
	if cpu1, ok := proctime.CPU(); ok && cpuOK {
		b.ReportMetric(float64(cpu1-cpu0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
	}
}
