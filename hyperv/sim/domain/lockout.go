package domain

import (
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/fleetfile"
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

// Ledger applies the fleet's lockout policy to its domain account, on the
// fleet's simulated clock. Every host asks it, as every host asks the
// domain controller.
type Ledger struct {
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

// NewLedger keeps the logons of the domain's accounts under policy, with
// time from now; lockouts are logged to log.
func NewLedger(policy fleetfile.Lockout, now func() time.Time, log *slog.Logger) *Ledger {
	return &Ledger{policy: policy, now: now, log: log, accounts: make(map[string]*account)}
}

// Logon records one attempt with a right (ok) or wrong password and
// reports whether it may log on: a locked-out account may not, whatever
// the password, and an attempt while locked out changes nothing else.
func (l *Ledger) Logon(user string, ok bool) bool {
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

// States lists every account that has logged on or tried to.
func (l *Ledger) States() []AccountState {
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
