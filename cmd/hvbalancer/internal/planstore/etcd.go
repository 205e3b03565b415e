package planstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/etcdjournal"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Sizes of the etcd store.
const (
	// ChunkSize is the most bytes of a file one key holds.
	ChunkSize = 256 << 10
	// chunksPerTxn keep a transaction under etcd's default request limit
	// of 1.5 MiB.
	chunksPerTxn = 4
	// DefaultPageSize is how many records Records reads per request.
	DefaultPageSize = 200
)

// EtcdOptions configure an Etcd store.
type EtcdOptions struct {
	// Prefix is put before every key, e.g. "/hvbalancer/site-a/".
	Prefix string
	// Fence is added to every write's comparisons; nil: unfenced. A
	// fenced write that fails changes nothing and returns an error
	// wrapping etcdjournal.ErrFenced.
	Fence etcdjournal.Fence
	// Timeout bounds each call; 0: etcdjournal.DefaultTimeout.
	Timeout time.Duration
	// Term, when set, returns a channel closed when the writer's right to
	// write ends (the leader's term), read as each write begins, as
	// etcdjournal.Options.Term: a write still waiting for etcd then ends at
	// once with an error wrapping etcdjournal.ErrTermEnded instead of
	// waiting out Timeout, and one begun after the term ended is not sent.
	// Such a write may or may not have been applied: what etcd holds says
	// (an Update either left the record at its version or wrote it whole).
	// A nil channel never ends a write. Reads are not bound to it, but
	// those of Writer's view are, and Sweep's.
	Term func() <-chan struct{}
	// PageSize is how many records Records reads per request; 0:
	// DefaultPageSize.
	PageSize int
}

// Etcd keeps plans in etcd, for daemons that share them. It is safe for
// concurrent use, by any number of processes.
type Etcd struct {
	kv  clientv3.KV
	opt EtcdOptions
	z   codec

	mu     sync.Mutex
	saving saves // plans whose Save is under way here
}

var _ Store = (*Etcd)(nil)

// NewEtcd returns the plan store under opt.Prefix through kv (a
// clientv3.Client the caller owns).
func NewEtcd(kv clientv3.KV, opt EtcdOptions) *Etcd {
	if opt.Timeout <= 0 {
		opt.Timeout = etcdjournal.DefaultTimeout
	}
	if opt.PageSize <= 0 {
		opt.PageSize = DefaultPageSize
	}
	return &Etcd{kv: kv, opt: opt, z: newCodec(), saving: saves{}}
}

func (s *Etcd) recordsPrefix() string      { return s.opt.Prefix + "plans/records/" }
func (s *Etcd) recordKey(id string) string { return s.recordsPrefix() + id }
func (s *Etcd) filesPrefix(id string) string {
	return s.opt.Prefix + "plans/files/" + id + "/"
}
func (s *Etcd) savingPrefix() string              { return s.opt.Prefix + "plans/saving/" }
func (s *Etcd) savingKey(id string) string        { return s.savingPrefix() + id }
func (s *Etcd) filePrefix(id, name string) string { return s.filesPrefix(id) + name + "/" }
func (s *Etcd) fileKey(id, name string, chunk int) string {
	return fmt.Sprintf("%s%s%04d", s.filePrefix(id, name), zChunk, chunk)
}

func (s *Etcd) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), s.opt.Timeout)
}

// writeCtx is a write's context: it ends after Timeout, or with the term
// (see etcdjournal.TermError).
func (s *Etcd) writeCtx() (context.Context, context.CancelFunc) {
	return etcdjournal.WriteContext(s.opt.Timeout, s.opt.Term)
}

