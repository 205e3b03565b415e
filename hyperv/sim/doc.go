// Package sim is a simulated fleet of Hyper-V hosts that speaks real WinRM.
//
// Every host gets its own WS-Management endpoint on loopback (package wsman),
// by default a WinRM service as Windows Server ships it (NTLM or Kerberos,
// messages sealed over HTTP, no Basic) unless the fleet file's winrm settings
// say otherwise, checks logons against the fleet's domain account with an
// Active Directory lockout policy, and answers hvbalancer's own PowerShell scripts exactly as Windows PowerShell
// 5.1 on a Hyper-V host would: ConvertTo-Json output with enums as numbers,
// "\/Date(ms)\/" dates, and errors as CLIXML on stderr. Behind the wire sits a
// model with a clock that can run faster than real time, VM load profiles,
// pre-copy live migration with per-host concurrency limits, fault injection
// and a ledger of every migration, so tests can prove what happened from the
// fleet's side. It never talks to a real host and never listens beyond the
// address it is given.
package sim
