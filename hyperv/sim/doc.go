// Package sim is a simulated fleet of Hyper-V hosts that speaks real WinRM.
//
// Serve gives every host of a fleet its own WS-Management endpoint on
// loopback (package wsman), by default a WinRM service as Windows Server
// ships it (NTLM or Kerberos, messages sealed over HTTP, no Basic) unless the
// fleet file's winrm settings say otherwise, checks logons against the
// fleet's domain account under an Active Directory lockout policy (package
// domain), and answers hvbalancer's own PowerShell scripts as Windows
// PowerShell 5.1 on a Hyper-V host would (package powershell). It also serves
// the admin API that lets tests read the model and inject faults, and writes
// inventories of the endpoints. It never talks to a real host and never
// listens beyond the address it is given.
//
// The subtree, each package with what it imports of it and what it never
// does (every arrow points down or sideways, never up):
//
//	sim          Serve, the endpoints, the admin API, inventories.
//	             Imports powershell, domain, wsman, model, fleetfile.
//	powershell   command lines and cmdlet answers over the model; a
//	             wsman.Runner. Imports model, wsman. Never touches the
//	             network or the fleet file.
//	domain       the fleet's account, its password and lockout policy; a
//	             wsman.Accounts. Imports model, fleetfile, wsman. Never
//	             parses a command or a message.
//	model        hosts, VMs, clock, load profiles, migrations, faults,
//	             ledger. Imports fleetfile. Never parses YAML, PowerShell
//	             or WS-Man and never serves anything.
//	fleetfile    the fleet file: spec types, defaults, validation,
//	             Generate. Imports none of these. Never knows of the model,
//	             of HTTP or of WinRM beyond the settings it names.
//	wsman        a WinRM remote-shell server. Imports wsman/ntlm. Never
//	             knows Hyper-V, PowerShell or the fleet: a Runner and
//	             Accounts given by the caller do.
//	wsman/ntlm   the accepting side of NTLM. Imports none of these. Never
//	             sees HTTP or a WS-Man message.
//	krbtest      a real MIT Kerberos KDC for tests. Imports nothing of
//	             hvbalancer. Never used outside tests.
//
// Below the subtree, wsman and wsman/ntlm share hyperv/internal/wsmv (the
// MS-WSMV message encryption) with the client, and sim uses
// hyperv/internal/krb5 to read keytabs. Nothing of the subtree imports the
// client: powershell parses what it is sent (powershell/lang), binds it
// against the real cmdlets' signatures (powershell/catalog) and runs it
// (powershell/eval) against the model, so any client's script is judged by
// what it means.
//
// The fleet file's and the model's names most callers need (FleetSpec,
// ParseFleet, LoadFleet, Generate, Fleet, NewFleet, the clocks, the ledger)
// are kept here as aliases, so a caller that only serves a fleet imports
// package sim alone.
package sim
