package krb5

import (
	"errors"
	"fmt"
	"strings"

	"github.com/jcmturner/gokrb5/v8/iana/errorcode"
	"github.com/jcmturner/gokrb5/v8/messages"
)

// Sentinels of the failures a caller handles differently. An *Error wraps
// one of them; check with errors.Is.
var (
	// ErrClockSkew: the KDC or the host refused because the clocks differ
	// by more than the allowed skew (KRB_AP_ERR_SKEW).
	ErrClockSkew = errors.New("kerberos clock skew too great")
	// ErrUnknownPrincipal: the KDC does not know the user
	// (KDC_ERR_C_PRINCIPAL_UNKNOWN) or the service (KDC_ERR_S_PRINCIPAL_UNKNOWN).
	ErrUnknownPrincipal = errors.New("kerberos principal unknown")
	// ErrKDCUnreachable: no KDC of the realm answered.
	ErrKDCUnreachable = errors.New("no kerberos KDC reachable")
	// ErrPreauthFailed: the KDC refused the password or the keytab's key
	// (KDC_ERR_PREAUTH_FAILED), or its reply could not be opened with it.
	ErrPreauthFailed = errors.New("kerberos password or key refused")
	// ErrAccountUnusable: the account is disabled, locked out, expired, or
	// its password expired (KDC_ERR_CLIENT_REVOKED, KDC_ERR_KEY_EXPIRED,
	// KDC_ERR_NAME_EXP).
	ErrAccountUnusable = errors.New("kerberos account unusable")
	// ErrExpired: the credential cache holds no valid ticket and there is
	// no password or keytab to get one.
	ErrExpired = errors.New("kerberos credentials expired")
	// ErrRejected: the KDC or the host refused for another reason.
	ErrRejected = errors.New("kerberos request rejected")
	// ErrWrongService: a ticket for a service that is not this host's.
	ErrWrongService = errors.New("kerberos ticket for another service")
	// ErrReplay: an AP-REQ the acceptor has already seen.
	ErrReplay = errors.New("kerberos request replayed")
	// ErrMutualAuth: the host's AP-REP is missing or does not prove it
	// holds the service key.
	ErrMutualAuth = errors.New("kerberos mutual authentication failed")
	// ErrMalformed: a token or message that cannot be parsed.
	ErrMalformed = errors.New("malformed kerberos token")
	// ErrIntegrity: a sealed message whose checksum does not match: it
	// was changed, or sealed with another key.
	ErrIntegrity = errors.New("kerberos message integrity check failed")
	// ErrSequence: a sealed message out of order or repeated.
	ErrSequence = errors.New("kerberos message out of sequence")
	// ErrUnsupported: an encryption type or option this package does not
	// implement (sealing with RC4-HMAC or DES3, user-to-user tickets).
	ErrUnsupported = errors.New("kerberos feature not supported")
	// ErrNotEstablished: Wrap or Unwrap before the context was complete.
	ErrNotEstablished = errors.New("kerberos context not established")
)

// Error is a Kerberos failure with its cause. Code is the Kerberos error
// code (RFC 4120 section 7.5.9) the KDC or the host answered, 0 when the
// failure is local. Err is one of the package's sentinels.
type Error struct {
	Op   string // what was being done, e.g. "get a ticket for HTTP/hv01"
	Code int32
	Msg  string // what went wrong, in an administrator's words
	Err  error
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Code != 0 {
		fmt.Fprintf(&b, " (%s)", codeName(e.Code))
	}
	return b.String()
}

// Unwrap returns the sentinel.
func (e *Error) Unwrap() error { return e.Err }

// codeName names a Kerberos error code, e.g. "KRB_AP_ERR_SKEW".
func codeName(code int32) string {
	s := errorcode.Lookup(code) // "(37) KRB_AP_ERR_SKEW Clock skew too great"
	if _, rest, ok := strings.Cut(s, ") "); ok {
		name, _, _ := strings.Cut(rest, " ")
		return name
	}
	return fmt.Sprintf("error %d", code)
}

