package wsman

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/bodgit/ntlmssp"
	"github.com/hvbalancer/hvbalancer/hyperv/internal/wsmv"
)

// rawConn is one TCP connection to a test server on which requests are
// written by hand, so a login provably stays on its connection.
type rawConn struct {
	t    *testing.T
	conn net.Conn
	br   *bufio.Reader
	url  string
	cert *x509.Certificate // the server's, over TLS

	client *ntlmssp.Client
	sess   *ntlmssp.SecuritySession
}

func dialRaw(t *testing.T, ts *httptest.Server) *rawConn {
	t.Helper()
	c := &rawConn{t: t, url: ts.URL + "/wsman"}
	var err error
	if ts.TLS != nil {
		var tc *tls.Conn
		tc, err = tls.Dial("tcp", ts.Listener.Addr().String(), &tls.Config{InsecureSkipVerify: true})
		if err == nil {
			c.conn, c.cert = tc, tc.ConnectionState().PeerCertificates[0]
		}
	} else {
		c.conn, err = net.Dial("tcp", ts.Listener.Addr().String())
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.conn.Close() })
	c.br = bufio.NewReader(c.conn)
	return c
}

// post sends a POST with the given body, content type and Authorization
// (both optional) and returns the response and its body.
func (c *rawConn) post(body []byte, contentType, authorization string) (*http.Response, []byte) {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.url, bytes.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	if err := req.Write(c.conn); err != nil {
		c.t.Fatal(err)
	}
	resp, err := http.ReadResponse(c.br, req)
	if err != nil {
		c.t.Fatal(err)
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		c.t.Fatal(err)
	}
	return resp, data
}

const soapType = "application/soap+xml;charset=UTF-8"

// loginOpts shape an NTLM login.
type loginOpts struct {
	user, domain, password string
	spnego                 bool   // wrap the tokens in SPNEGO, as Windows does
	body                   []byte // sent on the AUTHENTICATE leg (nil: empty, as pywinrm)
	mechListMIC            []byte // SPNEGO's, with the AUTHENTICATE
	bindings               *x509.Certificate
}

// login runs NTLM over the Negotiate scheme on the connection and returns
// the final response.
func (c *rawConn) login(o loginOpts) (*http.Response, []byte) {
	c.t.Helper()
	var err error
	c.client, err = ntlmssp.NewClient(ntlmssp.SetUserInfo(o.user, o.password), ntlmssp.SetDomain(o.domain))
	if err != nil {
		c.t.Fatal(err)
	}
	negotiate, _ := c.client.Authenticate(nil, nil)
	if o.spnego {
		negotiate = negTokenInitFor(negotiate)
	}
	resp, _ := c.post(nil, soapType, "Negotiate "+base64.StdEncoding.EncodeToString(negotiate))
	challenge := serverToken(c.t, resp, "Negotiate")
	if resp.StatusCode != http.StatusUnauthorized || challenge == nil {
		return resp, nil
	}
	if o.spnego {
		nt, err := parseNegTokenResp(challenge)
		if err != nil || nt.NegState != acceptIncomplete || !nt.SupportedMech.Equal(oidNTLM) {
			c.t.Fatalf("spnego challenge %+v, %v", nt, err)
		}
		challenge = nt.ResponseToken
	}
	var cb *ntlmssp.ChannelBindings
	if o.bindings != nil {
		cb = &ntlmssp.ChannelBindings{ApplicationData: wsmv.TLSServerEndPoint(o.bindings)}
	}
	authenticate, err := c.client.Authenticate(challenge, cb)
	if err != nil {
		c.t.Fatal(err)
	}
	c.sess = c.client.SecuritySession()
	if o.spnego {
		authenticate = marshalNegTokenResp(acceptIncomplete, nil, authenticate, o.mechListMIC)
	}
	return c.post(o.body, soapType, "Negotiate "+base64.StdEncoding.EncodeToString(authenticate))
}

// serverToken returns the decoded token of the response's challenge for
// scheme, nil when there is none.
func serverToken(t *testing.T, resp *http.Response, scheme string) []byte {
	t.Helper()
	for _, v := range resp.Header.Values("WWW-Authenticate") {
		if tok, ok := strings.CutPrefix(v, scheme+" "); ok {
			b, err := base64.StdEncoding.DecodeString(tok)
			if err != nil {
				t.Fatalf("token %q: %v", tok, err)
			}
			return b
		}
	}
	return nil
}

// negTokenInitFor wraps a first token in SPNEGO's NegTokenInit, listing
// NTLM only, as Windows does for an NTLM-only logon.
func negTokenInitFor(tok []byte) []byte {
	type init struct {
		MechTypes []asn1.ObjectIdentifier `asn1:"explicit,tag:0"`
		MechToken []byte                  `asn1:"explicit,tag:2"`
	}
	inner, _ := asn1.MarshalWithParams(init{[]asn1.ObjectIdentifier{oidNTLM}, tok}, "explicit,tag:0")
	return gssWrap(oidSPNEGO, inner)
}

// gssWrap writes a GSS-API InitialContextToken.
func gssWrap(mech asn1.ObjectIdentifier, inner []byte) []byte {
	oid, _ := asn1.Marshal(mech)
	b, _ := asn1.Marshal(asn1.RawValue{Class: asn1.ClassApplication, Tag: 0, IsCompound: true, Bytes: append(oid, inner...)})
	return b
}

// ntlmSealer adapts the client library's session to wsmv.Sealer.
type ntlmSealer struct{ s *ntlmssp.SecuritySession }

func (n ntlmSealer) Wrap(plain []byte) ([]byte, []byte, error) {
	sealed, sig, err := n.s.Wrap(plain)
	return sig, sealed, err
}

func (n ntlmSealer) Unwrap(sig, sealed []byte) ([]byte, error) { return n.s.Unwrap(sealed, sig) }

// sealed posts an envelope sealed with the connection's login and returns
// the status and the opened answer ("" when the answer was not sealed).
func (c *rawConn) sealed(envelope string) (int, string) {
	c.t.Helper()
	body, err := wsmv.Encrypt(ntlmSealer{c.sess}, wsmv.ProtocolSPNEGO, []byte(envelope))
	if err != nil {
		c.t.Fatal(err)
	}
	resp, data := c.post(body, wsmv.ContentType(wsmv.ProtocolSPNEGO), "")
	if _, ok := wsmv.Protocol(resp.Header.Get("Content-Type")); !ok {
		return resp.StatusCode, ""
	}
	plain, err := wsmv.Decrypt(ntlmSealer{c.sess}, data)
	if err != nil {
		c.t.Fatalf("open the answer: %v", err)
	}
	return resp.StatusCode, string(plain)
}

// recordingAccounts is one account whose logons are recorded; allow says
// whether it may log on.
type recordingAccounts struct {
	mu       sync.Mutex
	user     string
	password string
	locked   bool
	logons   []string // "user/domain/ok"
}

func (a *recordingAccounts) Password(user, _ string) (string, bool) {
	return a.password, strings.EqualFold(user, a.user)
}

func (a *recordingAccounts) Logon(user, domain string, ok bool) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	state := "bad"
	if ok {
		state = "good"
	}
	a.logons = append(a.logons, user+"/"+domain+"/"+state)
	return ok && !a.locked
}

func (a *recordingAccounts) recorded() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.logons...)
}
