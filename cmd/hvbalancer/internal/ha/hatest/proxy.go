package hatest

import (
	"io"
	"net"
	"sync"
	"testing"
)

// Proxy forwards TCP connections from its own address to a target, until
// Cut: then it behaves as a network partition, not a refusal: connections
// stay open, and what a client sends is read and dropped, unanswered.
type Proxy struct {
	target string
	ln     net.Listener

	mu    sync.Mutex
	cut   bool
	conns map[net.Conn]net.Conn // client side to target side (nil while cut)
}

// NewProxy listens on a free port of 127.0.0.1 and forwards to target
// (host:port) until the test ends.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{target: target, ln: ln, conns: map[net.Conn]net.Conn{}}
	var wg sync.WaitGroup
	wg.Go(p.serve)
	t.Cleanup(func() {
		ln.Close()
		p.closeAll()
		wg.Wait()
	})
	return p
}

// URL is the proxy's address as an etcd endpoint.
func (p *Proxy) URL() string { return "http://" + p.ln.Addr().String() }

// Cut partitions every client of the proxy from the target.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for c, up := range p.conns {
		if up != nil {
			up.Close() // the client side stays open, its bytes dropped
			p.conns[c] = nil
		}
	}
}

// Restore ends the partition: the connections made during it are closed,
// and new ones reach the target again.
func (p *Proxy) Restore() {
	p.mu.Lock()
	p.cut = false
	p.mu.Unlock()
	p.closeAll()
}

func (p *Proxy) closeAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c, up := range p.conns {
		c.Close()
		if up != nil {
			up.Close()
		}
		delete(p.conns, c)
	}
}

func (p *Proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.handle(c)
	}
}

func (p *Proxy) handle(c net.Conn) {
	p.mu.Lock()
	cut := p.cut
	p.mu.Unlock()
	var up net.Conn
	if !cut {
		var err error
		if up, err = net.Dial("tcp", p.target); err != nil {
			c.Close()
			return
		}
	}
	p.mu.Lock()
	p.conns[c] = up
	p.mu.Unlock()
	if up == nil {
		io.Copy(io.Discard, c) // partitioned: read and drop
		return
	}
	go func() {
		io.Copy(c, up) // ends when up is closed by Cut: c stays open
	}()
	io.Copy(up, c)
	p.mu.Lock()
	cut, open := p.cut, p.conns[c] != nil
	if open { // the client or the target closed: not a partition
		delete(p.conns, c)
	}
	p.mu.Unlock()
	if open || !cut {
		c.Close()
		up.Close()
		return
	}
	io.Copy(io.Discard, c) // cut: keep reading and dropping
}
