package hyperv

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv/internal/wsmv"
)

// maxResponse bounds one response body; WinRM envelopes are at most
// MaxEnvelopeSizekb (500 KiB by default) plus the sealing's overhead.
const maxResponse = 16 << 20

// userAgent names the client in the host's logs.
const userAgent = "hvbalancer"

// session is one connection to the host with the security context
// authenticated on it. HTTP/1.1 requests are written on the connection
// directly, one at a time, so the context stays bound to its connection
// as Windows binds it. A session has one user at a time.
type session struct {
	conn     net.Conn  // raw, or a *tls.Conn over it
	raw      *idleConn // for probes
	bw       *bufio.Writer
	br       *bufio.Reader
	auth     authenticator // after a handshake; nil for Basic
	lastUsed time.Time
}

// open dials the host and, over HTTPS, completes the TLS handshake.
func (t *transport) open() (*session, error) {
	addr := t.url.Host
	c, err := t.dial("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
	t.connections.Add(1)
	raw, ok := c.(*idleConn)
	if !ok {
		raw = &idleConn{Conn: c, idle: t.cfg.httpTimeout()}
	}
	s := &session{conn: raw, raw: raw}
	if t.tlsConf != nil {
		tc := tls.Client(raw, t.tlsConf)
		if err := tc.Handshake(); err != nil {
			_ = raw.Close()
			return nil, tlsError(err, t.tlsConf.ServerName)
		}
		s.conn = tc
	}
	s.bw = bufio.NewWriter(s.conn)
	s.br = bufio.NewReader(s.conn)
	return s, nil
}

// tlsState returns the connection's TLS state, nil over HTTP.
func (s *session) tlsState() *tls.ConnectionState {
	tc, ok := s.conn.(*tls.Conn)
	if !ok {
		return nil
	}
	st := tc.ConnectionState()
	return &st
}

// alive reports whether an idle session can carry another request: the
// host has not closed it, nor sent anything unasked.
func (s *session) alive() bool {
	return probeIdle(s.raw, func() error {
		_, err := s.br.Peek(1)
		return err
	})
}

func (s *session) close() { _ = s.conn.Close() }

// request returns a POST of body (nil for an empty one) to the host.
func (t *transport) request(body []byte, contentType string) *http.Request {
	req := &http.Request{
		Method:     http.MethodPost,
		URL:        t.url,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     http.Header{"Content-Type": {contentType}, "User-Agent": {userAgent}},
		Host:       t.url.Host,
	}
	if len(body) > 0 {
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.ContentLength = int64(len(body))
	}
	return req
}

// roundTrip writes req and reads the whole response. An error means the
// connection is unusable.
func (s *session) roundTrip(req *http.Request) (*http.Response, []byte, error) {
	if err := req.Write(s.bw); err != nil {
		return nil, nil, fmt.Errorf("send request: %w", err)
	}
	if err := s.bw.Flush(); err != nil {
		return nil, nil, fmt.Errorf("send request: %w", err)
	}
	resp, err := http.ReadResponse(s.br, req)
	if err != nil {
		return nil, nil, fmt.Errorf("read response: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return nil, nil, fmt.Errorf("read response body: %w", err)
	}
	if len(body) > maxResponse {
		return nil, nil, fmt.Errorf("response body over %d bytes: %w", maxResponse, ErrUnexpectedOutput)
	}
	return resp, body, nil
}

// post sends one SOAP envelope, sealed when the transport seals, and
// returns the response envelope and whether the session can be reused.
func (s *session) post(t *transport, envelope []byte) (string, bool, error) {
	body, contentType := envelope, wsmv.SOAPContentType
	if t.seal {
		var err error
		if body, err = wsmv.Encrypt(s.auth, s.auth.protocol(), envelope); err != nil {
			return "", false, err
		}
		contentType = wsmv.ContentType(s.auth.protocol())
	}
	req := t.request(body, contentType)
	if t.cfg.Auth == AuthBasic {
		req.SetBasicAuth(t.cfg.Username, t.cfg.Password)
	}
	resp, rbody, err := s.roundTrip(req)
	if err != nil {
		return "", false, err
	}
	reuse := !resp.Close
	if _, sealed := wsmv.Protocol(resp.Header.Get("Content-Type")); sealed {
		if s.auth == nil || !t.seal {
			return "", false, fmt.Errorf("%w: the host sent an encrypted response to an unencrypted request (http status %d)", ErrUnexpectedOutput, resp.StatusCode)
		}
		if rbody, err = wsmv.Decrypt(s.auth, rbody); err != nil {
			// The context's sequence numbers are now out of step with the host's.
			return "", false, fmt.Errorf("%w: cannot decrypt the host's response (http status %d): %w", ErrUnexpectedOutput, resp.StatusCode, err)
		}
		resp.Header.Set("Content-Type", wsmv.SOAPContentType)
	} else if t.seal && resp.StatusCode == http.StatusOK {
		return "", false, fmt.Errorf("%w: the host answered an encrypted request unencrypted (http status 200)", ErrUnexpectedOutput)
	}
	switch {
	case resp.StatusCode == http.StatusOK && isSOAP(resp.Header.Get("Content-Type")):
		return string(rbody), reuse, nil
	case resp.StatusCode == http.StatusUnauthorized:
		if t.cfg.Auth == AuthBasic {
			if _, offered, _ := findChallenge(resp.Header.Values("WWW-Authenticate"), "Basic"); !offered {
				return "", false, fmt.Errorf("%w: the host does not accept basic authentication (it offers %s): use ntlm or kerberos (http status 401)",
					ErrAuthNotOffered, offeredSchemes(resp.Header.Values("WWW-Authenticate")))
			}
			if !t.cfg.HTTPS {
				// Windows answers basic over HTTP with this 401 too when
				// AllowUnencrypted is false, without checking the password.
				return "", false, fmt.Errorf("%w: wrong credentials, account locked, or the host does not allow basic over HTTP (AllowUnencrypted=false) (http status 401)", ErrUnauthorized)
			}
		}
		if s.auth != nil {
			return "", false, fmt.Errorf("%w: %w (http status 401)", ErrUnauthorized, errContextLost)
		}
		return "", false, fmt.Errorf("%w: %s", ErrUnauthorized, wrongCredentials)
	}
	return "", reuse, statusError(resp, rbody, !t.seal && !t.cfg.HTTPS)
}

// statusError describes a response that carries no result. A SOAP fault
// keeps the library's "http error <status>: <body>" form: the library
// looks for the OperationTimeout fault of an empty Receive in that text.
// unencryptedHTTP says the request went unsealed over plain HTTP, where
// an empty 500 is a host refusing unencrypted messages.
func statusError(resp *http.Response, body []byte, unencryptedHTTP bool) error {
	code := resp.StatusCode
	switch ct := resp.Header.Get("Content-Type"); {
	case len(bytes.TrimSpace(body)) == 0 && code == http.StatusInternalServerError && unencryptedHTTP:
		return fmt.Errorf("%w (http status 500 with an empty body)", ErrUnencryptedRefused)
	case isSOAP(ct) && len(body) > 0:
		return fmt.Errorf("http error %d: %s", code, body)
	case len(body) == 0:
		return fmt.Errorf("http status %d %s with an empty body", code, http.StatusText(code))
	default:
		return fmt.Errorf("http status %d %s with %d bytes of %q, not SOAP", code, http.StatusText(code), len(body), truncate(ct, 100))
	}
}

// isSOAP reports whether contentType is a SOAP envelope's.
func isSOAP(contentType string) bool {
	media, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return strings.HasPrefix(strings.ToLower(contentType), "application/soap+xml")
	}
	return media == "application/soap+xml"
}
