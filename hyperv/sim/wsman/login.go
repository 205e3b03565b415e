package wsman

import (
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/wsman/ntlm"
)

// errLockedOut: the credentials were right but the account may not log on.
var errLockedOut = errors.New("the account may not log on")

// authenticate finds who sent r: from its Authorization header, or from
// the login its connection established. It answers the request itself and
// returns nil when the client is refused (401 with the service's
// challenges) or a handshake needs another leg (401 with a token).
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, cs *connState) *login {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	authz := r.Header.Get("Authorization")
	if authz == "" {
		if cs.login == nil {
			s.unauthorized(w)
			return nil
		}
		lg := *cs.login
		return &lg
	}
	scheme, token, _ := strings.Cut(authz, " ")
	var lg *login
	if strings.EqualFold(scheme, string(Basic)) && s.auth.accepts(Basic) {
		lg = s.basicLogin(r)
	} else if sc := s.tokenScheme(scheme); sc != "" {
		tok, err := base64.StdEncoding.DecodeString(strings.TrimSpace(token))
		if err != nil {
			s.log.Debug("wsman login refused", "scheme", sc, "err", "token is not base64")
		} else {
			var challenge []byte
			if lg, challenge = s.tokenLogin(cs, r, sc, tok); challenge != nil {
				w.Header().Set("WWW-Authenticate", string(sc)+" "+base64.StdEncoding.EncodeToString(challenge))
				bare(w, http.StatusUnauthorized)
				return nil
			}
		}
	}
	if lg == nil {
		cs.reset()
		s.unauthorized(w)
	}
	return lg
}

// tokenScheme returns the scheme an Authorization header names when it is
// Negotiate or Kerberos and the service accepts it, else "".
func (s *Server) tokenScheme(name string) Scheme {
	for _, sc := range []Scheme{Negotiate, Kerberos} {
		if strings.EqualFold(name, string(sc)) && s.auth.accepts(sc) {
			return sc
		}
	}
	return ""
}

// unauthorized refuses a request with the service's challenges.
func (s *Server) unauthorized(w http.ResponseWriter) {
	for _, c := range s.auth.challenges() {
		w.Header().Add("WWW-Authenticate", c)
	}
	bare(w, http.StatusUnauthorized)
}

// basicLogin checks Basic credentials. Windows refuses Basic over plain
// HTTP unless AllowUnencrypted is set, with 401 as for a wrong password
// (Ansible's Windows guide lists it under "HTTP 401/Credentials
// Rejected"; PSWSMan's about_PSWSManAuthentication says the server must
// allow unencrypted access). The password is then not checked, so such
// attempts do not count toward a lockout.
func (s *Server) basicLogin(r *http.Request) *login {
	if r.TLS == nil && !s.auth.AllowUnencrypted {
		s.log.Debug("wsman login refused", "scheme", Basic, "err", "basic over http with AllowUnencrypted=false")
		return nil
	}
	user, password, ok := r.BasicAuth()
	if !ok || !s.auth.checkBasic(user, password) {
		s.log.Debug("wsman login refused", "scheme", Basic, "user", user)
		return nil
	}
	return &login{user: user, scheme: Basic}
}

// tokenLogin handles a Negotiate or Kerberos token. It returns the login
// when the handshake completed, or the token to send with a 401: the next
// leg's, or a Kerberos error's.
func (s *Server) tokenLogin(cs *connState, r *http.Request, scheme Scheme, tok []byte) (*login, []byte) {
	kind, mech := classify(tok)
	switch {
	case kind == tokenKerberos:
		return s.kerberosLogin(cs, scheme, tok, false, nil)
	case scheme == Kerberos:
	case kind == tokenNTLM:
		return s.ntlmLeg(cs, r, tok, false, nil)
	case kind == tokenNegInit:
		init, mechTypes, err := parseNegTokenInit(tok)
		if err != nil {
			s.log.Debug("wsman login refused", "scheme", scheme, "err", err)
			return nil, nil
		}
		switch kind, mech = classify(init.MechToken); kind {
		case tokenNTLM:
			lg, next := s.ntlmLeg(cs, r, init.MechToken, true, nil)
			cs.mechTypes = mechTypes
			return lg, next
		case tokenKerberos:
			return s.kerberosLogin(cs, scheme, init.MechToken, true, kerberosMech(init.MechTypes))
		}
	case kind == tokenNegResp:
		resp, err := parseNegTokenResp(tok)
		if err != nil {
			s.log.Debug("wsman login refused", "scheme", scheme, "err", err)
			return nil, nil
		}
		if k, _ := classify(resp.ResponseToken); k == tokenNTLM && cs.spnego {
			return s.ntlmLeg(cs, r, resp.ResponseToken, true, resp.MechListMIC)
		}
	}
	s.log.Debug("wsman login refused", "scheme", scheme, "err", "unsupported token", "mech", mech)
	return nil, nil
}

