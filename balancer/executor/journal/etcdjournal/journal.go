package etcdjournal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Defaults of Options.
const (
	DefaultTimeout  = 10 * time.Second
	DefaultPageSize = 500
	// tries is how many times a write reads again and retries after a
	// conflict before it gives up with ErrConflict.
	tries = 16
	// queueChunk is how many entries one transaction of Queue writes,
	// all or nothing (journal.AtomicQueue). etcd's default --max-txn-ops
	// of 128 bounds each level of a transaction by its longest list
	// (comparisons, or operations), the inner level by what the outer
	// leaves: Commit's outer level holds the fence's comparisons (one for
	// a leader key; up to seven fit) and the inner transaction, which
	// holds two puts per entry and the sequence's (121 operations) and a
	// comparison per entry and the sequence's (61).
	queueChunk = journal.AtomicQueue
)

// ErrCorrupt is returned for a key whose value cannot be read.
var ErrCorrupt = errors.New("corrupt journal key")

// Options configure a Journal.
type Options struct {
	// Prefix is put before every key, e.g. "/hvbalancer/site-a/".
	Prefix string
	// Fence is added to every write's comparisons; nil: unfenced.
	Fence Fence
	// Timeout bounds each call; 0: DefaultTimeout.
	Timeout time.Duration
	// Term, when set, returns a channel closed when the writer's right to
	// write ends (the leader's term), read as each write begins: a write
	// still waiting for etcd then ends at once with ErrTermEnded instead
	// of waiting out Timeout. Such a write may or may not have been
	// applied, as after a crash: the entry says what etcd holds, and the
	// next leader's reconciliation learns the rest. A nil channel never
	// ends a write; reads are not bound to it.
	Term func() <-chan struct{}
	// PageSize is how many entries a listing reads per request; 0:
	// DefaultPageSize.
	PageSize int
}

// Journal is a journal.Store in etcd. It is safe for concurrent use, and
// any number of Journals (in any number of processes) may share a prefix:
// their writes are serialised by etcd's transactions.
type Journal struct {
	kv   clientv3.KV
	opt  Options
	seqK string
}

var _ journal.Store = (*Journal)(nil)

// New returns the journal under opt.Prefix through cli, which the caller
// owns and closes.
func New(cli clientv3.KV, opt Options) *Journal {
	if opt.Timeout <= 0 {
		opt.Timeout = DefaultTimeout
	}
	if opt.PageSize <= 0 {
		opt.PageSize = DefaultPageSize
	}
	return &Journal{kv: cli, opt: opt, seqK: opt.Prefix + "journal/seq"}
}

// Close does nothing: the client is the caller's.
func (j *Journal) Close() error { return nil }

func (j *Journal) entriesPrefix() string { return j.opt.Prefix + "journal/entries/" }

func (j *Journal) idKey(moveID string) string { return j.opt.Prefix + "journal/ids/" + moveID }

// entryKey is the key of the entry with sequence number seq: newest first.
func (j *Journal) entryKey(seq uint64) string {
	return fmt.Sprintf("%s%016x", j.entriesPrefix(), math.MaxUint64-seq)
}

func (j *Journal) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), j.opt.Timeout)
}

// stored is an entry as read, with the revision a write compares.
type stored struct {
	e      journal.Entry
	key    string
	modRev int64
}

// lookup reads the move id's entry; ok is false when it has none.
func (j *Journal) lookup(ctx context.Context, moveID string) (s stored, ok bool, err error) {
	r, err := j.kv.Get(ctx, j.idKey(moveID))
	if err != nil || len(r.Kvs) == 0 {
		return stored{}, false, err
	}
	key := j.entriesPrefix() + string(r.Kvs[0].Value)
	er, err := j.kv.Get(ctx, key, clientv3.WithRev(r.Header.Revision))
	if err != nil {
		return stored{}, false, err
	}
	if len(er.Kvs) == 0 {
		return stored{}, false, fmt.Errorf("%w %s: its entry %s is missing", ErrCorrupt, j.idKey(moveID), key)
	}
	s, err = decode(er.Kvs[0].Key, er.Kvs[0].Value, er.Kvs[0].ModRevision)
	return s, err == nil, err
}

func decode(key, value []byte, modRev int64) (stored, error) {
	var e journal.Entry
	if err := json.Unmarshal(value, &e); err != nil {
		return stored{}, fmt.Errorf("%w %s: %w", ErrCorrupt, key, err)
	}
	return stored{e: e, key: string(key), modRev: modRev}, nil
}

// readSeq returns the last sequence number given and the revision to
// compare when giving the next.
func (j *Journal) readSeq(g *clientv3.GetResponse) (uint64, int64, error) {
	kv := g.Kvs
	if len(kv) == 0 {
		return 0, 0, nil
	}
	n, err := strconv.ParseUint(string(kv[0].Value), 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("%w %s: %w", ErrCorrupt, j.seqK, err)
	}
	return n, kv[0].ModRevision, nil
}

// insertOps are the operations that add e as a new entry with sequence
// number seq, and the comparison that the move id has none yet.
func (j *Journal) insertOps(e journal.Entry, seq uint64) ([]clientv3.Op, clientv3.Cmp, error) {
	e.Seq = seq
	e.Started, e.Ended = time.Time{}, time.Time{}
	v, err := json.Marshal(e)
	if err != nil {
		return nil, clientv3.Cmp{}, err
	}
	key := j.entryKey(seq)
	ops := []clientv3.Op{
		clientv3.OpPut(key, string(v)),
		clientv3.OpPut(j.idKey(e.MoveID), strings.TrimPrefix(key, j.entriesPrefix())),
	}
	return ops, clientv3.Compare(clientv3.CreateRevision(j.idKey(e.MoveID)), "=", 0), nil
}

func (j *Journal) put(ctx context.Context, s stored, e journal.Entry) error {
	v, err := json.Marshal(e)
	if err != nil {
		return err
	}
	_, err = Commit(ctx, j.kv, j.opt.Fence,
		[]clientv3.Cmp{clientv3.Compare(clientv3.ModRevision(s.key), "=", s.modRev)},
		clientv3.OpPut(s.key, string(v)))
	return err
}

// retry runs write until it does not conflict, at most tries times.
func retry(write func() error) error {
	var err error
	for range tries {
		if err = write(); !errors.Is(err, ErrConflict) {
			return err
		}
	}
	return err
}
