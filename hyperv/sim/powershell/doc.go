// Package powershell answers the command lines a simulated Hyper-V host
// receives over WinRM as powershell.exe on Windows Server would: it decodes
// -EncodedCommand, parses the script as Windows PowerShell 5.1 does
// (package lang), checks every command and parameter against the cmdlets'
// signatures (package catalog), runs it (package eval) with the Hyper-V,
// FailoverClusters, Get-Counter, CIM and New-Object cmdlets answered from
// the fleet model (host.go, cmdlets_hyperv.go, cmdlets_move.go,
// counters.go, cim.go, newobject.go), and writes what Windows PowerShell
// 5.1 writes: the output stream formatted, errors as CLIXML on stderr, and
// powershell.exe's exit code. Any script over the catalog runs, not only
// hvbalancer's: nothing here knows the client's script texts.
//
// It knows nothing of the WS-Man server that carries the commands, beyond
// being its wsman.Runner, and never touches the network or the fleet file.
package powershell
