// Package powershell answers the command lines a simulated Hyper-V host
// receives over WinRM as powershell.exe on Windows Server would: it decodes
// -EncodedCommand, parses the script as Windows PowerShell 5.1 does
// (package lang), checks every command and parameter against the cmdlets'
// signatures (package catalog), runs it (package eval) with the Hyper-V,
// FailoverClusters, Get-Counter and CIM cmdlets answered from the fleet
// model (host.go and the cmdlets_*.go, counters.go, cim.go files), and
// writes what Windows PowerShell 5.1 writes: the output stream formatted,
// errors as CLIXML on stderr, and powershell.exe's exit code.
//
// Run still answers with the text matcher this package began with
// (hvbalancer's own scripts recognised by their text, cmdlets.go); the
// parsing path, runMeaning, agrees with it on every shipped script except
// where Windows differs (a lookup silenced with -ErrorAction
// SilentlyContinue still fails its pipeline, so powershell.exe exits 1),
// and replaces it once the client reads that exit code.
//
// It knows nothing of the WS-Man server that carries the commands, beyond
// being its wsman.Runner, and never touches the network or the fleet file.
package powershell
