package hyperv

import (
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/hvbalancer/hvbalancer/hyperv/internal/wsmv"
)

// authenticator establishes the security context of one connection over
// HTTP's Negotiate exchange, then seals and opens that connection's
// messages. NTLM takes two round trips (NEGOTIATE, then AUTHENTICATE in
// answer to the 401's CHALLENGE); Kerberos takes one (the AP-REQ, with the
// AP-REP in the success response for mutual authentication).
//
// A session makes one authenticator per connection and calls, in order:
// start once, next for every 401 that carries a token, finish once with
// the success response's token; then Wrap and Unwrap (wsmv.Sealer) for
// every message when messages are sealed. It is never used from two
// goroutines at once.
type authenticator interface {
	wsmv.Sealer
	// scheme is the HTTP authentication scheme of the tokens: "Negotiate".
	scheme() string
	// protocol is the MS-WSMV protocol of sealed messages, e.g. wsmv.ProtocolSPNEGO.
	protocol() string
	// start returns the first token.
	start() ([]byte, error)
	// next consumes a token the host sent with a 401 and returns the next
	// token to send. It fails with errHandshakeDone when the authenticator
	// already sent its last token: the host refused it.
	next(in []byte) ([]byte, error)
	// finish consumes the token of the host's success response (nil when
	// there was none) and checks it when the mechanism authenticates the
	// host too.
	finish(in []byte) error
}

// newAuthenticator makes the authenticator of one new connection. tls is
// the connection's TLS state (nil over HTTP), for channel bindings.
type newAuthenticator func(tls *tls.ConnectionState) (authenticator, error)

// errHandshakeDone: the host asked for another token after the last one.
var errHandshakeDone = errors.New("handshake already complete")

// maxAuthRounds bounds the round trips of one handshake.
const maxAuthRounds = 4

// wrongCredentials is the message of a refused login. It never holds the
// password: only the status.
const wrongCredentials = "wrong credentials or account locked (http status 401)"

// authenticate runs the handshake on s with empty POSTs, as pywinrm does
// before it seals messages, and leaves s ready to carry messages.
func (s *session) authenticate(t *transport) error {
	a, err := t.newAuth(s.tlsState())
	if err != nil {
		return fmt.Errorf("start %s authentication: %w", t.cfg.Auth, err)
	}
	t.logins.Add(1)
	tok, err := a.start()
	if err != nil {
		return fmt.Errorf("start %s authentication: %w", t.cfg.Auth, err)
	}
	for range maxAuthRounds {
		req := t.request(nil, wsmv.SOAPContentType)
		req.Header.Set("Authorization", a.scheme()+" "+base64.StdEncoding.EncodeToString(tok))
		resp, body, err := s.roundTrip(req)
		if err != nil {
			return err
		}
		in, offered, perr := findChallenge(resp.Header.Values("WWW-Authenticate"), a.scheme())
		switch {
		case resp.StatusCode == http.StatusUnauthorized:
			if !offered {
				return fmt.Errorf("%w: the host does not offer %s authentication (it offers %s) (http status 401)",
					ErrAuthNotOffered, a.scheme(), offeredSchemes(resp.Header.Values("WWW-Authenticate")))
			}
			if perr != nil {
				return fmt.Errorf("%w: %w", ErrUnauthorized, perr)
			}
			if in == nil {
				return fmt.Errorf("%w: %s", ErrUnauthorized, wrongCredentials)
			}
			if resp.Close {
				return fmt.Errorf("%w: the host closed the connection in the middle of the %s handshake", ErrUnauthorized, t.cfg.Auth)
			}
			if tok, err = a.next(in); err != nil {
				if errors.Is(err, errHandshakeDone) {
					return fmt.Errorf("%w: %s", ErrUnauthorized, wrongCredentials)
				}
				if kerberosClassified(err) {
					// Clock skew is not a refused password: say which it is.
					return fmt.Errorf("%s handshake: %w", t.cfg.Auth, err)
				}
				return fmt.Errorf("%w: %s handshake: %w", ErrUnauthorized, t.cfg.Auth, err)
			}
		case resp.StatusCode >= 200 && resp.StatusCode < 300:
			if perr != nil {
				return fmt.Errorf("%w: %w", ErrUnauthorized, perr)
			}
			if err := a.finish(in); err != nil {
				if kerberosClassified(err) {
					return fmt.Errorf("%s handshake: %w", t.cfg.Auth, err)
				}
				return fmt.Errorf("%w: the host failed mutual authentication: %w", ErrUnauthorized, err)
			}
			if resp.Close {
				return fmt.Errorf("the host closed the connection right after the %s handshake", t.cfg.Auth)
			}
			s.auth = a
			return nil
		default:
			return statusError(resp, body, false)
		}
	}
	return fmt.Errorf("%w: %s handshake did not finish in %d round trips", ErrUnauthorized, t.cfg.Auth, maxAuthRounds)
}

