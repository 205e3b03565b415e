package daemon

import (
	"context"
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// pauseTimeout bounds one read or write of the shared pause.
const pauseTimeout = 5 * time.Second

// With an ha section the pause is the fleet's, not one daemon's: it is a
// key in etcd, which the leader writes (a standby forwards the request)
// and every daemon follows, so that a pause outlives a takeover. The
// pause file still pauses the daemon whose disk holds it.

// pauseKey is the shared pause's key; its value is the reason.
func (d *Daemon) pauseKey() string { return d.ha.Prefix() + "/pause" }

// setSharedPause writes (paused) or deletes the shared pause, fenced: only
// the leader changes it.
func (d *Daemon) setSharedPause(paused bool, reason string) error {
	ctx, cancel := context.WithTimeout(context.Background(), pauseTimeout)
	defer cancel()
	op := clientv3.OpDelete(d.pauseKey())
	if paused {
		op = clientv3.OpPut(d.pauseKey(), reason)
	}
	if err := d.ha.Write(ctx, op); err != nil {
		return fmt.Errorf("shared pause: %w", err)
	}
	return nil
}

// sharedPause reads the shared pause: whether it is set and why. An
// unreachable etcd says nothing (ok false): the executor keeps its state.
func (d *Daemon) sharedPause() (paused bool, reason string, ok bool) {
	ctx, cancel := context.WithTimeout(context.Background(), pauseTimeout)
	defer cancel()
	resp, err := d.ha.Client().Get(ctx, d.pauseKey())
	if err != nil {
		return false, "", false
	}
	if len(resp.Kvs) == 0 {
		return false, "", true
	}
	return true, string(resp.Kvs[0].Value), true
}
