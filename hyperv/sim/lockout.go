package sim

import (
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/fleetfile"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/wsman"
)

// AccountState is one domain account's logon record, as the domain
// controller keeps it.
type AccountState struct {
	Username string `json:"username"`
	// BadLogons is the bad-password count the lockout policy looks at
	// (badPwdCount): reset by a good logon or after the window.
	BadLogons int `json:"bad_logons"`
	// LockedUntil is when a lockout ends; nil when the account is not
	// locked out.
	LockedUntil *time.Time `json:"locked_until"`
	// FailedLogons counts every refused logon: bad passwords, and right
	// ones refused while locked out.
	FailedLogons int `json:"failed_logons_total"`
}

// accountLedger applies the fleet's lockout policy to its domain account,
// on the fleet's simulated clock. Every host asks it, as every host asks
// the domain controller.
type accountLedger struct {
	policy fleetfile.Lockout
	now    func() time.Time
	log    *slog.Logger

	mu       sync.Mutex
	accounts map[string]*account // by lower-case user name
}

type account struct {
	name         string
	bad          int
	lastBad      time.Time
	lockedUntil  time.Time
	failedLogons int
}

func newAccountLedger(policy fleetfile.Lockout, now func() time.Time, log *slog.Logger) *accountLedger {
	return &accountLedger{policy: policy, now: now, log: log, accounts: make(map[string]*account)}
}

// logon records one attempt with a right (ok) or wrong password and
// reports whether it may log on: a locked-out account may not, whatever
// the password, and an attempt while locked out changes nothing else.
func (l *accountLedger) logon(user string, ok bool) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	a := l.accounts[strings.ToLower(user)]
	if a == nil {
		a = &account{name: user}
		l.accounts[strings.ToLower(user)] = a
	}
	if !a.lockedUntil.IsZero() {
		if now.Before(a.lockedUntil) {
			a.failedLogons++
			return false
		}
		a.lockedUntil, a.bad = time.Time{}, 0
	}
	if ok {
		a.bad = 0
		return true
	}
	a.failedLogons++
	if !a.lastBad.IsZero() && now.Sub(a.lastBad) >= l.policy.Window.Std() {
		a.bad = 0
	}
	a.bad++
	a.lastBad = now
	if threshold := *l.policy.Threshold; threshold > 0 && a.bad >= threshold {
		a.lockedUntil = now.Add(l.policy.Duration.Std())
		l.log.Info("account locked out", "user", a.name, "bad_logons", a.bad, "until", a.lockedUntil)
	}
	return false
}

// states lists every account that has logged on or tried to.
func (l *accountLedger) states() []AccountState {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	out := make([]AccountState, 0, len(l.accounts))
	for _, a := range l.accounts {
		st := AccountState{Username: a.name, BadLogons: a.bad, FailedLogons: a.failedLogons}
		if !a.lockedUntil.IsZero() && now.Before(a.lockedUntil) {
			until := a.lockedUntil
			st.LockedUntil = &until
		} else if !a.lockedUntil.IsZero() {
			st.BadLogons = 0 // the lockout ended, and with it the count
		}
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Username < out[j].Username })
	return out
}

// hostAccounts is what one host's WinRM service knows of accounts: the
// fleet's domain account, checked by the fleet-wide ledger.
type hostAccounts struct {
	s    *Server
	host string
}

var _ wsman.Accounts = hostAccounts{}

// Password returns the fleet's password for its account, named as user,
// DOMAIN\user (the NetBIOS or DNS domain) or user@domain. A host with the
// wrong_credentials fault knows no account: its refusals never reach the
// domain, so they do not count toward a lockout.
func (a hostAccounts) Password(user, domain string) (string, bool) {
	if !a.s.isAccount(user, domain) || a.refuses() {
		return "", false
	}
	return a.s.fleet.Spec().Credentials.Password, true
}

// Logon records the attempt with the fleet's ledger.
func (a hostAccounts) Logon(user, domain string, ok bool) bool {
	if !a.s.isAccount(user, domain) || a.refuses() {
		return false
	}
	return a.s.accounts.logon(a.s.fleet.Spec().Credentials.Username, ok)
}

func (a hostAccounts) refuses() bool {
	fl, err := a.s.fleet.Faults(a.host)
	return err != nil || fl.WrongCredentials
}

// isAccount reports whether user and domain, as a client sent them, name
// the fleet's account: its user name, in no domain, the fleet's domain by
// its DNS or NetBIOS name, or as a user principal name (user@domain).
func (s *Server) isAccount(user, domain string) bool {
	spec := s.fleet.Spec()
	dns := spec.Domain
	netbios, _, _ := strings.Cut(dns, ".")
	inDomain := func(d string) bool {
		return d == "" || strings.EqualFold(d, dns) || strings.EqualFold(d, netbios)
	}
	if name, upn, ok := strings.Cut(user, "@"); ok {
		user = name
		if upn == "" || !inDomain(upn) {
			return false
		}
	}
	return strings.EqualFold(user, spec.Credentials.Username) && inDomain(domain)
}

// Accounts returns the logon record of every account that tried to log on.
func (s *Server) Accounts() []AccountState { return s.accounts.states() }
