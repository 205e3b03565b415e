package hyperv

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv/internal/krb5"
	"github.com/hvbalancer/hvbalancer/hyperv/internal/wsmv"
)

// kerberosAuth is Kerberos (RFC 4121) in the Negotiate scheme, inside
// SPNEGO as Windows' Negotiate package sends it: one AP-REQ, and the
// host's AP-REP in the success response proves the host holds the service
// key. The ticket comes from the credential's shared Initiator, which
// asks the KDC only when it holds no valid one. Over HTTPS the AP-REQ
// carries the TLS channel bindings.
type kerberosAuth struct {
	ctx *krb5.ClientContext
}

var _ authenticator = (*kerberosAuth)(nil)

// newKerberosAuth makes the Kerberos context of one connection to spn;
// state is its TLS state, nil over HTTP. timeout bounds the KDC
// exchanges it may need.
func newKerberosAuth(init *krb5.Initiator, spn string, timeout time.Duration, state *tls.ConnectionState) (*kerberosAuth, error) {
	var bindings []byte
	if state != nil && len(state.PeerCertificates) > 0 {
		bindings = channelBindings(state.PeerCertificates[0]).ApplicationData
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c, err := init.InitSecContext(ctx, spn, bindings)
	if err != nil {
		return nil, kerberosError(err, spn)
	}
	return &kerberosAuth{ctx: c}, nil
}

func (a *kerberosAuth) scheme() string   { return "Negotiate" }
func (a *kerberosAuth) protocol() string { return wsmv.ProtocolSPNEGO }

// start returns the AP-REQ in an SPNEGO NegTokenInit.
func (a *kerberosAuth) start() ([]byte, error) { return a.ctx.SPNEGOToken() }

// next takes the token of a 401: the host refused the AP-REQ, and the
// token, a KRB-ERROR, says why (clock skew, a ticket it cannot open).
// Kerberos has no second leg to send.
func (a *kerberosAuth) next(in []byte) ([]byte, error) {
	if err := a.ctx.Complete(in); err != nil {
		return nil, kerberosError(err, a.ctx.SPN())
	}
	return nil, errHandshakeDone
}

// finish checks the host's AP-REP, which the success response must carry.
func (a *kerberosAuth) finish(in []byte) error {
	if err := a.ctx.Complete(in); err != nil {
		return kerberosError(err, a.ctx.SPN())
	}
	return nil
}

// Wrap seals plain with an RFC 4121 wrap token.
func (a *kerberosAuth) Wrap(plain []byte) (signature, sealed []byte, err error) {
	return a.ctx.Wrap(plain)
}

// Unwrap checks and opens a message the host sealed.
func (a *kerberosAuth) Unwrap(signature, sealed []byte) ([]byte, error) {
	return a.ctx.Unwrap(signature, sealed)
}

// kerberosKinds maps the Kerberos failures a caller handles differently
// to the package's sentinels. A refused password or key, an account that
// is locked or expired, and a credential cache without a valid ticket are
// refused credentials, as a 401 is.
var kerberosKinds = []struct {
	krb5, kind error
}{
	{krb5.ErrClockSkew, ErrClockSkew},
	{krb5.ErrUnknownPrincipal, ErrUnknownPrincipal},
	{krb5.ErrKDCUnreachable, ErrKDCUnreachable},
	{krb5.ErrPreauthFailed, ErrUnauthorized},
	{krb5.ErrAccountUnusable, ErrUnauthorized},
	{krb5.ErrExpired, ErrUnauthorized},
}

// kerberosError classifies a Kerberos failure with the package's
// sentinel, keeping the krb5 text, which names the principals and what to
// do (the setspn command for a missing SPN); it never holds a password.
// spn is the host's service principal: when the KDC does not know it and
// it names an IP address, the error says that Active Directory registers
// SPNs for names. Errors of other kinds come back as they are.
func kerberosError(err error, spn string) error {
	if kerberosClassified(err) {
		return err
	}
	for _, k := range kerberosKinds {
		if !errors.Is(err, k.krb5) {
			continue
		}
		if k.kind == ErrUnknownPrincipal && spnNamesIP(spn) && strings.Contains(err.Error(), spn) {
			return fmt.Errorf("%w: the SPN %s names an IP address, and Active Directory registers SPNs for host names: connect by the host's DNS name, or set tls_server_name or kerberos.spn to it: %w", k.kind, spn, err)
		}
		return fmt.Errorf("%w: %w", k.kind, err)
	}
	return err
}

// kerberosClassified reports whether err already carries one of the
// sentinels kerberosError gives, so that it is not called a refused login
// when it is not one (clock skew, a missing SPN, no KDC).
func kerberosClassified(err error) bool {
	for _, k := range kerberosKinds {
		if errors.Is(err, k.kind) {
			return true
		}
	}
	return false
}

// spn returns the service principal of the host's WinRM service:
// Kerberos.SPN when set, else HTTP/<name> where name is TLSServerName when
// set, else Host. Windows registers HTTP/ for its WinRM listener by the
// host's DNS name (the WSMAN/ SPN is registered too; either works).
func (c Config) spn() string {
	if c.Kerberos.SPN != "" {
		return c.Kerberos.SPN
	}
	name := c.Host
	if c.TLSServerName != "" {
		name = c.TLSServerName
	}
	return "HTTP/" + name
}

// spnNamesIP reports whether the host part of spn is an IP address.
func spnNamesIP(spn string) bool {
	name, _, _ := strings.Cut(spn, "@")
	_, host, ok := strings.Cut(name, "/")
	if !ok {
		return false
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return net.ParseIP(strings.Trim(host, "[]")) != nil
}
