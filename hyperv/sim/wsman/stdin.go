package wsman

// A command's standard input: what the client's Send requests deliver,
// read by the Runner until the stream's end (End="true").

import (
	"context"
	"errors"
	"io"
	"sync"
)

// maxStdin bounds what one command's stdin holds unread; a Send beyond it
// is refused.
const maxStdin = 4 << 20

// errStdinClosed is a Send after the client ended the stream, or one that
// would hold more than maxStdin unread.
var errStdinClosed = errors.New("stdin closed or full")

// stdin is a command's standard input. Reads block until Send delivers
// data, the client ends the stream (io.EOF) or the command is stopped.
type stdin struct {
	ctx   context.Context // the command's
	mu    sync.Mutex
	buf   []byte
	end   bool
	ready chan struct{} // closed and replaced on every delivery
}

func newStdin(ctx context.Context) *stdin {
	return &stdin{ctx: ctx, ready: make(chan struct{})}
}

// Read implements io.Reader.
func (p *stdin) Read(b []byte) (int, error) {
	for {
		p.mu.Lock()
		if len(p.buf) > 0 {
			n := copy(b, p.buf)
			p.buf = p.buf[n:]
			p.mu.Unlock()
			return n, nil
		}
		if p.end {
			p.mu.Unlock()
			return 0, io.EOF
		}
		ready := p.ready
		p.mu.Unlock()
		select {
		case <-ready:
		case <-p.ctx.Done():
			return 0, io.ErrClosedPipe
		}
	}
}

// deliver appends data and, with end, ends the stream.
func (p *stdin) deliver(data []byte, end bool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.end || len(p.buf)+len(data) > maxStdin {
		return errStdinClosed
	}
	p.buf = append(p.buf, data...)
	p.end = end
	close(p.ready)
	p.ready = make(chan struct{})
	return nil
}
