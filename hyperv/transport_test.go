package hyperv

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/masterzen/winrm"
)

// soapHandler answers every POST with a small SOAP envelope, or with what
// reply returns when it is set; it counts the connections it accepted.
type soapHandler struct {
	reply  func(w http.ResponseWriter, r *http.Request) bool // true: answered
	conns  atomic.Int64
	closed atomic.Int64
}

func (h *soapHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	if h.reply != nil && h.reply(w, r) {
		return
	}
	w.Header().Set("Content-Type", "application/soap+xml;charset=UTF-8")
	_, _ = io.WriteString(w, `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/></s:Envelope>`)
}

// newTestTransport starts h on 127.0.0.1 and returns a Basic transport to
// it, unencrypted over HTTP.
func newTestTransport(t *testing.T, h *soapHandler) (*transport, *httptest.Server) {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		switch st {
		case http.StateNew:
			h.conns.Add(1)
		case http.StateClosed, http.StateHijacked:
			h.closed.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	cfg := Config{Host: "127.0.0.1", Username: "u", Password: testPassword, Encryption: EncryptionNever}
	cfg.Port, _ = strconv.Atoi(port)
	cfg = cfg.withDefaults()
	tr, err := newTransport(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tr.close)
	return tr, srv
}

func post(t *testing.T, tr *transport) (string, error) {
	t.Helper()
	msg := winrm.NewOpenShellRequest(tr.url.String(), winrm.DefaultParameters)
	defer msg.Free()
	return tr.Post(nil, msg)
}

// waitFor polls cond until it holds or the test's deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-t.Context().Done():
			t.Fatalf("never: %s", what)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func TestTransportReusesConnection(t *testing.T) {
	h := &soapHandler{}
	tr, srv := newTestTransport(t, h)
	for range 5 {
		if _, err := post(t, tr); err != nil {
			t.Fatal(err)
		}
	}
	if got := tr.stats(); got != (TransportStats{Requests: 5, Connections: 1}) {
		t.Errorf("stats = %+v, want 5 requests on 1 connection", got)
	}

	// The host drops the idle connection: the next request notices
	// before it sends anything, and opens another.
	srv.CloseClientConnections()
	waitFor(t, "the server closed its side", func() bool { return h.closed.Load() == 1 })
	if _, err := post(t, tr); err != nil {
		t.Fatalf("after the host closed the idle connection: %v", err)
	}
	if got := tr.stats().Connections; got != 2 {
		t.Errorf("connections = %d, want 2", got)
	}

	// A response with Connection: close is the session's last.
	h.reply = func(w http.ResponseWriter, _ *http.Request) bool {
		w.Header().Set("Connection", "close")
		return false
	}
	for range 2 {
		if _, err := post(t, tr); err != nil {
			t.Fatal(err)
		}
	}
	if got := tr.stats().Connections; got != 3 {
		t.Errorf("connections = %d, want 3 (one reused, then one per closing response)", got)
	}
	if got := tr.idleCount(); got != 0 {
		t.Errorf("%d idle sessions after Connection: close", got)
	}
}

func TestTransportClosesIdleSessions(t *testing.T) {
	h := &soapHandler{}
	tr, _ := newTestTransport(t, h)
	tr.idleFor = 20 * time.Millisecond
	if _, err := post(t, tr); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the idle session is closed", func() bool { return tr.idleCount() == 0 })
	if _, err := post(t, tr); err != nil {
		t.Fatal(err)
	}
	if got := tr.stats().Connections; got != 2 {
		t.Errorf("connections = %d, want 2", got)
	}
	tr.close()
	if _, err := post(t, tr); !errors.Is(err, errClosed) {
		t.Errorf("after close: %v, want errClosed", err)
	}
}

func TestTransportPoolBound(t *testing.T) {
	release := make(chan struct{})
	var waiting atomic.Int64
	h := &soapHandler{reply: func(http.ResponseWriter, *http.Request) bool {
		waiting.Add(1)
		<-release
		return false
	}}
	tr, _ := newTestTransport(t, h)
	const n = maxIdleSessions + 3
	errs := make(chan error, n)
	for range n {
		go func() { _, err := post(t, tr); errs <- err }()
	}
	waitFor(t, "every request reached the host", func() bool { return waiting.Load() == n })
	close(release)
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if got := tr.stats().Connections; got != n {
		t.Errorf("connections = %d, want %d: one per concurrent call", got, n)
	}
	if got := tr.idleCount(); got != maxIdleSessions {
		t.Errorf("idle sessions = %d, want the cap %d", got, maxIdleSessions)
	}
}

func TestTransportResponseErrors(t *testing.T) {
	tests := []struct {
		name  string
		reply func(w http.ResponseWriter, r *http.Request)
		want  error  // nil: no sentinel
		text  string // in the message
	}{
		{"refused unencrypted", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(500) },
			ErrUnencryptedRefused, "the host refuses unencrypted messages: enable message encryption (default) or use HTTPS (http status 500 with an empty body)"},
		{"wrong password", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Add("WWW-Authenticate", "Negotiate")
			w.Header().Add("WWW-Authenticate", `Basic realm="WSMAN"`)
			w.WriteHeader(401)
		}, ErrUnauthorized, "unauthorized: wrong credentials, account locked, or the host does not allow basic over HTTP (AllowUnencrypted=false) (http status 401)"},
		{"basic refused", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Add("WWW-Authenticate", "Negotiate")
			w.Header().Add("WWW-Authenticate", "Kerberos")
			w.WriteHeader(401)
		}, ErrAuthNotOffered, "the host does not accept basic authentication (it offers Negotiate, Kerberos): use ntlm or kerberos (http status 401)"},
		{"fault", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/soap+xml;charset=UTF-8")
			w.WriteHeader(500)
			_, _ = io.WriteString(w, "<s:Envelope><s:Body><s:Fault>OperationTimeout</s:Fault></s:Body></s:Envelope>")
		}, nil, "http error 500: <s:Envelope><s:Body><s:Fault>OperationTimeout"},
		{"not soap", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(503)
			_, _ = io.WriteString(w, "<html>busy</html>")
		}, nil, `http status 503 Service Unavailable with 17 bytes of "text/html", not SOAP`},
		{"sealed answer to a plain request", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", `multipart/encrypted;protocol="application/HTTP-SPNEGO-session-encrypted";boundary="Encrypted Boundary"`)
			_, _ = io.WriteString(w, "--Encrypted Boundary\r\n")
		}, ErrUnexpectedOutput, "the host sent an encrypted response to an unencrypted request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := &soapHandler{reply: func(w http.ResponseWriter, r *http.Request) bool { tc.reply(w, r); return true }}
			tr, _ := newTestTransport(t, h)
			_, err := post(t, tr)
			if err == nil {
				t.Fatal("no error")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.text) {
				t.Errorf("error %q lacks %q", err, tc.text)
			}
			if strings.Contains(err.Error(), testPassword) {
				t.Errorf("error holds the password: %v", err)
			}
		})
	}
}

func TestTransportUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	tr, err := newTransport(Config{Host: "127.0.0.1", Port: port, Username: "u", Password: testPassword, Encryption: EncryptionNever}.withDefaults())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := post(t, tr); !errors.Is(err, ErrUnreachable) {
		t.Errorf("got %v, want ErrUnreachable", err)
	}
	if got := tr.stats(); got.Connections != 0 || got.Requests != 0 {
		t.Errorf("stats = %+v", got)
	}
}