// Save writes when it began (the plan's saving key), then the plan's
// files, a few chunks per transaction, then its record, deleting the
// saving key.
func (s *Etcd) Save(id string, files []File, record []byte) (Record, error) {
	defer s.saving.begin(&s.mu, id)()
	ctx, cancel := s.writeCtx()
	defer cancel()
	if _, err := etcdjournal.Commit(ctx, s.kv, s.opt.Fence, nil, clientv3.OpPut(s.savingKey(id), stamp())); err != nil {
		return Record{}, fmt.Errorf("save plan %s: %w", id, etcdjournal.TermError(ctx, err))
	}
	for _, f := range files {
		if err := s.saveFile(ctx, id, f); err != nil {
			return Record{}, fmt.Errorf("save plan %s: %w", id, etcdjournal.TermError(ctx, err))
		}
	}
	rev, err := etcdjournal.Commit(ctx, s.kv, s.opt.Fence, nil,
		clientv3.OpPut(s.recordKey(id), string(record)), clientv3.OpDelete(s.savingKey(id)))
	if err != nil {
		return Record{}, fmt.Errorf("save plan record %s: %w", id, etcdjournal.TermError(ctx, err))
	}
	return Record{ID: id, Data: bytes.Clone(record), Version: rev}, nil
}

// saveFile replaces a file's chunks, compressed, a few per transaction;
// the first transaction deletes the chunks of an uncompressed file of
// that name, the last those beyond the new ones (of an older, longer
// file).
func (s *Etcd) saveFile(ctx context.Context, id string, f File) error {
	prefix := s.filePrefix(id, f.Name)
	ops := []clientv3.Op{clientv3.OpDelete(prefix+"0", clientv3.WithRange(prefix+":"))} // 0000 to 9999
	data := s.z.compress(f.Data)
	for chunk := 0; chunk == 0 || len(data) > 0; chunk++ {
		n := min(len(data), ChunkSize)
		ops = append(ops, clientv3.OpPut(s.fileKey(id, f.Name, chunk), string(data[:n])))
		data = data[n:]
		if len(data) == 0 {
			ops = append(ops, clientv3.OpDelete(s.fileKey(id, f.Name, chunk+1),
				clientv3.WithRange(clientv3.GetPrefixRangeEnd(prefix))))
		}
		if len(ops) >= chunksPerTxn || len(data) == 0 {
			if _, err := etcdjournal.Commit(ctx, s.kv, s.opt.Fence, nil, ops...); err != nil {
				return fmt.Errorf("%s: %w", f.Name, err)
			}
			ops = nil
		}
	}
	return nil
}

// Writer is the store as its writer reads it: the same store, whose reads
// (Get, Records, File) end with the term as its writes do, with an error
// wrapping etcdjournal.ErrTermEnded, so that the read before a write (the
// record an update changes, the records a round acts on, the plan an
// approval submits) does not keep a writer cut off from etcd waiting for
// Timeout once its term is over, and one begun after is not sent. Nothing
// is written when such a read fails. Readers that do not write (a
// standby's API) read through the store itself.
func (s *Etcd) Writer() Store { return writerView{s} }

// writerView is Writer's view: reads bound to the term.
type writerView struct{ *Etcd }

// Records implements Store.
func (v writerView) Records() ([]Record, error) {
	ctx, cancel := v.writeCtx()
	defer cancel()
	return v.records(ctx)
}

// Get implements Store.
func (v writerView) Get(id string) (Record, error) {
	ctx, cancel := v.writeCtx()
	defer cancel()
	return v.get(ctx, id)
}

// File implements Store.
func (v writerView) File(id, name string) ([]byte, error) {
	ctx, cancel := v.writeCtx()
	defer cancel()
	return v.file(ctx, id, name)
}

// Records reads every record, a page at a time, at one revision.
func (s *Etcd) Records() ([]Record, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	return s.records(ctx)
}

// records reads every record in ctx (ctx or writeCtx).
func (s *Etcd) records(ctx context.Context) ([]Record, error) {
	from, end := s.recordsPrefix(), clientv3.GetPrefixRangeEnd(s.recordsPrefix())
	var out []Record
	var rev int64
	for {
		opts := []clientv3.OpOption{clientv3.WithRange(end), clientv3.WithLimit(int64(s.opt.PageSize))}
		if rev > 0 {
			opts = append(opts, clientv3.WithRev(rev))
		}
		r, err := s.kv.Get(ctx, from, opts...)
		if err != nil {
			return nil, fmt.Errorf("list plans: %w", etcdjournal.TermError(ctx, err))
		}
		if rev == 0 {
			rev = r.Header.Revision
		}
		for _, kv := range r.Kvs {
			id := strings.TrimPrefix(string(kv.Key), s.recordsPrefix())
			out = append(out, Record{ID: id, Data: kv.Value, Version: kv.ModRevision})
		}
		if !r.More || len(r.Kvs) == 0 {
			return out, nil
		}
		from = string(r.Kvs[len(r.Kvs)-1].Key) + "\x00"
	}
}

