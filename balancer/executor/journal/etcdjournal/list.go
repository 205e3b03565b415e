package etcdjournal

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// maxWindow bounds how many sequence numbers one request of a scan spans.
const maxWindow = 1 << 20

// scan calls visit for every entry, newest first, until visit returns
// false. It reads the journal as it was at one revision, in requests of at
// most page entries, each over a window of sequence numbers: etcd counts
// every key of a request's range, so a range to the end of the journal
// would cost each page the whole journal. The window starts at page
// sequence numbers and doubles over sparse (pruned) stretches.
func (j *Journal) scan(ctx context.Context, page int, visit func(stored) bool) error {
	r, err := j.kv.Get(ctx, j.seqK)
	if err != nil {
		return err
	}
	hi, _, err := j.readSeq(r)
	if err != nil {
		return err
	}
	rev, window := r.Header.Revision, uint64(page)
	for hi > 0 {
		lo := hi - min(hi, window) // this request: sequence numbers lo+1 to hi
		r, err := j.kv.Get(ctx, j.entryKey(hi), clientv3.WithRange(j.entryKey(lo)),
			clientv3.WithLimit(int64(page)), clientv3.WithRev(rev))
		if err != nil {
			return err
		}
		for _, kv := range r.Kvs {
			s, err := decode(kv.Key, kv.Value, kv.ModRevision)
			if err != nil {
				return err
			}
			if !visit(s) {
				return nil
			}
			hi = j.seqOf(kv.Key) - 1
		}
		if !r.More {
			hi = lo
			if len(r.Kvs) < page/2 {
				window = min(2*window, maxWindow)
			}
		}
	}
	return nil
}

// seqOf is the sequence number of an entry's key.
func (j *Journal) seqOf(key []byte) uint64 {
	inv, _ := strconv.ParseUint(strings.TrimPrefix(string(key), j.entriesPrefix()), 16, 64)
	return math.MaxUint64 - inv
}

// Entries returns the newest entries first, at most limit (0: all), that
// keep returns true for (nil: all).
func (j *Journal) Entries(limit int, keep func(journal.Entry) bool) ([]journal.Entry, error) {
	ctx, cancel := j.ctx()
	defer cancel()
	page := j.opt.PageSize
	if keep == nil && limit > 0 {
		page = min(page, limit) // the newest limit entries: one page of them
	}
	var out []journal.Entry
	err := j.scan(ctx, page, func(s stored) bool {
		if keep == nil || keep(s.e) {
			out = append(out, s.e)
		}
		return limit <= 0 || len(out) < limit
	})
	if err != nil {
		return nil, fmt.Errorf("journal entries: %w", err)
	}
	return out, nil
}

// oldestFirst returns the entries keep selects, oldest first.
func (j *Journal) oldestFirst(keep func(journal.Entry) bool) ([]journal.Entry, error) {
	es, err := j.Entries(0, keep)
	slices.Reverse(es)
	return es, err
}

// Queued returns the queued entries, oldest first.
func (j *Journal) Queued() ([]journal.Entry, error) {
	return j.oldestFirst(func(e journal.Entry) bool { return e.State == journal.StateQueued })
}

// Unresolved returns the unresolved entries, oldest first.
func (j *Journal) Unresolved() ([]journal.Entry, error) {
	return j.oldestFirst(journal.Entry.Unresolved)
}

// LastMoved returns, per VM id, when its last successful migration ended.
func (j *Journal) LastMoved() (map[string]time.Time, error) {
	out := map[string]time.Time{}
	_, err := j.Entries(0, func(e journal.Entry) bool {
		if e.State == journal.StateSucceeded && e.Ended.After(out[e.VMID]) {
			out[e.VMID] = e.Ended
		}
		return false
	})
	return out, err
}

// pruneChunk is how many entries one transaction of Prune deletes.
const pruneChunk = 40

// Prune deletes the final entries that ended before t, each with its move
// id's key, and returns how many. An entry another writer pruned first is
// not counted.
func (j *Journal) Prune(t time.Time) (int, error) {
	ctx, cancel := j.writeCtx()
	defer cancel()
	var old []stored
	err := j.scan(ctx, j.opt.PageSize, func(s stored) bool {
		if s.e.State.Final() && s.e.Ended.Before(t) {
			old = append(old, s)
		}
		return true
	})
	n := 0
	for lo := 0; lo < len(old) && err == nil; lo += pruneChunk {
		chunk := old[lo:min(lo+pruneChunk, len(old))]
		if err = j.delete(ctx, chunk); err == nil {
			n += len(chunk)
			continue
		}
		if !errors.Is(err, ErrConflict) {
			break
		}
		// Another writer pruned some of them first: one at a time.
		for _, s := range chunk {
			if err = j.delete(ctx, []stored{s}); err == nil {
				n++
			}
			if errors.Is(err, ErrConflict) {
				err = nil
			}
			if err != nil {
				break
			}
		}
	}
	if err != nil {
		return n, fmt.Errorf("journal prune: %w", TermError(ctx, err))
	}
	return n, nil
}

// delete deletes the entries and their move ids' keys if none changed
// since it was read.
func (j *Journal) delete(ctx context.Context, es []stored) error {
	var cmps []clientv3.Cmp
	var ops []clientv3.Op
	for _, s := range es {
		cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(s.key), "=", s.modRev))
		ops = append(ops, clientv3.OpDelete(s.key), clientv3.OpDelete(j.idKey(s.e.MoveID)))
	}
	_, err := Commit(ctx, j.kv, j.opt.Fence, cmps, ops...)
	return err
}
