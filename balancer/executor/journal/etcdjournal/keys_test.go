package etcdjournal_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/etcdjournal"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/etcdtest"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/journaltest"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// TestKeysAreDocumented proves the key layout the package documents:
// the sequence counter, each entry as the local journal's JSON under its
// inverted sequence number, and the move id's index, all under the
// prefix and nothing outside it.
func TestKeysAreDocumented(t *testing.T) {
	c := etcdtest.Start(t, 1)
	cli := c.Client(t)
	ctx := context.Background()
	if _, err := cli.Put(ctx, "/other/key", "untouched"); err != nil {
		t.Fatal(err)
	}
	j := etcdjournal.New(cli, etcdjournal.Options{Prefix: "/site-a/"})
	in, _, err := j.Intend(journaltest.NewEntry("plan-1/1", "vm-a"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.Queue([]journal.Entry{journaltest.NewEntry("plan-1/2", "vm-b")}); err != nil {
		t.Fatal(err)
	}
	r, err := cli.Get(ctx, "/site-a/", clientv3.WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, kv := range r.Kvs {
		got[string(kv.Key)] = string(kv.Value)
	}
	want := map[string]string{
		"/site-a/journal/seq":                      "2",
		"/site-a/journal/ids/plan-1/1":             "fffffffffffffffe",
		"/site-a/journal/ids/plan-1/2":             "fffffffffffffffd",
		"/site-a/journal/entries/fffffffffffffffe": "",
		"/site-a/journal/entries/fffffffffffffffd": "",
	}
	for k := range want {
		if _, ok := got[k]; !ok {
			t.Errorf("no key %s", k)
		}
	}
	for k, v := range got {
		w, ok := want[k]
		if !ok {
			t.Errorf("unexpected key %s", k)
		}
		if w != "" && v != w {
			t.Errorf("%s = %q, want %q", k, v, w)
		}
	}
	var e journal.Entry
	if err := json.Unmarshal([]byte(got["/site-a/journal/entries/fffffffffffffffe"]), &e); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in, e); diff != "" {
		t.Errorf("stored entry (-intended +stored):\n%s", diff)
	}
	if o, err := cli.Get(ctx, "/other/key"); err != nil || string(o.Kvs[0].Value) != "untouched" {
		t.Errorf("a key outside the prefix: %v %v", o, err)
	}
}

// pagingKV counts the reads of a listing, the largest response, and the
// most keys a read's range held (etcd counts them all for each read).
type pagingKV struct {
	clientv3.KV
	gets, most int
	counted    int64
}

func (p *pagingKV) Get(ctx context.Context, key string, opts ...clientv3.OpOption) (*clientv3.GetResponse, error) {
	r, err := p.KV.Get(ctx, key, opts...)
	if err == nil {
		p.gets++
		p.most = max(p.most, len(r.Kvs))
		p.counted = max(p.counted, r.Count)
	}
	return r, err
}

// TestListingsReadPages proves that a listing of the whole journal reads
// it a page at a time: no response holds more than a page, no request's
// range holds more than a page of keys (what etcd counts for it), and
// every entry is listed once, newest first.
func TestListingsReadPages(t *testing.T) {
	tests := []struct {
		name     string
		entries  int
		pageSize int
	}{
		{"less than a page", 10, 50},
		{"exactly two pages", 100, 50},
		{"many pages", 1003, 100},
	}
	c := etcdtest.Start(t, 1)
	cli := c.Client(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			prefix := "/" + tc.name + "/"
			var es []journal.Entry
			for i := range tc.entries {
				es = append(es, journaltest.NewEntry(prefix+fmt.Sprintf("%04d", i), "vm"))
			}
			if _, err := etcdjournal.New(cli, etcdjournal.Options{Prefix: prefix}).Queue(es); err != nil {
				t.Fatal(err)
			}
			kv := &pagingKV{KV: cli}
			j := etcdjournal.New(kv, etcdjournal.Options{Prefix: prefix, PageSize: tc.pageSize})
			all, err := j.Entries(0, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(all) != tc.entries || all[0].MoveID != es[len(es)-1].MoveID || all[len(all)-1].MoveID != es[0].MoveID {
				t.Fatalf("%d entries listed, want %d newest first", len(all), tc.entries)
			}
			// The sequence counter, then the pages.
			if wantGets := 1 + (tc.entries+tc.pageSize-1)/tc.pageSize; kv.most > tc.pageSize || kv.gets > wantGets || kv.counted > int64(tc.pageSize) {
				t.Errorf("%d reads, at most %d entries in one and %d keys in a range; want at most %d reads of %d", kv.gets, kv.most, kv.counted, wantGets, tc.pageSize)
			}
		})
	}
}

// TestListingsSkipPrunedStretches proves that a listing crosses a long
// stretch of pruned sequence numbers in a few reads (the window doubles
// over it) and still lists every entry on both sides, newest first.
func TestListingsSkipPrunedStretches(t *testing.T) {
	const n, page = 400, 16
	c := etcdtest.Start(t, 1)
	cli := c.Client(t)
	j := etcdjournal.New(cli, etcdjournal.Options{Prefix: "/pruned/", PageSize: page})
	var es []journal.Entry
	for i := range n {
		es = append(es, journaltest.NewEntry(fmt.Sprintf("plan-1/%03d", i), "vm"))
	}
	if _, err := j.Queue(es); err != nil {
		t.Fatal(err)
	}
	for i := 50; i < 350; i++ { // sequence numbers 51 to 350
		if _, err := j.Transition(es[i].MoveID, journal.StateSkipped, journaltest.T0, "", ""); err != nil {
			t.Fatal(err)
		}
	}
	if k, err := j.Prune(journaltest.T0.Add(time.Second)); err != nil || k != 300 {
		t.Fatalf("pruned %d, %v", k, err)
	}
	kv := &pagingKV{KV: cli}
	all, err := etcdjournal.New(kv, etcdjournal.Options{Prefix: "/pruned/", PageSize: page}).Entries(0, nil)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := n - 1; i >= 0; i-- {
		if i < 50 || i >= 350 {
			want = append(want, es[i].MoveID)
		}
	}
	var got []string
	for _, e := range all {
		got = append(got, e.MoveID)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("listed (-want +got):\n%s", diff)
	}
	if kv.most > page || kv.gets > 20 {
		t.Errorf("%d reads, at most %d entries in one; want pages of %d and few reads over the pruned stretch", kv.gets, kv.most, page)
	}
	t.Logf("%d reads, at most %d keys in a read's range", kv.gets, kv.counted)
}
