package hyperv

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"strings"
	"testing"

	"github.com/hvbalancer/hvbalancer/hyperv/internal/wsmv"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/wsman/ntlm"
)

// ntlmAcceptor is the simulated host's NTLM acceptor, knowing one account.
func ntlmAcceptor(t *testing.T, user, domain, password string) *ntlm.Server {
	t.Helper()
	s, err := ntlm.NewServer(ntlm.Config{Computer: "HV01", Domain: "lab.example", Password: func(u, d string) (string, bool) {
		return password, strings.EqualFold(u, user) && strings.EqualFold(d, domain)
	}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// logon runs the client's handshake against the acceptor, as the
// transport does over HTTP.
func logon(t *testing.T, a *ntlmAuth, srv *ntlm.Server, tlsBindings []byte) (*ntlm.Session, ntlm.Identity, error) {
	t.Helper()
	neg, err := a.start()
	if err != nil {
		t.Fatal(err)
	}
	hs, challenge, err := srv.Challenge(neg)
	if err != nil {
		t.Fatalf("acceptor refused NEGOTIATE: %v", err)
	}
	auth, err := a.next(challenge)
	if err != nil {
		t.Fatalf("answer challenge: %v", err)
	}
	if _, err := a.next(challenge); !errors.Is(err, errHandshakeDone) {
		t.Errorf("a second challenge: %v, want errHandshakeDone", err)
	}
	return hs.Authenticate(auth, tlsBindings)
}

func TestNTLMAgainstAcceptor(t *testing.T) {
	const password = "Pa55-w0rd!"
	tests := []struct {
		name, username, user, domain string
	}{
		{"domain account", `LAB\svc-hv`, "svc-hv", "LAB"},
		{"upn", "svc-hv@lab.example", "svc-hv@lab.example", ""},
		{"local account", "Administrator", "Administrator", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := ntlmAcceptor(t, tc.user, tc.domain, password)
			a, err := newNTLMAuth(tc.username, password, nil)
			if err != nil {
				t.Fatal(err)
			}
			sess, id, err := logon(t, a, srv, nil)
			if err != nil {
				t.Fatalf("logon refused: %v", err)
			}
			if id.User != tc.user || id.Domain != tc.domain {
				t.Errorf("identity = %+v, want %s / %s", id, tc.user, tc.domain)
			}
			if err := a.finish(nil); err != nil {
				t.Fatal(err)
			}
			// Messages both ways, several times: sequence numbers and RC4
			// states must stay in step.
			for i := range 3 {
				req := []byte(strings.Repeat("<request/>", i+1))
				body, err := wsmv.Encrypt(a, a.protocol(), req)
				if err != nil {
					t.Fatal(err)
				}
				got, err := wsmv.Decrypt(sess, body)
				if err != nil || !bytes.Equal(got, req) {
					t.Fatalf("host opened %q, %v", got, err)
				}
				resp := []byte(strings.Repeat("<response/>", i+2))
				if body, err = wsmv.Encrypt(sess, wsmv.ProtocolSPNEGO, resp); err != nil {
					t.Fatal(err)
				}
				if got, err = wsmv.Decrypt(a, body); err != nil || !bytes.Equal(got, resp) {
					t.Fatalf("client opened %q, %v", got, err)
				}
			}
			// A tampered response does not open.
			body, _ := wsmv.Encrypt(sess, wsmv.ProtocolSPNEGO, []byte("<response/>"))
			body[len(body)-len("--Encrypted Boundary--\r\n")-1] ^= 1
			if _, err := wsmv.Decrypt(a, body); err == nil {
				t.Error("a tampered response opened")
			}
		})
	}
}

func TestNTLMWrongPassword(t *testing.T) {
	srv := ntlmAcceptor(t, "svc-hv", "LAB", "right")
	a, err := newNTLMAuth(`LAB\svc-hv`, "wrong", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := logon(t, a, srv, nil); !errors.Is(err, ntlm.ErrWrongPassword) {
		t.Errorf("logon = %v, want ErrWrongPassword", err)
	}
}

func TestNTLMChannelBindings(t *testing.T) {
	const password = "Pa55-w0rd!"
	cert := &x509.Certificate{Raw: []byte("the host's certificate"), SignatureAlgorithm: x509.SHA256WithRSA}
	other := &x509.Certificate{Raw: []byte("a proxy's certificate"), SignatureAlgorithm: x509.SHA256WithRSA}
	srv := ntlmAcceptor(t, "svc-hv", "LAB", password)
	state := &tls.ConnectionState{PeerCertificates: []*x509.Certificate{cert}}

	a, _ := newNTLMAuth(`LAB\svc-hv`, password, state)
	if _, _, err := logon(t, a, srv, wsmv.TLSServerEndPoint(cert)); err != nil {
		t.Errorf("bindings of the same certificate refused: %v", err)
	}
	a, _ = newNTLMAuth(`LAB\svc-hv`, password, state)
	if _, _, err := logon(t, a, srv, wsmv.TLSServerEndPoint(other)); !errors.Is(err, ntlm.ErrChannelBindings) {
		t.Errorf("bindings of another certificate: %v, want ErrChannelBindings", err)
	}
}
