package wsman

import (
	"context"
	"net"
	"net/http"
	"sync"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/wsman/ntlm"
)

// connKey is the context key of a connection's state.
type connKey struct{}

// ConnContext gives each connection the state that a Negotiate or
// Kerberos login keeps on it: Windows binds a security context to the TCP
// connection it was established on, NTLM's handshake spans two requests
// of one connection, and a new connection starts unauthenticated. Set it
// as the http.Server's ConnContext. Without it, every request starts
// unauthenticated: Basic still works, Negotiate and Kerberos cannot.
func ConnContext(ctx context.Context, _ net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, &connState{})
}

// connState is what one connection has established. HTTP/1.1 carries one
// request at a time, so the lock only guards against misuse.
type connState struct {
	mu sync.Mutex
	// pending is an NTLM handshake between its CHALLENGE and AUTHENTICATE.
	pending *ntlm.Handshake
	// mechTypes is the DER of SPNEGO's mechanism list, when the pending
	// handshake came wrapped in SPNEGO.
	mechTypes []byte
	spnego    bool
	// login is the established security context.
	login *login
}

// login is an authenticated client.
type login struct {
	user   string
	scheme Scheme
	// ctx seals and opens messages; nil for Basic.
	ctx SecurityContext
	// handshake is true on the request that completed the login.
	handshake bool
	// reply is the WWW-Authenticate value the completing response carries
	// (the AP-REP, or SPNEGO's accept-completed), empty when none.
	reply string
	// ntlm marks an NTLM login, whose final leg refuses an unsealed body
	// with 401 (see Server.openBody).
	ntlm bool
}

// connOf returns the connection's state, or a fresh one that lives for
// this request only when the server has no ConnContext.
func connOf(r *http.Request) *connState {
	if cs, ok := r.Context().Value(connKey{}).(*connState); ok {
		return cs
	}
	return &connState{}
}

// reset forgets everything the connection established.
func (cs *connState) reset() {
	cs.pending, cs.mechTypes, cs.spnego, cs.login = nil, nil, false, nil
}
