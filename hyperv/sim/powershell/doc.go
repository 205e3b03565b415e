// Package powershell answers the command lines a simulated Hyper-V host
// receives over WinRM as powershell.exe on Windows Server would: it decodes
// -EncodedCommand, recognizes hvbalancer's own scripts, runs them against the
// fleet model (Get-VMHost, Get-VM, Get-Counter, Move-VM, Move-ClusterVirtualMachineRole)
// and writes what Windows PowerShell 5.1 writes: ConvertTo-Json output with
// enums as numbers and "\/Date(ms)\/" dates, and errors as CLIXML on stderr.
// It knows nothing of the WS-Man server that carries the commands, beyond
// being its wsman.Runner, and never touches the network or the fleet file.
//
// It recognises a script by its exact text, taken from the client package
// (hyperv.Scripts): a known coupling of the simulator to the client it
// tests, to go once the simulator parses the PowerShell it is sent.
package powershell
