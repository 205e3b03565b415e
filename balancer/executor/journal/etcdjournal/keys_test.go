package etcdjournal_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

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

// pagingKV counts the reads of a listing and the largest response.
type pagingKV struct {
	clientv3.KV
	gets, most int
}

func (p *pagingKV) Get(ctx context.Context, key string, opts ...clientv3.OpOption) (*clientv3.GetResponse, error) {
	r, err := p.KV.Get(ctx, key, opts...)
	if err == nil {
		p.gets++
		p.most = max(p.most, len(r.Kvs))
	}
	return r, err
}

// TestListingsReadPages proves that a listing of the whole journal reads
// it a page at a time: no response holds more than a page, and every
// entry is listed once, newest first.
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
			if wantGets := tc.entries/tc.pageSize + 1; kv.most > tc.pageSize || kv.gets > wantGets {
				t.Errorf("%d reads, at most %d entries in one; want at most %d reads of %d", kv.gets, kv.most, wantGets, tc.pageSize)
			}
		})
	}
}