// ntlmLeg runs one leg of an NTLM logon: NEGOTIATE gets a CHALLENGE,
// AUTHENTICATE completes the handshake begun on the same connection.
func (s *Server) ntlmLeg(cs *connState, r *http.Request, msg []byte, spnego bool, mic []byte) (*login, []byte) {
	if len(msg) < 12 || msg[8] != 1 && msg[8] != 3 {
		s.log.Debug("wsman login refused", "scheme", Negotiate, "err", "not an NTLM NEGOTIATE or AUTHENTICATE message")
		return nil, nil
	}
	if msg[8] == 1 {
		h, challenge, err := s.ntlm.Challenge(msg)
		if err != nil {
			s.log.Debug("wsman login refused", "scheme", Negotiate, "err", err)
			return nil, nil
		}
		cs.reset()
		cs.pending, cs.spnego = h, spnego
		if spnego {
			challenge = marshalNegTokenResp(acceptIncomplete, oidNTLM, challenge, nil)
		}
		return nil, challenge
	}
	h := cs.pending
	cs.pending = nil
	if h == nil {
		s.log.Debug("wsman login refused", "scheme", Negotiate, "err", "AUTHENTICATE without a CHALLENGE on this connection")
		return nil, nil
	}
	sess, id, err := h.Authenticate(msg, s.bindings(r))
	switch {
	case errors.Is(err, ntlm.ErrWrongPassword):
		s.auth.Accounts.Logon(id.User, id.Domain, false)
	case err == nil && !s.auth.Accounts.Logon(id.User, id.Domain, true):
		err = errLockedOut
	}
	var reply []byte
	if err == nil && spnego {
		reply, err = spnegoFinish(sess, cs.mechTypes, mic)
	}
	if err != nil {
		s.log.Debug("wsman login refused", "scheme", Negotiate, "mech", "NTLM", "user", id.User, "domain", id.Domain, "err", err)
		return nil, nil
	}
	user := id.User
	if id.Domain != "" {
		user = id.Domain + `\` + id.User
	}
	lg := &login{user: user, scheme: Negotiate, ctx: sess, ntlm: true}
	if reply != nil {
		lg.reply = string(Negotiate) + " " + base64.StdEncoding.EncodeToString(reply)
	}
	return s.establish(cs, lg), nil
}

// spnegoFinish checks the client's mechListMIC, when it sent one, and
// returns the final NegTokenResp with the service's own (RFC 4178
// section 5, MS-SPNG 3.3.5.1).
func spnegoFinish(sess *ntlm.Session, mechTypes, mic []byte) ([]byte, error) {
	if mic == nil {
		return marshalNegTokenResp(acceptCompleted, nil, nil, nil), nil
	}
	if err := sess.VerifySignature(mechTypes, mic); err != nil {
		return nil, err
	}
	return marshalNegTokenResp(acceptCompleted, nil, nil, sess.MakeSignature(mechTypes)), nil
}

// kerberosMech is the Kerberos OID a SPNEGO reply names: the first the
// client listed, which for Windows clients is Microsoft's.
func kerberosMech(list []asn1.ObjectIdentifier) asn1.ObjectIdentifier {
	for _, m := range list {
		if m.Equal(oidMSKrb5) || m.Equal(oidKrb5) {
			return m
		}
	}
	return oidKrb5
}

// kerberosLogin accepts a Kerberos token, bare or from SPNEGO. A refusal
// may carry the acceptor's error token (a KRB-ERROR such as
// KRB_AP_ERR_SKEW, as Windows sends it), returned to go with the 401.
func (s *Server) kerberosLogin(cs *connState, scheme Scheme, tok []byte, spnego bool, mech asn1.ObjectIdentifier) (*login, []byte) {
	if s.auth.Kerberos == nil {
		s.log.Debug("wsman login refused", "scheme", scheme, "mech", "Kerberos", "err", "this host accepts no Kerberos tickets")
		return nil, nil
	}
	ctx, reply, principal, err := s.auth.Kerberos.Accept(tok)
	if err != nil {
		s.log.Debug("wsman login refused", "scheme", scheme, "mech", "Kerberos", "err", err)
		cs.reset()
		if reply != nil && spnego {
			reply = marshalNegTokenResp(reject, nil, reply, nil)
		}
		return nil, reply
	}
	user, realm := principal, ""
	if i := strings.LastIndexByte(principal, '@'); i >= 0 {
		user, realm = principal[:i], principal[i+1:]
	}
	if !s.auth.Accounts.Logon(user, realm, true) {
		s.log.Debug("wsman login refused", "scheme", scheme, "mech", "Kerberos", "user", principal, "err", errLockedOut)
		return nil, nil
	}
	if spnego {
		reply = marshalNegTokenResp(acceptCompleted, mech, reply, nil)
	}
	lg := &login{user: principal, scheme: scheme, ctx: ctx}
	if reply != nil {
		lg.reply = string(scheme) + " " + base64.StdEncoding.EncodeToString(reply)
	}
	return s.establish(cs, lg), nil
}

// establish binds a completed login to the connection and returns it as
// the completing request sees it.
func (s *Server) establish(cs *connState, lg *login) *login {
	cs.reset()
	cs.login = lg
	done := *lg
	done.handshake = true
	lg.reply = ""
	return &done
}

// bindings returns the TLS channel bindings NTLM logons are checked
// against, nil when there is nothing to check them against.
func (s *Server) bindings(r *http.Request) []byte {
	if r.TLS == nil {
		return nil
	}
	return s.tlsBindings
}
