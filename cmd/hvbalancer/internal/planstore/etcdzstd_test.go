package planstore_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/etcdtest"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/planstore"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/planstore/planstoretest"
	"github.com/hvbalancer/hvbalancer/internal/proctime"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// storedBytes is how many bytes the values of the keys under prefix
// hold, and how many keys there are.
func storedBytes(t testing.TB, cli *clientv3.Client, prefix string) (bytes, keys int) {
	t.Helper()
	r, err := cli.Get(t.Context(), prefix, clientv3.WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range r.Kvs {
		bytes += len(kv.Value)
	}
	return bytes, len(r.Kvs)
}

// putUncompressed writes a plan as the etcd store did before it
// compressed files: each file's bytes as they are, in chunks 0000, 0001,
// ..., then the record.
func putUncompressed(t testing.TB, cli *clientv3.Client, prefix, id string, files []planstore.File) {
	t.Helper()
	for _, f := range files {
		data := f.Data
		for chunk := 0; chunk == 0 || len(data) > 0; chunk++ {
			n := min(len(data), planstore.ChunkSize)
			if _, err := cli.Put(t.Context(), fmt.Sprintf("%splans/files/%s/%s/%04d", prefix, id, f.Name, chunk), string(data[:n])); err != nil {
				t.Fatal(err)
			}
			data = data[n:]
		}
	}
	if _, err := cli.Put(t.Context(), prefix+"plans/records/"+id, string(planstoretest.Record(id, "done"))); err != nil {
		t.Fatal(err)
	}
}

// TestEtcdCompressesFiles: the etcd store keeps a plan's snapshot in a
// fraction of its size (a fleet of 100 hosts and 5,000 VMs, its figures
// varied), and reads it back as saved; a plan stored before files were
// compressed is read as it was, and saving it again leaves none of its
// uncompressed chunks.
func TestEtcdCompressesFiles(t *testing.T) {
	c := etcdtest.Start(t, 1)
	cli := c.Client(t)
	const prefix = "/site/"
	s := planstore.NewEtcd(cli, planstore.EtcdOptions{Prefix: prefix})
	snap := fleetSnapshot(t, 100, 5000)
	files := []planstore.File{{Name: "snapshot.json", Data: snap}, {Name: "plan.sig", Data: []byte{0x28, 0xb5, 0x2f, 0xfd}}}
	if _, err := s.Save("plan-new", files, planstoretest.Record("plan-new", "pending")); err != nil {
		t.Fatal(err)
	}
	stored, keys := storedBytes(t, cli, prefix+"plans/files/plan-new/snapshot.json/")
	t.Logf("snapshot.json of 100 hosts and 5,000 VMs: %d bytes, stored in %d bytes (%d keys)", len(snap), stored, keys)
	if stored*4 > len(snap) {
		t.Errorf("a snapshot of %d bytes is stored in %d bytes, want under a quarter", len(snap), stored)
	}
	for _, f := range files {
		if b, err := s.File("plan-new", f.Name); err != nil || !bytes.Equal(b, f.Data) {
			t.Errorf("%s read back: %d bytes, %v; want the %d saved", f.Name, len(b), err, len(f.Data))
		}
	}

	old := planstoretest.Files("plan-old")
	putUncompressed(t, cli, prefix, "plan-old", old)
	for _, f := range old {
		if b, err := s.File("plan-old", f.Name); err != nil || !bytes.Equal(b, f.Data) {
			t.Errorf("%s of a plan stored uncompressed: %d bytes, %v; want the %d stored", f.Name, len(b), err, len(f.Data))
		}
	}
	again := []planstore.File{{Name: "snapshot.json", Data: []byte(`{"again":true}`)}, {Name: "plan.json", Data: []byte(`{}`)}}
	if _, err := s.Save("plan-old", again, planstoretest.Record("plan-old", "done")); err != nil {
		t.Fatal(err)
	}
	for _, f := range again {
		if b, err := s.File("plan-old", f.Name); err != nil || !bytes.Equal(b, f.Data) {
			t.Errorf("%s saved again: %q, %v; want %q", f.Name, b, err, f.Data)
		}
	}
	r, err := cli.Get(t.Context(), prefix+"plans/files/plan-old/", clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range r.Kvs {
		k := strings.TrimPrefix(string(kv.Key), prefix+"plans/files/plan-old/")
		if name, chunk, _ := strings.Cut(k, "/"); (name == "snapshot.json" || name == "plan.json") && !strings.HasPrefix(chunk, "z") {
			t.Errorf("an uncompressed chunk left after saving again: %s", k)
		}
	}
}

// BenchmarkEtcdSnapshotStored saves the snapshot of 1,000 hosts and
// 50,000 VMs in the etcd store, and reports its stored bytes and how much
// etcd's database in use grew, as the store keeps it (compressed) and as it kept
// it before (uncompressed, written here key by key as it was), and the
// process's CPU per save.
func BenchmarkEtcdSnapshotStored(b *testing.B) {
	c := etcdtest.Start(b, 1)
	cli := c.Client(b)
	snap := fleetSnapshot(b, 1000, 50000)
	files := []planstore.File{{Name: "snapshot.json", Data: snap}}
	dbSize := func() int64 {
		st, err := cli.Status(b.Context(), c.Members[0].ClientURL)
		if err != nil {
			b.Fatal(err)
		}
		return st.DbSizeInUse
	}
	run := 0
	b.Run("uncompressed", func(b *testing.B) {
		for range b.N {
			run++
			prefix := fmt.Sprintf("/raw/%d/", run)
			db0 := dbSize()
			putUncompressed(b, cli, prefix, "plan", files)
			stored, _ := storedBytes(b, cli, prefix+"plans/files/")
			b.ReportMetric(float64(stored), "stored-bytes")
			b.ReportMetric(float64(dbSize()-db0), "db-growth-bytes")
		}
	})
	b.Run("compressed", func(b *testing.B) {
		for range b.N {
			run++
			prefix := fmt.Sprintf("/z/%d/", run)
			s := planstore.NewEtcd(cli, planstore.EtcdOptions{Prefix: prefix, Timeout: time.Minute})
			db0 := dbSize()
			cpu0, cpuOK := proctime.CPU()
			if _, err := s.Save("plan", files, planstoretest.Record("plan", "pending")); err != nil {
				b.Fatal(err)
			}
			if cpu1, ok := proctime.CPU(); ok && cpuOK {
				b.ReportMetric(float64(cpu1-cpu0)/float64(time.Millisecond), "cpu-ms/save")
			}
			stored, _ := storedBytes(b, cli, prefix+"plans/files/")
			b.ReportMetric(float64(stored), "stored-bytes")
			b.ReportMetric(float64(dbSize()-db0), "db-growth-bytes")
		}
	})
}
