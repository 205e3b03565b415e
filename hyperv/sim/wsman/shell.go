package wsman

import (
	"context"
	"encoding/base64"
	"io"
	"slices"
	"strings"
	"sync"
	"time"
)

// shell is one remote shell and the commands started in it. The server's
// mutex guards commands, busy and lastActivity.
type shell struct {
	id            string
	name          string // the client's rsp:Name, "" when it gave none
	owner         string // authenticated user, as given
	clientIP      string
	processID     int // of the shell's host process, as Windows reports it
	created       time.Time
	inputStreams  string
	outputStreams []string
	idle          time.Duration
	ctx           context.Context // cancelled when the shell goes away
	cancel        context.CancelFunc
	timer         *time.Timer // idle reaper
	commands      map[string]*command
	busy          int // requests in progress
	lastActivity  time.Time
}

// chunk is output written by a command and not yet received.
type chunk struct {
	stream string
	data   []byte
}

// command is one command line started in a shell; it holds the output not
// yet received and, once the Runner returns, the exit code.
type command struct {
	id     string
	ctx    context.Context // cancelled on terminate, ctrl_c or shell deletion
	cancel context.CancelFunc

	mu        sync.Mutex
	pending   []chunk
	done      bool
	exitCode  int
	discarded bool          // terminated or deleted: the id no longer exists
	changed   chan struct{} // closed and replaced on every change

	stdin *stdin // what Send delivered
}

func newCommand(parent context.Context, id string) *command {
	ctx, cancel := context.WithCancel(parent)
	return &command{id: id, ctx: ctx, cancel: cancel, changed: make(chan struct{}), stdin: newStdin(ctx)}
}

// notify wakes every Receive waiting on c; c.mu must be held.
func (c *command) notify() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// write appends output in order, merging with the previous write to the
// same stream.
func (c *command) write(stream string, p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done || c.discarded {
		return 0, io.ErrClosedPipe
	}
	if len(p) == 0 {
		return 0, nil
	}
	if n := len(c.pending); n > 0 && c.pending[n-1].stream == stream {
		c.pending[n-1].data = append(c.pending[n-1].data, p...)
	} else {
		c.pending = append(c.pending, chunk{stream: stream, data: slices.Clone(p)})
	}
	c.notify()
	return len(p), nil
}

// finish records the exit code; later writes fail.
func (c *command) finish(code int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.done, c.exitCode = true, code
	c.notify()
}

// discard makes the command unknown: terminated, or its shell deleted.
func (c *command) discard() {
	c.cancel()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.discarded = true
	c.pending = nil
	c.notify()
}

// streamWriter is the io.Writer a Runner gets for one output stream.
type streamWriter struct {
	c      *command
	stream string
}

// Write implements io.Writer.
func (w streamWriter) Write(p []byte) (int, error) { return w.c.write(w.stream, p) }

// take removes output for the desired streams, in order, while it fits in
// budget bytes of response: each piece costs overhead(stream) plus its
// base64 length. It reports whether the command has ended and all desired
// output is taken. c.mu must be held.
func (c *command) take(desired []string, budget int, overhead func(stream string) int) ([]chunk, bool) {
	var out []chunk
	kept := c.pending[:0]
	full := false
	for _, ch := range c.pending {
		if full || !slices.Contains(desired, ch.stream) {
			kept = append(kept, ch)
			continue
		}
		n := min(len(ch.data), (budget-overhead(ch.stream))/4*3)
		if n <= 0 {
			full = true
			kept = append(kept, ch)
			continue
		}
		budget -= overhead(ch.stream) + base64.StdEncoding.EncodedLen(n)
		out = append(out, chunk{stream: ch.stream, data: ch.data[:n:n]})
		if n < len(ch.data) {
			full = true
			kept = append(kept, chunk{stream: ch.stream, data: ch.data[n:]})
		}
	}
	clear(c.pending[len(kept):])
	c.pending = kept
	return out, c.done && !c.hasOutput(desired)
}

// hasOutput reports whether output is waiting on a desired stream; c.mu must
// be held.
func (c *command) hasOutput(desired []string) bool {
	return slices.ContainsFunc(c.pending, func(ch chunk) bool { return slices.Contains(desired, ch.stream) })
}

// streamList splits a space-separated list of stream names.
func streamList(s string) []string { return strings.Fields(s) }
