package wsman

import (
	"crypto/subtle"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/hvbalancer/hvbalancer/hyperv/internal/wsmv"
)

// Scheme is an HTTP authentication scheme of the service, as its
// WWW-Authenticate challenges name it.
type Scheme string

// The schemes of the WinRM service (winrm/config/service/auth).
const (
	// Negotiate is SPNEGO: NTLM, raw as pywinrm sends it or wrapped in
	// SPNEGO as Windows sends it, or Kerberos.
	Negotiate Scheme = "Negotiate"
	// Kerberos is a bare Kerberos GSS-API token.
	Kerberos Scheme = "Kerberos"
	// Basic is a user name and password in the clear.
	Basic Scheme = "Basic"
)

// DefaultSchemes returns what Windows Server accepts out of the box:
// Negotiate and Kerberos, not Basic (winrm/config/service/auth: Basic =
// false, Kerberos = true, Negotiate = true).
func DefaultSchemes() []Scheme { return []Scheme{Negotiate, Kerberos} }

// Auth is how the service authenticates clients. Its zero value with
// Accounts set is a default Windows Server WinRM service: Negotiate and
// Kerberos accepted, Basic refused, and over plain HTTP only messages
// sealed by the login's security context (MS-WSMV 2.2.9.1) accepted.
type Auth struct {
	// Schemes the service accepts; nil means DefaultSchemes.
	Schemes []Scheme
	// AllowUnencrypted accepts unsealed messages over plain HTTP, and
	// Basic there (winrm/config/service AllowUnencrypted, false by
	// default). Over HTTPS messages are never sealed.
	AllowUnencrypted bool
	// Accounts checks every logon attempt; required.
	Accounts Accounts
	// Kerberos accepts Kerberos tokens, in the Kerberos scheme and inside
	// Negotiate. Nil refuses them, as a host refuses a ticket of a realm
	// it does not trust.
	Kerberos KerberosAcceptor
	// Domain is the DNS name of the host's domain, which NTLM names to
	// clients; empty for a workgroup host.
	Domain string
	// Certificate is the HTTPS listener's certificate: NTLM logons that
	// carry TLS channel bindings are checked against it. Nil skips the
	// check.
	Certificate *x509.Certificate
}

// Accounts finds passwords and rules on logons; the service calls it for
// every attempt (Basic check, NTLM AUTHENTICATE, Kerberos ticket), which is
// where a lockout policy belongs.
type Accounts interface {
	// Password returns the password of the account the client named, by
	// user and domain exactly as it sent them (domain may be empty and
	// user may be a user principal name such as user@lab.example), and
	// whether such an account exists. An unknown account is refused
	// without a Logon call.
	Password(user, domain string) (password string, ok bool)
	// Logon records one attempt on an existing account and whether its
	// credentials were right, and reports whether it may log on: false
	// refuses even right credentials, as a locked-out account is refused.
	// For Kerberos, user and domain are the principal's name and realm.
	Logon(user, domain string, ok bool) (allowed bool)
}

// KerberosAcceptor accepts Kerberos security contexts (RFC 4121) for the
// service. The service passes it the client's initial context token: the
// GSS-API token with the Kerberos OID around the AP-REQ, taken from the
// Kerberos scheme, from Negotiate, or from SPNEGO's mechToken.
type KerberosAcceptor interface {
	// Accept checks token and returns the established context, the token
	// for the client (the AP-REP for mutual authentication, nil when none
	// is due) and the client's principal, "user@REALM". An error refuses
	// the logon; a reply along with it (the KRB-ERROR GSS-API token, such
	// as KRB_AP_ERR_SKEW) goes to the client with the 401. The service
	// unwraps SPNEGO itself: token is never SPNEGO, and the service wraps
	// reply in SPNEGO when the client used it.
	Accept(token []byte) (ctx SecurityContext, reply []byte, principal string, err error)
}

// SecurityContext is an established login: it seals and opens the
// connection's messages (NTLM sealing, or Kerberos wrap tokens).
type SecurityContext interface {
	wsmv.Sealer
}

// SingleAccount returns Accounts with one account, for tests and small
// set-ups: user (in any domain, also written user@domain) with password,
// and no lockout.
func SingleAccount(user, password string) Accounts { return singleAccount{user, password} }

type singleAccount struct{ user, password string }

func (a singleAccount) Password(user, _ string) (string, bool) {
	name, _, _ := strings.Cut(user, "@")
	return a.password, strings.EqualFold(name, a.user)
}

func (a singleAccount) Logon(_, _ string, ok bool) bool { return ok }

// check validates an Auth and fills in its defaults.
func (a *Auth) check() error {
	if a.Accounts == nil {
		return errors.New("auth accounts are required")
	}
	if a.Schemes == nil {
		a.Schemes = DefaultSchemes()
	}
	if len(a.Schemes) == 0 {
		return errors.New("auth schemes are empty: the service would let nobody in")
	}
	for _, sc := range a.Schemes {
		if sc != Negotiate && sc != Kerberos && sc != Basic {
			return fmt.Errorf("auth scheme %q is not Negotiate, Kerberos or Basic", sc)
		}
	}
	return nil
}

func (a *Auth) accepts(sc Scheme) bool { return slices.Contains(a.Schemes, sc) }

// challenges returns the WWW-Authenticate values of a 401, in the order
// Windows sends them: Negotiate, Kerberos, then Basic with its realm.
func (a *Auth) challenges() []string {
	var out []string
	for _, sc := range []Scheme{Negotiate, Kerberos} {
		if a.accepts(sc) {
			out = append(out, string(sc))
		}
	}
	if a.accepts(Basic) {
		out = append(out, `Basic realm="WSMAN"`)
	}
	return out
}

// checkBasic checks a Basic user name and password against the accounts
// and records the attempt. The user name may be DOMAIN\user.
func (a *Auth) checkBasic(username, password string) bool {
	domain, user, ok := strings.Cut(username, `\`)
	if !ok {
		domain, user = "", username
	}
	want, known := a.Accounts.Password(user, domain)
	if !known {
		return false
	}
	right := subtle.ConstantTimeCompare([]byte(password), []byte(want)) == 1
	return a.Accounts.Logon(user, domain, right) && right
}
