package hyperv

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv/internal/krb5"
	"github.com/masterzen/winrm"
	"github.com/masterzen/winrm/soap"
)

// Pool limits.
const (
	// maxIdleSessions bounds the authenticated connections kept open
	// between calls to one host.
	maxIdleSessions = 4
	// sessionIdleTimeout closes a session nobody used for this long:
	// shorter than the 120 s after which Windows' HTTP.sys drops an idle
	// connection, longer than a typical poll interval, so a host polled
	// every 30 s keeps its logins.
	sessionIdleTimeout = 90 * time.Second
)

// errClosed: the client was closed.
var errClosed = errors.New("client closed")

// errContextLost: the host answered 401 on a connection whose login it
// had accepted, without processing the request: it dropped the login, or
// the account is not allowed to use WinRM.
var errContextLost = errors.New("the host refused a request after accepting the login: it dropped the login, or the account may not use WinRM (member of Remote Management Users?)")

// transport is the winrm.Transporter of one Client: a pool of sessions to
// the host, each a TCP (or TLS) connection with its own authenticated
// security context, as Windows binds NTLM and Kerberos contexts to the
// connection. A call takes an idle session or opens one, and returns it
// when the host kept the connection open; concurrent calls use separate
// sessions.
type transport struct {
	cfg     Config      // validated, with defaults
	url     *url.URL    // http(s)://host:port/wsman
	tlsConf *tls.Config // nil over HTTP
	dial    func(network, addr string) (net.Conn, error)
	newAuth newAuthenticator               // nil for Basic
	seal    bool                           // seal messages with the session's context
	krb     atomic.Pointer[krb5.Initiator] // the credential's, shared, as of the last login; nil until a Kerberos login
	idleFor time.Duration                  // sessionIdleTimeout; tests shorten it

	mu     sync.Mutex
	idle   []*session // most recently used last
	sweep  *time.Timer
	closed bool

	requests, connections, logins atomic.Uint64
}

var _ winrm.Transporter = (*transport)(nil)

// newTransport builds the transport of a validated, defaulted config.
func newTransport(c Config) (*transport, error) {
	scheme := "http"
	if c.HTTPS {
		scheme = "https"
	}
	t := &transport{
		cfg:     c,
		url:     &url.URL{Scheme: scheme, Host: c.address(), Path: "/wsman"},
		dial:    idleDialer(c.httpTimeout()),
		idleFor: sessionIdleTimeout,
	}
	if c.HTTPS {
		t.tlsConf = &tls.Config{
			ServerName:         c.Host,
			InsecureSkipVerify: c.InsecureSkipVerify, //nolint:gosec // only when the configuration says so
			MinVersion:         tls.VersionTLS12,
		}
		if c.TLSServerName != "" {
			t.tlsConf.ServerName = c.TLSServerName
		}
		if len(c.CACert) > 0 {
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(c.CACert) {
				return nil, fmt.Errorf("ca_cert: no PEM certificate found: %w", ErrInvalidConfig)
			}
			t.tlsConf.RootCAs = pool
		}
	}
	switch c.Auth {
	case AuthNTLM:
		t.newAuth = func(state *tls.ConnectionState) (authenticator, error) {
			return newNTLMAuth(c.Username, c.Password, state)
		}
		t.seal = !c.HTTPS && c.Encryption == EncryptionAuto
	case AuthKerberos:
		spn, timeout := c.spn(), c.httpTimeout()
		t.newAuth = func(state *tls.ConnectionState) (authenticator, error) {
			// The credential's files are read at every login, not in New:
			// a credential cache may appear after the daemon starts, and
			// a keytab rewritten in place is used from the next login.
			init, err := initiators.get(c)
			if err != nil {
				return nil, err
			}
			t.krb.Store(init)
			return newKerberosAuth(init, spn, timeout, state)
		}
		t.seal = !c.HTTPS && c.Encryption == EncryptionAuto
	case AuthBasic:
	default:
		return nil, fmt.Errorf("auth %s has no session transport: %w", c.Auth, ErrInvalidConfig)
	}
	return t, nil
}

// Transport implements winrm.Transporter; everything it needs came from
// the Config already.
func (t *transport) Transport(*winrm.Endpoint) error { return nil }

// Post implements winrm.Transporter: it sends one WS-Management message
// on a session and returns the response envelope.
func (t *transport) Post(_ *winrm.Client, msg *soap.SoapMessage) (string, error) {
	envelope := []byte(msg.String())
	for attempt := 0; ; attempt++ {
		s, err := t.get()
		if err != nil {
			return "", err
		}
		t.requests.Add(1)
		body, reuse, err := s.post(t, envelope)
		t.put(s, reuse)
		if errors.Is(err, errContextLost) && attempt == 0 {
			// The host forgot the connection's login and did not process
			// the request: log in again on a new connection, once.
			continue
		}
		return body, err
	}
}

