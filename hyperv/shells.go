package hyperv

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/masterzen/winrm"
)

// The client's remote shells. A client keeps one shell open on its host
// and runs every command in it, instead of a shell per call: a process
// killed between two calls leaves at most that one shell behind, not one
// per call in flight. The shell is named (see shellname.go) so that the
// next process can find and close it, and the host closes it by itself
// after Config.ShellIdleTimeout without a request. Before its first shell,
// after sweepEvery, and when the host refuses a shell over the quota, the
// client lists the account's shells on the host and closes those of its
// installation whose process is gone.

const (
	// sweepEvery is how often the client looks for orphaned shells.
	sweepEvery = 10 * time.Minute
	// maxCommandsPerShell retires a shell after so many commands: a
	// long-lived shell is replaced now and then rather than kept forever.
	maxCommandsPerShell = 500
	// closeWait bounds closing the shell when the client closes.
	closeWait = 5 * time.Second
)

// liveShell is one shell the client opened.
type liveShell struct {
	*winrm.Shell
	id       string
	users    int  // commands running in it
	commands int  // commands started in it
	retired  bool // no new commands; deleted when the last ends
	gone     bool // the host no longer has it
}

// shellKeeper owns a client's shells.
type shellKeeper struct {
	c *Client

	sweepEvery time.Duration // sweepEvery; tests shorten it

	mu        sync.Mutex
	cur       *liveShell
	lastSweep time.Time
	closed    bool
	bg        sync.WaitGroup // deletions of retired shells

	created, orphansClosed atomic.Uint64
}

// acquire returns the shell to run a command in, opening one when needed.
// The caller must release it.
func (k *shellKeeper) acquire() (*liveShell, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return nil, errClosed
	}
	if k.lastSweep.IsZero() || time.Since(k.lastSweep) >= k.sweepEvery {
		// Before the client's first shell, and every sweepEvery after. A
		// host that answered with a fault (an account that may not
		// enumerate, say) still gets its Create; one that did not answer,
		// or refused the login, fails the call now, without a second
		// failed logon.
		if _, err := k.sweep(); err != nil && !hostAnswered(err) {
			return nil, err
		}
	}
	if k.cur == nil {
		ls, err := k.create()
		if err != nil && isShellQuota(err.Error()) {
			if n, serr := k.sweep(); serr == nil && n > 0 {
				ls, err = k.create()
			}
		}
		if err != nil {
			return nil, err
		}
		k.cur = ls
	}
	ls := k.cur
	ls.users++
	ls.commands++
	if ls.commands >= maxCommandsPerShell {
		ls.retired = true
		k.cur = nil
	}
	return ls, nil
}

// release ends a command's use of ls. gone says the host reported the
// shell missing: it is forgotten, and the next command opens another.
func (k *shellKeeper) release(ls *liveShell, gone bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	ls.users--
	if gone {
		ls.gone, ls.retired = true, true
	}
	if ls.retired && k.cur == ls {
		k.cur = nil
	}
	if ls.retired && !ls.gone && ls.users == 0 && !k.closed {
		ls.gone = true
		k.bg.Go(func() { k.delete(ls.id) })
	}
}

// create opens a named shell; k.mu is held.
func (k *shellKeeper) create() (*liveShell, error) {
	c := k.c
	msg := createShellRequest(c.tr.target(), &c.wc.Parameters, thisProcess.shellName(c.cfg.ShellName), wsmanDuration(c.cfg.ShellIdleTimeout))
	resp, err := c.tr.Post(c.wc, msg)
	if err != nil {
		return nil, err
	}
	id, err := parseCreatedShell(resp)
	if err != nil {
		return nil, err
	}
	k.created.Add(1)
	return &liveShell{Shell: c.wc.NewShell(id), id: id}, nil
}

// delete closes a shell on the host; a shell already gone is no error.
func (k *shellKeeper) delete(id string) error {
	c := k.c
	_, err := c.tr.Post(c.wc, winrm.NewDeleteShellRequest(c.tr.target(), id, &c.wc.Parameters))
	if err != nil && !isShellGone(err.Error()) {
		return err
	}
	return nil
}

