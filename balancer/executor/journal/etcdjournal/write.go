package etcdjournal

import (
	"fmt"
	"strconv"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Intend records the intent to migrate (see journal.Store): of two
// writers intending one move id at once, one creates the intent and the
// other gets it back with created false.
func (j *Journal) Intend(e journal.Entry) (journal.Entry, bool, error) {
	if e.MoveID == "" {
		return journal.Entry{}, false, journal.ErrMissingMoveID
	}
	ctx, cancel := j.writeCtx()
	defer cancel()
	var out journal.Entry
	var created bool
	err := retry(func() error {
		created = false
		r, err := j.kv.Txn(ctx).Then(clientv3.OpGet(j.idKey(e.MoveID)), clientv3.OpGet(j.seqK)).Commit()
		if err != nil {
			return err
		}
		if len(r.Responses[0].GetResponseRange().Kvs) > 0 {
			old, _, err := j.lookup(ctx, e.MoveID)
			if err != nil || old.e.State != journal.StateQueued {
				out = old.e
				return err
			}
			next := old.e
			next.State, next.Intent = journal.StateIntent, e.Intent
			if err := j.put(ctx, old, next); err != nil {
				return err
			}
			out, created = next, true
			return nil
		}
		seq, seqRev, err := j.readSeq((*clientv3.GetResponse)(r.Responses[1].GetResponseRange()))
		if err != nil {
			return err
		}
		e.State = journal.StateIntent
		ops, absent, err := j.insertOps(e, seq+1)
		if err != nil {
			return err
		}
		ops = append(ops, clientv3.OpPut(j.seqK, strconv.FormatUint(seq+1, 10)))
		cmps := []clientv3.Cmp{absent, clientv3.Compare(clientv3.ModRevision(j.seqK), "=", seqRev)}
		if _, err := Commit(ctx, j.kv, j.opt.Fence, cmps, ops...); err != nil {
			return err
		}
		out, created = e, true
		out.Seq, out.Started, out.Ended = seq+1, time.Time{}, time.Time{}
		return nil
	})
	if err != nil {
		return journal.Entry{}, false, fmt.Errorf("journal intent of %s: %w", e.MoveID, TermError(ctx, err))
	}
	return out, created, nil
}

// Queue records new move ids as queued (see journal.Store), a chunk of
// queueChunk entries per transaction: a batch that fits in one is all or
// nothing; of a longer one, an error or a crash between two chunks leaves
// the later ones unqueued, and queuing the same moves again adds them.
func (j *Journal) Queue(es []journal.Entry) ([]bool, error) {
	for _, e := range es {
		if e.MoveID == "" {
			return nil, fmt.Errorf("journal queued moves: %w", journal.ErrMissingMoveID)
		}
	}
	ctx, cancel := j.writeCtx()
	defer cancel()
	created := make([]bool, len(es))
	for lo := 0; lo < len(es); lo += queueChunk {
		hi := min(lo+queueChunk, len(es))
		err := retry(func() error {
			gets := []clientv3.Op{clientv3.OpGet(j.seqK)}
			for _, e := range es[lo:hi] {
				gets = append(gets, clientv3.OpGet(j.idKey(e.MoveID), clientv3.WithCountOnly()))
			}
			r, err := j.kv.Txn(ctx).Then(gets...).Commit()
			if err != nil {
				return err
			}
			seq, seqRev, err := j.readSeq((*clientv3.GetResponse)(r.Responses[0].GetResponseRange()))
			if err != nil {
				return err
			}
			cmps := []clientv3.Cmp{clientv3.Compare(clientv3.ModRevision(j.seqK), "=", seqRev)}
			var ops []clientv3.Op
			now := map[string]bool{}
			made := make([]bool, hi-lo)
			for i, e := range es[lo:hi] {
				if r.Responses[i+1].GetResponseRange().Count > 0 || now[e.MoveID] {
					continue
				}
				seq++
				e.State = journal.StateQueued
				add, absent, err := j.insertOps(e, seq)
				if err != nil {
					return err
				}
				ops, cmps = append(ops, add...), append(cmps, absent)
				now[e.MoveID], made[i] = true, true
			}
			if len(ops) == 0 {
				return nil
			}
			ops = append(ops, clientv3.OpPut(j.seqK, strconv.FormatUint(seq, 10)))
			if _, err := Commit(ctx, j.kv, j.opt.Fence, cmps, ops...); err != nil {
				return err
			}
			copy(created[lo:hi], made)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("journal queued moves: %w", TermError(ctx, err))
		}
	}
	return created, nil
}

// Transition moves an entry to state to (see journal.Store): of two
// writers making a transition of one entry at once, the second reads the
// first's and is refused when it no longer applies.
func (j *Journal) Transition(moveID string, to journal.State, at time.Time, cause, msg string) (journal.Entry, error) {
	ctx, cancel := j.writeCtx()
	defer cancel()
	var out journal.Entry
	err := retry(func() error {
		s, ok, err := j.lookup(ctx, moveID)
		if err != nil {
			return err
		}
		if !ok {
			return journal.ErrNotFound
		}
		next, err := s.e.Next(to, at, cause, msg)
		if err != nil {
			return err
		}
		if err := j.put(ctx, s, next); err != nil {
			return err
		}
		out = next
		return nil
	})
	if err != nil {
		return journal.Entry{}, fmt.Errorf("journal %s of %s: %w", to, moveID, TermError(ctx, err))
	}
	return out, nil
}

// Get returns one entry, or journal.ErrNotFound.
func (j *Journal) Get(moveID string) (journal.Entry, error) {
	ctx, cancel := j.ctx()
	defer cancel()
	s, ok, err := j.lookup(ctx, moveID)
	if err == nil && !ok {
		err = journal.ErrNotFound
	}
	if err != nil {
		return journal.Entry{}, fmt.Errorf("journal get %s: %w", moveID, err)
	}
	return s.e, nil
}