// challenge is one challenge of a WWW-Authenticate header (RFC 9110
// section 11.6.1): a scheme with a token68 or auth-params.
type challenge struct {
	scheme string
	token  string   // token68, when there is one
	params []string // auth-params as written, e.g. realm="WSMAN"
}

// parseChallenges reads every challenge of the WWW-Authenticate header
// values. It never fails: it skips what does not start with a scheme.
func parseChallenges(values []string) []challenge {
	var out []challenge
	for _, v := range values {
		for _, part := range splitOutsideQuotes(v, ',') {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			if isAuthParam(part) && len(out) > 0 {
				last := &out[len(out)-1]
				if last.token == "" {
					last.params = append(last.params, part)
					continue
				}
			}
			scheme, rest, _ := strings.Cut(part, " ")
			if !isToken(scheme) {
				continue
			}
			c := challenge{scheme: scheme}
			rest = strings.TrimSpace(rest)
			switch {
			case rest == "":
			case isAuthParam(rest):
				c.params = append(c.params, rest)
			default:
				c.token = rest
			}
			out = append(out, c)
		}
	}
	return out
}

// findChallenge returns the decoded token of the first challenge for
// scheme (nil when it has none), whether the host offered scheme at all,
// and an error when the token is not base64.
func findChallenge(values []string, scheme string) (token []byte, offered bool, err error) {
	for _, c := range parseChallenges(values) {
		if !strings.EqualFold(c.scheme, scheme) {
			continue
		}
		if c.token == "" {
			return nil, true, nil
		}
		b, err := decodeToken(c.token)
		if err != nil {
			return nil, true, fmt.Errorf("malformed %s token from the host: %w", scheme, err)
		}
		return b, true, nil
	}
	return nil, false, nil
}

// decodeToken decodes a token68 of base64, padded or not.
func decodeToken(s string) ([]byte, error) {
	if strings.HasSuffix(s, "=") || len(s)%4 == 0 {
		return base64.StdEncoding.DecodeString(s)
	}
	return base64.RawStdEncoding.DecodeString(s)
}

// offeredSchemes lists the schemes of the challenges, for messages.
func offeredSchemes(values []string) string {
	var names []string
	for _, c := range parseChallenges(values) {
		names = append(names, truncate(c.scheme, 32))
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// isAuthParam reports whether s starts as an auth-param (token "=" value)
// rather than a token68, which may end in "=" but holds none before.
func isAuthParam(s string) bool {
	eq := strings.IndexByte(s, '=')
	if eq <= 0 {
		return false
	}
	name := strings.TrimRight(s[:eq], " \t")
	if name == "" || strings.ContainsAny(name, " \t\"") {
		return false
	}
	value := strings.TrimLeft(s[eq+1:], " \t")
	return value != "" && value[0] != '='
}

// isToken reports whether s is an HTTP token (RFC 9110 section 5.6.2).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune("!#$%&'*+-.^_`|~", r):
		default:
			return false
		}
	}
	return true
}

// splitOutsideQuotes splits s at every sep outside a quoted string.
func splitOutsideQuotes(s string, sep byte) []string {
	var parts []string
	quoted, escaped, from := false, false, 0
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; {
		case escaped:
			escaped = false
		case quoted && ch == '\\':
			escaped = true
		case ch == '"':
			quoted = !quoted
		case !quoted && ch == sep:
			parts = append(parts, s[from:i])
			from = i + 1
		}
	}
	return append(parts, s[from:])
}