// get returns an idle session that is still open, or a new authenticated one.
func (t *transport) get() (*session, error) {
	for {
		t.mu.Lock()
		if t.closed {
			t.mu.Unlock()
			return nil, errClosed
		}
		var s *session
		if n := len(t.idle); n > 0 {
			s, t.idle = t.idle[n-1], t.idle[:n-1]
		}
		t.mu.Unlock()
		if s == nil {
			break
		}
		if time.Since(s.lastUsed) < t.idleFor && s.alive() {
			return s, nil
		}
		s.close()
	}
	s, err := t.open()
	if err != nil {
		return nil, err
	}
	if t.newAuth != nil {
		if err := s.authenticate(t); err != nil {
			s.close()
			return nil, err
		}
	}
	return s, nil
}

// put returns s to the pool, or closes it when it must not carry another
// request, the pool is full or the transport is closed.
func (t *transport) put(s *session, reuse bool) {
	if !reuse {
		s.close()
		return
	}
	s.lastUsed = time.Now()
	t.mu.Lock()
	if t.closed || len(t.idle) >= maxIdleSessions {
		t.mu.Unlock()
		s.close()
		return
	}
	t.idle = append(t.idle, s)
	if t.sweep == nil {
		t.sweep = time.AfterFunc(t.idleFor, t.closeExpired)
	}
	t.mu.Unlock()
}

// closeExpired closes the sessions idle for longer than idleFor, and
// schedules itself again while sessions remain.
func (t *transport) closeExpired() {
	var expired []*session
	t.mu.Lock()
	t.sweep = nil
	keep := t.idle[:0]
	for _, s := range t.idle {
		if time.Since(s.lastUsed) >= t.idleFor {
			expired = append(expired, s)
		} else {
			keep = append(keep, s)
		}
	}
	clear(t.idle[len(keep):])
	t.idle = keep
	if len(t.idle) > 0 && !t.closed {
		wait := t.idleFor - time.Since(t.idle[0].lastUsed) // the oldest
		t.sweep = time.AfterFunc(max(wait, time.Millisecond), t.closeExpired)
	}
	t.mu.Unlock()
	for _, s := range expired {
		s.close()
	}
}

// close closes every idle session; sessions in use are closed when their
// call ends. Later calls fail.
func (t *transport) close() {
	t.mu.Lock()
	idle := t.idle
	t.idle, t.closed = nil, true
	if t.sweep != nil {
		t.sweep.Stop()
		t.sweep = nil
	}
	t.mu.Unlock()
	for _, s := range idle {
		s.close()
	}
}

// idleCount returns how many sessions wait in the pool.
func (t *transport) idleCount() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.idle)
}

// stats returns the counters. KDCRequests are the shared Initiator's:
// those of every Client with the same credential.
func (t *transport) stats() TransportStats {
	s := TransportStats{Requests: t.requests.Load(), Connections: t.connections.Load(), Logins: t.logins.Load()}
	if init := t.krb.Load(); init != nil {
		s.KDCRequests = init.KDCRequests()
	}
	return s
}

// winrmClient builds the WinRM client of a validated, defaulted config,
// with the transport that carries its messages.
func (c Config) winrmClient() (*winrm.Client, pooledTransport, error) {
	ep := &winrm.Endpoint{
		Host:          c.Host,
		Port:          c.Port,
		HTTPS:         c.HTTPS,
		Insecure:      c.InsecureSkipVerify,
		TLSServerName: c.TLSServerName,
		CACert:        c.CACert,
		Timeout:       c.httpTimeout(),
	}
	p := *winrm.DefaultParameters // DefaultParameters is shared: copy it
	p.Timeout = wsmanDuration(c.OperationTimeout)
	tr, err := newTransport(c)
	if err != nil {
		return nil, nil, err
	}
	p.TransportDecorator = func() winrm.Transporter { return tr }
	wc, err := winrm.NewClientWithParameters(ep, c.Username, c.Password, &p)
	if err != nil {
		return nil, nil, fmt.Errorf("set up transport: %s: %w", redact(err.Error(), c.Password), ErrInvalidConfig)
	}
	return wc, tr, nil
}

// pooledTransport is what a Client needs of its transport besides Post:
// its counters, and closing its connections.
type pooledTransport interface {
	winrm.Transporter
	stats() TransportStats
	close()
	target() string // the endpoint's URL, for the To header
}

// target returns the endpoint's URL.
func (t *transport) target() string { return t.url.String() }
