package domain

import (
	"strings"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/fleetfile"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/model"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/wsman"
)

// hostAccounts is what one host's WinRM service knows of accounts: the
// fleet's domain account, checked by the fleet-wide ledger.
type hostAccounts struct {
	ledger *Ledger
	fleet  *model.Fleet
	host   string
}

// Host returns what host of f knows of accounts, for its WinRM service.
func (l *Ledger) Host(f *model.Fleet, host string) wsman.Accounts {
	return hostAccounts{ledger: l, fleet: f, host: host}
}

// Password returns the fleet's password for its account, named as user,
// DOMAIN\user (the NetBIOS or DNS domain) or user@domain. A host with the
// wrong_credentials fault knows no account: its refusals never reach the
// domain, so they do not count toward a lockout.
func (a hostAccounts) Password(user, domain string) (string, bool) {
	if !isAccount(a.fleet.Spec(), user, domain) || a.refuses() {
		return "", false
	}
	return a.fleet.Spec().Credentials.Password, true
}

// Logon records the attempt with the fleet's ledger.
func (a hostAccounts) Logon(user, domain string, ok bool) bool {
	if !isAccount(a.fleet.Spec(), user, domain) || a.refuses() {
		return false
	}
	return a.ledger.Logon(a.fleet.Spec().Credentials.Username, ok)
}

func (a hostAccounts) refuses() bool {
	fl, err := a.fleet.Faults(a.host)
	return err != nil || fl.WrongCredentials
}

// isAccount reports whether user and domain, as a client sent them, name
// the fleet's account: its user name, in no domain, the fleet's domain by
// its DNS or NetBIOS name, or as a user principal name (user@domain).
func isAccount(spec *fleetfile.FleetSpec, user, domain string) bool {
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
