package daemon

import (
	"errors"
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/etcdjournal"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/ha"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
)

// The fleet's pause and maintenance are written by the leader alone, fenced
// on its term, and like the journal's and the plan store's writes they end
// with the term (termEnds): a leader cut off from etcd answers the API
// caller when its lease runs out, not after sharedTimeout, and a write begun
// once the term has ended is not sent. The caller is told which of the two
// it got: a change not recorded (the daemon does not lead; ask the leader),
// or one that may or may not be recorded (etcd did not answer before the
// term or the timeout ended; read it back once etcd answers).

// sharedTimeout bounds one read or write of the fleet's pause or
// maintenance.
const sharedTimeout = 5 * time.Second

// errNotRecorded says a shared write changed nothing.
var errNotRecorded = errors.New("was not recorded")

// errMaybeRecorded says a shared write may or may not have been applied.
var errMaybeRecorded = errors.New("may or may not be recorded")

// writeShared applies ops in one transaction fenced on el's term, ending
// with the term or after sharedTimeout. what names the change in the error:
// one wrapping errNotRecorded, ha.ErrNotLeader and web.ErrUnavailable when the
// write was refused or not sent, or one wrapping errMaybeRecorded and the
// cause (etcdjournal.ErrTermEnded when the term ended while it waited).
func writeShared(el *ha.Elector, what string, ops ...clientv3.Op) error {
	ctx, cancel := etcdjournal.WriteContext(sharedTimeout, termEnds(el))
	defer cancel()
	if ctx.Err() != nil { // the term has ended: nothing is sent
		return fmt.Errorf("%s %w: this daemon's term has ended (%w): %w", what, errNotRecorded, ha.ErrNotLeader, web.ErrUnavailable)
	}
	err := el.Write(ctx, ops...)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ha.ErrNotLeader): // refused by the fence
		return fmt.Errorf("%s %w: %w: %w", what, errNotRecorded, err, web.ErrUnavailable)
	}
	return fmt.Errorf("%s %w in etcd (read it back once etcd answers): %w", what, errMaybeRecorded, etcdjournal.TermError(ctx, err))
}
