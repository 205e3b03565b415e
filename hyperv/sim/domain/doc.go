// Package domain is the simulated fleet's Active Directory domain as its
// hosts see it: which user names name the fleet's one account (user,
// DOMAIN\user, user@domain), its password, and the domain controller's
// lockout policy (threshold, observation window, lockout duration) applied
// on the fleet's clock to every logon any host checks. A host with the
// wrong_credentials fault knows no account, so its refusals never reach the
// domain. It plugs into the WS-Man server as its wsman.Accounts and never
// sees a message, a command line or a network connection.
package domain
