package sim

import (
	"fmt"
	"strings"

	"github.com/jcmturner/gokrb5/v8/keytab"

	"github.com/hvbalancer/hvbalancer/hyperv/internal/krb5"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/wsman"
)

// KerberosKeytab returns the Options.Kerberos of a fleet whose hosts take
// Kerberos tickets, as domain members do: every host accepts tickets for
// its own HTTP/ and WSMAN/ service principals, by short name and by
// <name>.<domain>, whose keys are in keytab (the MIT or ktpass format).
// A host whose keys the keytab lacks refuses Kerberos tickets.
func KerberosKeytab(kt []byte, domain string) (func(host string) wsman.KerberosAcceptor, error) {
	// Check the keytab once, so a bad file is an error at start, not a
	// refusal at every logon.
	if err := keytab.New().Unmarshal(kt); err != nil {
		return nil, fmt.Errorf("kerberos keytab: %w", err)
	}
	return func(host string) wsman.KerberosAcceptor {
		names := []string{strings.ToLower(host)}
		if domain != "" {
			names = append(names, strings.ToLower(host)+"."+strings.ToLower(domain))
		}
		// Only the principals the keytab has keys for: a host registered
		// as HTTP/ alone still takes tickets for it.
		var spns []string
		for _, n := range names {
			for _, svc := range []string{"HTTP/", "WSMAN/"} {
				if _, err := krb5.NewAcceptor(kt, []string{svc + n}); err == nil {
					spns = append(spns, svc+n)
				}
			}
		}
		if len(spns) == 0 {
			return nil
		}
		a, err := krb5.NewAcceptor(kt, spns)
		if err != nil {
			return nil
		}
		return kerberosAcceptor{a}
	}, nil
}

// kerberosAcceptor adapts a krb5.Acceptor to the WinRM service's hook.
type kerberosAcceptor struct{ a *krb5.Acceptor }

var _ wsman.KerberosAcceptor = kerberosAcceptor{}

// Accept implements wsman.KerberosAcceptor.
func (k kerberosAcceptor) Accept(token []byte) (wsman.SecurityContext, []byte, string, error) {
	sc, reply, err := k.a.Accept(token)
	if err != nil {
		return nil, reply, "", err
	}
	return sc, reply, sc.Client(), nil
}
