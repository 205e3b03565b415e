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
// The packages beneath it each import only those further down:
//
//	sim         Serve, the endpoints, the admin API, inventories
//	powershell  command lines and cmdlet answers over the model
//	domain      the fleet's account, its password and lockout policy
//	model       hosts, VMs, clock, load profiles, migrations, faults, ledger
//	fleetfile   the fleet file: spec types, defaults, validation, Generate
//
// The fleet file's and the model's names most callers need (FleetSpec,
// ParseFleet, LoadFleet, Generate, Fleet, NewFleet, the clocks, the ledger)
// are kept here as aliases, so a caller that only serves a fleet imports
// package sim alone.
package sim
