package ha

import (
	"context"
	"errors"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// ErrNotLeader is returned by Check when this daemon does not lead.
var ErrNotLeader = errors.New("not the leader")

// ErrFenced is returned by Check when etcd no longer holds this daemon's
// leader key: the term ended though the daemon has not noticed yet.
var ErrFenced = errors.New("fenced: the leader key is gone or was replaced")

// Fence returns the comparisons that make an etcd transaction succeed only
// while this daemon's leader key exists with the create revision of the
// current term. When it does not lead, the fence never holds: a write
// conditioned on it always fails. A fence taken during a term keeps
// naming that term: it fails after the term ends, even if this daemon
// leads again.
func (e *Elector) Fence() []clientv3.Cmp {
	if t := e.Leading(); t != nil {
		return t.Fence()
	}
	// No key has a negative create revision.
	return []clientv3.Cmp{clientv3.Compare(clientv3.CreateRevision(e.electionPrefix()), "<", 0)}
}

// Fence returns the comparisons that hold while the term's leader key
// exists with the term's create revision.
func (t *Term) Fence() []clientv3.Cmp {
	return []clientv3.Cmp{clientv3.Compare(clientv3.CreateRevision(t.key), "=", t.Rev)}
}

// Check asks etcd whether this daemon still leads: nil when its leader key
// is there with the current term's revision, ErrNotLeader when it does not
// lead, ErrFenced when the key is gone, or the error reaching etcd (an
// unreachable etcd is no proof of leading). Check before an action that is
// not an etcd write, such as starting a migration.
func (e *Elector) Check(ctx context.Context) error {
	t := e.Leading()
	if t == nil {
		return ErrNotLeader
	}
	resp, err := e.client.Txn(ctx).If(t.Fence()...).Commit()
	if err != nil {
		return fmt.Errorf("check leadership: %w", err)
	}
	if !resp.Succeeded {
		return ErrFenced
	}
	return nil
}

// Write applies ops in one etcd transaction conditioned on Fence: it
// returns ErrNotLeader, and changes nothing, when this daemon does not
// lead or its term has ended, or the error reaching etcd.
func (e *Elector) Write(ctx context.Context, ops ...clientv3.Op) error {
	resp, err := e.client.Txn(ctx).If(e.Fence()...).Then(ops...).Commit()
	if err != nil {
		return err
	}
	if !resp.Succeeded {
		return ErrNotLeader
	}
	return nil
}