// hostAnswered reports whether a failed shell request got an answer from
// the host's WinRM service: a fault, or a response that could not be read,
// rather than no connection or a refused login.
func hostAnswered(err error) bool {
	return errors.Is(err, ErrUnexpectedOutput) || httpFaultRE.MatchString(err.Error())
}

// maxEnumPages bounds an enumeration, against a host that never ends it.
const maxEnumPages = 100

// Shells lists the remote shells of the client's account on the host, as
// the host reports them: only the account's own unless it administers
// the host.
func (c *Client) Shells(ctx context.Context) ([]RemoteShell, error) {
	var list []RemoteShell
	err := c.bounded(ctx, "list shells", func() error {
		var err error
		list, err = c.shells.list()
		return err
	})
	return list, err
}

// list enumerates the account's shells on the host.
func (k *shellKeeper) list() ([]RemoteShell, error) {
	c := k.c
	msg := enumerateShellsRequest(c.tr.target(), &c.wc.Parameters)
	var all []RemoteShell
	for page := 0; ; page++ {
		resp, err := c.tr.Post(c.wc, msg)
		if err != nil {
			return nil, err
		}
		shells, context, end, err := parseEnumeration(resp)
		if err != nil {
			return nil, err
		}
		all = append(all, shells...)
		if end {
			return all, nil
		}
		if page == maxEnumPages {
			return nil, fmt.Errorf("list shells: no end after %d pages: %w", page, ErrUnexpectedOutput)
		}
		msg = pullShellsRequest(c.tr.target(), &c.wc.Parameters, context)
	}
}

// sweep closes the orphaned shells of the client's installation and
// reports how many it closed; k.mu is held.
func (k *shellKeeper) sweep() (int, error) {
	c := k.c
	k.lastSweep = time.Now()
	shells, err := k.list()
	if err != nil {
		return 0, err
	}
	var errs []error
	n := 0
	for _, sh := range shells {
		if !orphaned(sh, c.cfg.ShellName, c.cfg.Username, thisProcess, processAlive) {
			continue
		}
		if err := k.delete(sh.ID); err != nil {
			errs = append(errs, fmt.Errorf("close orphaned shell %s: %w", sh.ID, err))
			continue
		}
		n++
	}
	k.orphansClosed.Add(uint64(n))
	return n, errors.Join(errs...)
}

// CloseOrphanedShells lists the account's shells on the host and closes
// those this installation's clients left behind (see Config.ShellName),
// whose process is gone. It returns how many it closed. A client does it
// by itself before its first shell and every few minutes after.
func (c *Client) CloseOrphanedShells(ctx context.Context) (int, error) {
	var n int
	err := c.bounded(ctx, "close orphaned shells", func() error {
		c.shells.mu.Lock()
		defer c.shells.mu.Unlock()
		var err error
		n, err = c.shells.sweep()
		return err
	})
	return n, err
}

// bounded runs f under the client's call timeout and ctx, and returns at
// the deadline even while f still waits on the host.
func (c *Client) bounded(ctx context.Context, op string, f func() error) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.CallTimeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("%s on %s: %w", op, c.addr, c.transportError(err, phaseShell))
		}
		return nil
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("%s on %s: %w: no answer within %s: %w", op, c.addr, ErrTimeout, c.cfg.CallTimeout, ctx.Err())
		}
		return fmt.Errorf("%s on %s: %w", op, c.addr, ctx.Err())
	}
}

// close refuses later commands and deletes the open shell, once the
// commands still running in it end; it waits closeWait at most. A shell
// still busy then is left to the host's idle timeout, or to the next
// process's sweep.
func (k *shellKeeper) close() {
	k.mu.Lock()
	k.closed = true
	ls := k.cur
	k.cur = nil
	if ls != nil {
		ls.retired = true
	}
	k.mu.Unlock()
	deadline := time.Now().Add(closeWait)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ls != nil {
			k.mu.Lock()
			idle, gone := ls.users == 0, ls.gone
			if idle {
				ls.gone = true
			}
			k.mu.Unlock()
			if gone {
				break
			}
			if idle {
				_ = k.delete(ls.id)
				break
			}
			if time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		k.bg.Wait()
	}()
	select {
	case <-done:
	case <-time.After(closeWait):
	}
}
