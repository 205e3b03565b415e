package hyperv

import (
	"errors"
	"net"
	"os"
	"time"
)

// dialTimeout bounds connecting to a host.
const dialTimeout = 15 * time.Second

// httpTimeout bounds each HTTP exchange: a Receive long poll lasts up to
// the OperationTimeout, so it gets that plus a margin.
func (c Config) httpTimeout() time.Duration {
	return c.OperationTimeout + 30*time.Second
}

// idleDialer dials with a timeout and returns connections on which every
// read and write must make progress within idle, so a host that stops
// answering mid-exchange (even during a TLS handshake) cannot hold a
// request forever.
func idleDialer(idle time.Duration) func(network, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}
	return func(network, addr string) (net.Conn, error) {
		conn, err := d.Dial(network, addr)
		if err != nil {
			return nil, err
		}
		return &idleConn{Conn: conn, idle: idle}, nil
	}
}

// idleConn pushes its deadlines forward on every read and write. A write
// also extends a pending read. While probing, reads give up at once
// instead: see probeIdle.
type idleConn struct {
	net.Conn
	idle    time.Duration
	probing bool // set only by the connection's single owner
}

func (c *idleConn) Read(b []byte) (int, error) {
	t := time.Now().Add(c.idle)
	if c.probing {
		t = time.Now().Add(probeWait)
	}
	if err := c.Conn.SetReadDeadline(t); err != nil {
		return 0, err
	}
	return c.Conn.Read(b)
}

func (c *idleConn) Write(b []byte) (int, error) {
	t := time.Now().Add(c.idle)
	if err := c.Conn.SetWriteDeadline(t); err != nil {
		return 0, err
	}
	if err := c.Conn.SetReadDeadline(t); err != nil {
		return 0, err
	}
	return c.Conn.Write(b)
}

// probeWait is how long a probe of an idle connection waits for a sign
// of life: the close (or stray bytes) of a host that dropped it are
// already queued, so a short wait suffices.
const probeWait = time.Millisecond

// probeIdle reports whether an idle connection is still open and quiet:
// peek, which must time out. A read that returns data or an error means
// the host closed the connection (or broke the protocol), and the
// connection must not carry another request. The peek goes through the
// TLS layer when there is one, so a TLS close_notify counts as a close.
func probeIdle(raw *idleConn, peek func() error) bool {
	raw.probing = true
	err := peek()
	raw.probing = false
	return err != nil && errors.Is(err, os.ErrDeadlineExceeded)
}
