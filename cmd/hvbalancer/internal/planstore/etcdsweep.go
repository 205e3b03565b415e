package planstore

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/etcdjournal"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// stamp is the value of a saving key: now, on this daemon's clock.
func stamp() string { return time.Now().UTC().Format(time.RFC3339Nano) }

// isSaving reports whether a Save of plan id is under way here.
func (s *Etcd) isSaving(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.saving[id] > 0
}

// sweepState is what Sweep reads, at one revision: the plans with a
// record, those with files, and the saving keys.
type sweepState struct {
	records map[string]bool
	files   map[string]bool
	saving  map[string]savingKey
}

// savingKey is a plan's saving key as read: when its Save began (zero
// when the value does not say) and its mod revision.
type savingKey struct {
	at     time.Time
	modRev int64
}

// Sweep removes the files of plans without a record whose Save began
// before before (their saving key says when), each with its saving key
// in one transaction that holds only while the plan still has no record
// and its saving key is the one read. Files without a record or a
// saving key (left by a daemon that did not write one) get a saving key
// of now: a later Sweep removes them. A saving key left beside a record
// (a Save of a plan saved before, cut short) is removed once older than
// before. Plans this store is saving stay. Every write is fenced.
func (s *Etcd) Sweep(before time.Time) (int, error) {
	st, err := s.readSweep()
	if err != nil {
		return 0, fmt.Errorf("sweep plan store: %w", err)
	}
	n := 0
	for id := range st.files {
		if _, ok := st.saving[id]; ok || st.records[id] || s.isSaving(id) {
			continue
		}
		unmarked := clientv3.Compare(clientv3.CreateRevision(s.savingKey(id)), "=", 0)
		if _, err := s.commit([]clientv3.Cmp{s.noRecord(id), unmarked}, clientv3.OpPut(s.savingKey(id), stamp())); err != nil {
			return n, fmt.Errorf("sweep plan store: %s: %w", id, err)
		}
	}
	for id, k := range st.saving {
		if !k.at.Before(before) || s.isSaving(id) {
			continue
		}
		same := clientv3.Compare(clientv3.ModRevision(s.savingKey(id)), "=", k.modRev)
		var removed bool
		if st.records[id] { // only the saving key is left over
			_, err = s.commit([]clientv3.Cmp{same}, clientv3.OpDelete(s.savingKey(id)))
		} else {
			removed, err = s.commit([]clientv3.Cmp{s.noRecord(id), same},
				clientv3.OpDelete(s.filesPrefix(id), clientv3.WithPrefix()), clientv3.OpDelete(s.savingKey(id)))
		}
		if removed {
			n++
		}
		if err != nil {
			return n, fmt.Errorf("sweep plan store: %s: %w", id, err)
		}
	}
	return n, nil
}

// noRecord holds while plan id has no record.
func (s *Etcd) noRecord(id string) clientv3.Cmp {
	return clientv3.Compare(clientv3.CreateRevision(s.recordKey(id)), "=", 0)
}

// commit writes ops, fenced, if cmps hold, and reports whether it did:
// that they no longer hold (the plan was saved, or a Save began, since
// Sweep read it) is not an error.
func (s *Etcd) commit(cmps []clientv3.Cmp, ops ...clientv3.Op) (bool, error) {
	ctx, cancel := s.writeCtx()
	defer cancel()
	_, err := etcdjournal.Commit(ctx, s.kv, s.opt.Fence, cmps, ops...)
	if errors.Is(err, etcdjournal.ErrConflict) {
		return false, nil
	}
	return err == nil, etcdjournal.TermError(ctx, err)
}

// readSweep reads the records' keys, the files' keys and the saving keys
// at one revision: a read in order to write, ending with the term as the
// writes do.
func (s *Etcd) readSweep() (sweepState, error) {
	ctx, cancel := s.writeCtx()
	defer cancel()
	files := s.opt.Prefix + "plans/files/"
	r, err := s.kv.Txn(ctx).Then(
		clientv3.OpGet(s.recordsPrefix(), clientv3.WithPrefix(), clientv3.WithKeysOnly()),
		clientv3.OpGet(files, clientv3.WithPrefix(), clientv3.WithKeysOnly()),
		clientv3.OpGet(s.savingPrefix(), clientv3.WithPrefix()),
	).Commit()
	if err != nil {
		return sweepState{}, etcdjournal.TermError(ctx, err)
	}
	st := sweepState{records: map[string]bool{}, files: map[string]bool{}, saving: map[string]savingKey{}}
	for _, kv := range r.Responses[0].GetResponseRange().Kvs {
		st.records[strings.TrimPrefix(string(kv.Key), s.recordsPrefix())] = true
	}
	for _, kv := range r.Responses[1].GetResponseRange().Kvs {
		id, _, _ := strings.Cut(strings.TrimPrefix(string(kv.Key), files), "/")
		st.files[id] = true
	}
	for _, kv := range r.Responses[2].GetResponseRange().Kvs {
		at, err := time.Parse(time.RFC3339Nano, string(kv.Value))
		if err != nil {
			at = time.Time{} // unreadable: as old as can be
		}
		st.saving[strings.TrimPrefix(string(kv.Key), s.savingPrefix())] = savingKey{at: at, modRev: kv.ModRevision}
	}
	return st, nil
}
