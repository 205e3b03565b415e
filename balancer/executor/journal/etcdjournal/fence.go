package etcdjournal

import (
	"context"
	"errors"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Fence returns the comparisons that hold while the writer may write
// (typically that the election's leader key still has the create revision
// this writer's leadership began with). nil means unfenced: the writer is
// the only one.
type Fence func() []clientv3.Cmp

// Errors of a write.
var (
	// ErrFenced is returned when the fence's comparisons failed: the
	// writer is no longer the leader, and nothing was changed.
	ErrFenced = errors.New("write refused: this writer no longer holds the lease it was fenced on")
	// ErrConflict is returned when what a write read changed before it
	// committed, as many times as a write tries again.
	ErrConflict = errors.New("write conflict: another writer changed the same keys")
)

// Commit runs ops in one transaction if both the fence and cmps hold, and
// returns the store's revision after it (the mod revision of what ops
// put). It returns ErrFenced when the fence failed and ErrConflict when
// cmps did; in both cases nothing changed.
func Commit(ctx context.Context, kv clientv3.KV, fence Fence, cmps []clientv3.Cmp, ops ...clientv3.Op) (int64, error) {
	var guard []clientv3.Cmp
	if fence != nil {
		guard = fence()
	}
	resp, err := kv.Txn(ctx).If(guard...).Then(clientv3.OpTxn(cmps, ops, nil)).Commit()
	switch {
	case err != nil:
		return 0, err
	case !resp.Succeeded:
		return 0, ErrFenced
	case !resp.Responses[0].GetResponseTxn().Succeeded:
		return 0, ErrConflict
	}
	return resp.Header.Revision, nil
}