// fromKRBError turns a KRB-ERROR the KDC answered into an *Error. op names
// the request; client and service are the principals it concerned, which
// the message names when the KDC did not know one of them.
func fromKRBError(op string, k messages.KRBError, client, service string) *Error {
	e := &Error{Op: op, Code: k.ErrorCode}
	switch k.ErrorCode {
	case errorcode.KRB_AP_ERR_SKEW:
		e.Err = ErrClockSkew
		e.Msg = "the clocks of this machine and the KDC differ by more than the allowed skew (5 minutes by default): synchronise them with the domain's time (NTP)"
	case errorcode.KDC_ERR_C_PRINCIPAL_UNKNOWN:
		e.Err = ErrUnknownPrincipal
		e.Msg = fmt.Sprintf("the KDC has no user principal %s: check the user name and the realm", client)
	case errorcode.KDC_ERR_S_PRINCIPAL_UNKNOWN:
		e.Err = ErrUnknownPrincipal
		e.Msg = missingSPN(service)
	case errorcode.KDC_ERR_PREAUTH_FAILED:
		e.Err = ErrPreauthFailed
		e.Msg = fmt.Sprintf("the KDC refused the password or key of %s: wrong password, or a keytab with old keys", client)
	case errorcode.KDC_ERR_CLIENT_REVOKED, errorcode.KDC_ERR_NAME_EXP:
		e.Err = ErrAccountUnusable
		e.Msg = fmt.Sprintf("the KDC refused %s: the account is disabled, locked out or expired", client)
	case errorcode.KDC_ERR_KEY_EXPIRED:
		e.Err = ErrAccountUnusable
		e.Msg = fmt.Sprintf("the password of %s has expired: change it", client)
	case errorcode.KDC_ERR_ETYPE_NOSUPP:
		e.Err = ErrUnsupported
		e.Msg = fmt.Sprintf("the KDC has no key of an encryption type this client uses (AES) for %s: enable AES for the account", orDefault(service, client))
	default:
		e.Err = ErrRejected
		e.Msg = "the KDC refused the request"
	}
	if t := strings.TrimSpace(k.EText); t != "" && e.Err == ErrRejected {
		e.Msg += ": " + t
	}
	return e
}

// missingSPN says which service principal the KDC lacks and how to
// register it, e.g. "setspn -S HTTP/hv01.corp.example HV01".
func missingSPN(service string) string {
	spn, _, _ := strings.Cut(service, "@")
	account := "<host account>"
	if _, host, ok := strings.Cut(spn, "/"); ok && host != "" {
		host, _, _ = strings.Cut(host, ":")
		name, _, _ := strings.Cut(host, ".")
		account = strings.ToUpper(name)
	}
	return fmt.Sprintf("the KDC has no principal %s: register the host's SPN (setspn -S %s %s)", spn, spn, account)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// apError describes a KRB-ERROR of the AP exchange (RFC 4120 section
// 3.2.3); peer is the other side ("the host" for the client, "the
// client" for the host).
func apError(op string, code int32, spn, peer string) *Error {
	e := &Error{Op: op, Code: code, Err: ErrRejected}
	switch code {
	case errorcode.KRB_AP_ERR_SKEW:
		e.Err = ErrClockSkew
		e.Msg = fmt.Sprintf("the clocks of this machine and %s differ by more than the allowed skew (5 minutes by default): synchronise them with the domain's time (NTP)", peer)
	case errorcode.KRB_AP_ERR_REPEAT:
		e.Err = ErrReplay
		e.Msg = "the authenticator was used before (a replay)"
	case errorcode.KRB_AP_ERR_NOT_US:
		e.Err = ErrWrongService
		e.Msg = fmt.Sprintf("the ticket is for another service than %s", spn)
	case errorcode.KRB_AP_ERR_TKT_EXPIRED:
		e.Msg = fmt.Sprintf("the ticket for %s has expired", spn)
	case errorcode.KRB_AP_ERR_TKT_NYV:
		e.Msg = fmt.Sprintf("the ticket for %s is not valid yet: check the clocks", spn)
	case errorcode.KRB_AP_ERR_MODIFIED, errorcode.KRB_AP_ERR_BAD_INTEGRITY, errorcode.KRB_AP_ERR_BADKEYVER, errorcode.KRB_AP_ERR_NOKEY:
		e.Msg = fmt.Sprintf("the ticket for %s does not open with the keys of the service's keytab: the SPN may be registered to another account (setspn -Q %s), or the keytab is out of date", spn, spn)
	case errorcode.KRB_AP_ERR_BADMATCH:
		e.Msg = "the ticket and the authenticator name different clients"
	default:
		e.Msg = fmt.Sprintf("%s refused the login", peer)
	}
	return e
}
