package daemon

import (
	"context"
	"fmt"
	"os"
	"sync"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/ha"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
)

// With an ha section the pause is the fleet's, not one daemon's: it is a
// key in etcd, which the leader writes (a standby forwards the request)
// and every daemon follows, so that a pause outlives a takeover. The
// pause file still pauses the daemon whose disk holds it.
//
// The pause is the emergency stop: the executor here stops at once, before
// the write, so that an etcd slow to answer, or one this daemon is cut off
// from, never delays it. Until the write lands the pause is held against
// the fleet's (pauseHold); a write that fails leaves it held for the rest
// of the term, and the caller is told whether the fleet's pause is
// recorded (see writeShared).

// pauseKey is the shared pause's key; its value is the reason.
func (d *Daemon) pauseKey() string { return d.ha.Prefix() + "/pause" }

// pauseHold is a pause this daemon took while leading whose write to etcd
// has not landed: syncPause does not resume the executor for the fleet's
// pause while the term it was taken in lasts.
type pauseHold struct {
	mu   sync.Mutex
	term *ha.Term // nil: nothing held
}

// pauseShared pauses the executor at once, holding the pause, then records
// the fleet's pause; the hold ends when it is recorded.
func (d *Daemon) pauseShared(reason string) error {
	t := d.ha.Leading()
	d.hold.mu.Lock()
	d.hold.term = t
	d.exec.Pause(reason)
	d.hold.mu.Unlock()
	if err := d.setSharedPause(true, reason); err != nil {
		return fmt.Errorf("pause: this daemon's executor is paused, but %w", err)
	}
	d.hold.mu.Lock()
	if d.hold.term == t {
		d.hold.term = nil
	}
	d.hold.mu.Unlock()
	return nil
}

// resumeShared deletes the fleet's pause, then resumes the executor; a
// write that fails leaves it paused.
func (d *Daemon) resumeShared() error {
	if err := d.setSharedPause(false, ""); err != nil {
		return fmt.Errorf("resume: the executor stays paused: %w", err)
	}
	d.hold.mu.Lock()
	d.hold.term = nil
	d.hold.mu.Unlock()
	if _, err := os.Stat(d.pauseFile()); err == nil {
		return fmt.Errorf("resume: the pause file %s still pauses this daemon: %w", d.pauseFile(), web.ErrConflict)
	}
	d.exec.Resume()
	return nil
}

// syncSharedPause follows the fleet's pause, unless this daemon holds a
// pause of its own in the term it leads.
func (d *Daemon) syncSharedPause() {
	shared, reason, ok := d.sharedPause()
	if !ok {
		return
	}
	d.hold.mu.Lock()
	defer d.hold.mu.Unlock()
	paused, _ := d.exec.Paused()
	switch {
	case shared && !paused:
		d.exec.Pause(reason)
	case !shared && paused && (d.hold.term == nil || d.hold.term != d.ha.Leading()):
		d.exec.Resume()
	}
}

// setSharedPause writes (paused) or deletes the shared pause, fenced and
// ending with the term: only the leader changes it.
func (d *Daemon) setSharedPause(paused bool, reason string) error {
	op := clientv3.OpDelete(d.pauseKey())
	if paused {
		op = clientv3.OpPut(d.pauseKey(), reason)
	}
	return writeShared(d.ha, "the fleet's pause", op)
}

// sharedPause reads the shared pause: whether it is set and why. An
// unreachable etcd says nothing (ok false): the executor keeps its state.
func (d *Daemon) sharedPause() (paused bool, reason string, ok bool) {
	ctx, cancel := context.WithTimeout(context.Background(), sharedTimeout)
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