// Get reads one record.
func (s *Etcd) Get(id string) (Record, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	return s.get(ctx, id)
}

// get reads one record in ctx.
func (s *Etcd) get(ctx context.Context, id string) (Record, error) {
	r, err := s.kv.Get(ctx, s.recordKey(id))
	if err != nil {
		return Record{}, fmt.Errorf("read plan record %s: %w", id, etcdjournal.TermError(ctx, err))
	}
	if len(r.Kvs) == 0 {
		return Record{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	return Record{ID: id, Data: r.Kvs[0].Value, Version: r.Kvs[0].ModRevision}, nil
}

// Update writes the record in one transaction comparing its mod revision
// with version.
func (s *Etcd) Update(id string, version int64, record []byte) (Record, error) {
	ctx, cancel := s.writeCtx()
	defer cancel()
	key := s.recordKey(id)
	rev, err := etcdjournal.Commit(ctx, s.kv, s.opt.Fence,
		[]clientv3.Cmp{clientv3.Compare(clientv3.ModRevision(key), "=", version)},
		clientv3.OpPut(key, string(record)))
	if errors.Is(err, etcdjournal.ErrConflict) {
		if _, gerr := s.get(ctx, id); errors.Is(gerr, ErrNotFound) {
			return Record{}, gerr
		}
		err = ErrConflict
	}
	if err != nil {
		return Record{}, fmt.Errorf("update plan record %s: %w", id, etcdjournal.TermError(ctx, err))
	}
	return Record{ID: id, Data: bytes.Clone(record), Version: rev}, nil
}

// File reads a file's chunks and the plan's record at one revision.
func (s *Etcd) File(id, name string) ([]byte, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	return s.file(ctx, id, name)
}

// file reads a file in ctx.
func (s *Etcd) file(ctx context.Context, id, name string) ([]byte, error) {
	r, err := s.kv.Txn(ctx).Then(
		clientv3.OpGet(s.recordKey(id), clientv3.WithCountOnly()),
		clientv3.OpGet(s.filePrefix(id, name), clientv3.WithPrefix()),
	).Commit()
	if err != nil {
		return nil, fmt.Errorf("read plan %s: %w", id, etcdjournal.TermError(ctx, err))
	}
	if r.Responses[0].GetResponseRange().Count == 0 {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	kvs := r.Responses[1].GetResponseRange().Kvs
	if len(kvs) == 0 {
		return nil, fmt.Errorf("read plan %s: %s: %w", id, name, fs.ErrNotExist)
	}
	chunks := make([]chunk, len(kvs))
	for i, kv := range kvs { // in key order: chunk 0000 first
		chunks[i] = chunk{key: string(kv.Key), value: kv.Value}
	}
	b, err := s.z.join(chunks, s.filePrefix(id, name))
	if err != nil {
		return nil, fmt.Errorf("read plan %s: %s: %w", id, name, err)
	}
	return b, nil
}

// Remove deletes the record and the files in one transaction.
func (s *Etcd) Remove(id string) error {
	ctx, cancel := s.writeCtx()
	defer cancel()
	_, err := etcdjournal.Commit(ctx, s.kv, s.opt.Fence, nil,
		clientv3.OpDelete(s.recordKey(id)),
		clientv3.OpDelete(s.filesPrefix(id), clientv3.WithPrefix()),
		clientv3.OpDelete(s.savingKey(id)))
	if err != nil {
		return fmt.Errorf("remove plan %s: %w", id, etcdjournal.TermError(ctx, err))
	}
	return nil
}
