package etcdjournal

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrTermEnded is returned by a write that was still waiting for etcd
// when the writer's term ended (Options.Term), or that began after it.
// Such a write may or may not have been applied, as after a crash.
var ErrTermEnded = errors.New("the writer's term ended")

// WriteContext is the context of one write to etcd: it ends after
// timeout, or as the channel term returns is closed (the writer's term
// ends), with ErrTermEnded as its cause (see TermError). A nil term, or a
// nil channel, never ends it; a channel closed already ends it at once,
// so that the write is not sent.
func WriteContext(timeout time.Duration, term func() <-chan struct{}) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	if term == nil {
		return ctx, cancel
	}
	done := term()
	if done == nil {
		return ctx, cancel
	}
	cctx, cancelCause := context.WithCancelCause(ctx)
	select {
	case <-done: // ended already: the write is not sent
		cancelCause(ErrTermEnded)
		return cctx, cancel
	default:
	}
	go func() {
		select {
		case <-done:
			cancelCause(ErrTermEnded)
		case <-cctx.Done():
		}
	}()
	return cctx, func() { cancelCause(context.Canceled); cancel() }
}

// TermError is err, or ErrTermEnded wrapped with it when ctx, a
// WriteContext, ended with the term.
func TermError(ctx context.Context, err error) error {
	if err != nil && errors.Is(context.Cause(ctx), ErrTermEnded) {
		return fmt.Errorf("%w: %w", ErrTermEnded, err)
	}
	return err
}

// writeCtx is a write's context, bound to Options.Timeout and Term.
func (j *Journal) writeCtx() (context.Context, context.CancelFunc) {
	return WriteContext(j.opt.Timeout, j.opt.Term)
}
