package collector

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hvbalancer/hvbalancer/hyperv"
)

// Cause names, in a word, why a host could not be read; a snapshot host
// that is not ok carries the cause of its last failure. Text says it to a
// person.
type Cause string

// Causes of a failed poll.
const (
	CauseUnauthorized       Cause = "unauthorized"        // the host refused the credentials (HTTP 401)
	CauseUnencryptedRefused Cause = "unencrypted_refused" // HTTP 500 to an unencrypted NTLM/Kerberos message
	CauseAuthNotOffered     Cause = "auth_not_offered"    // the host does not offer the configured authentication method
	CauseCertificate        Cause = "certificate"         // the TLS certificate was not accepted
	CauseUnreachable        Cause = "unreachable"         // no connection
	CauseTimeout            Cause = "timeout"             // no answer within the deadline
	CauseClockSkew          Cause = "clock_skew"          // Kerberos: clocks too far apart
	CauseUnknownPrincipal   Cause = "unknown_principal"   // Kerberos: no such user, or the host's SPN is missing
	CauseKDCUnreachable     Cause = "kdc_unreachable"     // Kerberos: no KDC answered
	CauseShellQuota         Cause = "shell_quota"         // the account has as many WinRM shells open on the host as it may (hyperv.ErrShellQuota)
	CauseHeld               Cause = "held"                // not tried: a guard held the call back (ErrHeld); the reason says why
	CauseWrongHost          Cause = "wrong_host"          // the address answers as another computer (ErrWrongHost); the reason says which
	CauseBadAnswer          Cause = "bad_answer"          // the host's facts cannot be true (ErrBadAnswer); the reason says what
	CauseError              Cause = "error"               // anything else; the reason says what
)

// ErrHeld marks a Source error for a call that was never sent to the host,
// because something in front of the client held it back (after failed
// logins, say). Its message says why and until when.
var ErrHeld = errors.New("not tried")

// causes maps errors to causes, first match wins: the sentinels a Source
// may wrap before the generic ones they may wrap as well.
var causes = []struct {
	err   error
	cause Cause
}{
	{ErrHeld, CauseHeld},
	{ErrWrongHost, CauseWrongHost},
	{ErrBadAnswer, CauseBadAnswer},
	{hyperv.ErrShellQuota, CauseShellQuota},
	{hyperv.ErrUnencryptedRefused, CauseUnencryptedRefused},
	{hyperv.ErrCertificate, CauseCertificate},
	{hyperv.ErrClockSkew, CauseClockSkew},
	{hyperv.ErrUnknownPrincipal, CauseUnknownPrincipal},
	{hyperv.ErrKDCUnreachable, CauseKDCUnreachable},
	{hyperv.ErrAuthNotOffered, CauseAuthNotOffered},
	{hyperv.ErrUnauthorized, CauseUnauthorized},
	{hyperv.ErrTimeout, CauseTimeout},
	{context.DeadlineExceeded, CauseTimeout},
	{hyperv.ErrUnreachable, CauseUnreachable},
}

// known reports whether c is one of the causes above.
func (c Cause) known() bool {
	switch c {
	case "", CauseHeld, CauseError:
		return true
	}
	for _, k := range causes {
		if k.cause == c {
			return true
		}
	}
	return false
}

// CauseOf classifies a Source's error; nil has no cause.
func CauseOf(err error) Cause {
	if err == nil {
		return ""
	}
	for _, c := range causes {
		if errors.Is(err, c.err) {
			return c.cause
		}
	}
	return CauseError
}

// Text says the cause to an administrator, with what to check; empty for
// the causes whose host's reason says it better (held, wrong host, bad
// answer, error).
func (c Cause) Text() string {
	switch c {
	case CauseUnauthorized:
		return "wrong credentials or account locked"
	case CauseAuthNotOffered:
		return "the host does not offer the configured authentication method: set auth to one its WinRM service accepts (ntlm or kerberos on a host as Windows ships it)"
	case CauseUnencryptedRefused:
		return hyperv.ErrUnencryptedRefused.Error()
	case CauseCertificate:
		return "TLS certificate not accepted: check the name it carries against the address or tls_server_name, and ca_file"
	case CauseShellQuota:
		return "WinRM shell quota used up: the account has as many shells open on the host as MaxShellsPerUser allows; shells a stopped client left open close at their idle timeout, or remove them with Remove-WSManInstance"
	case CauseUnreachable:
		return "unreachable: no connection to its WinRM port"
	case CauseTimeout:
		return "timeout: no answer within the call timeout"
	case CauseClockSkew:
		return "Kerberos clock skew too great: this machine's clock and the domain's differ by more than 5 minutes"
	case CauseUnknownPrincipal:
		return "Kerberos principal unknown: the user, or the host's WSMAN/ and HTTP/ service principal names, are missing"
	case CauseKDCUnreachable:
		return "no Kerberos KDC reachable: check the realm's kdc entries in krb5.conf"
	}
	return ""
}

// Problem is one host that is not ok, said in one line: its cause's text,
// or its reason when the cause has none.
func (h *Host) Problem() string {
	if t := h.Cause.Text(); t != "" {
		return t
	}
	if h.Reason != "" {
		return h.Reason
	}
	return string(h.Health)
}

// Answering counts the hosts that are ok (their latest poll succeeded)
// among all the snapshot's hosts.
func (s *Snapshot) Answering() (ok, total int) {
	for i := range s.Hosts {
		if s.Hosts[i].Health == HealthOK {
			ok++
		}
	}
	return ok, len(s.Hosts)
}

// Unreadable returns the hosts that are not ok, in name order.
func (s *Snapshot) Unreadable() []Host {
	var out []Host
	for _, h := range s.Hosts {
		if h.Health != HealthOK {
			out = append(out, h)
		}
	}
	return out
}

// AnsweringSummary says which hosts do not answer and why, in one line,
// e.g. "2 of 8 hosts do not answer: HV03 (wrong credentials or account
// locked), HV05 (unreachable …)"; empty when every host answers.
func (s *Snapshot) AnsweringSummary() string {
	ok, total := s.Answering()
	if ok == total {
		return ""
	}
	var parts []string
	for _, h := range s.Unreadable() {
		parts = append(parts, fmt.Sprintf("%s (%s)", h.Name, h.Problem()))
	}
	return fmt.Sprintf("%d of %d hosts do not answer: %s", total-ok, total, strings.Join(parts, ", "))
}
