// Package eval runs a parsed Windows PowerShell 5.1 script (package lang)
// against a Host that supplies the cmdlets backed by data: pipelines of
// objects with ordered, typed properties; variables, $_ and the script's
// parameters; the operators of the language specification's chapter 7;
// parameter binding through package catalog; $ErrorActionPreference and
// -ErrorAction (Stop turns an error into a terminating one, SilentlyContinue
// drops it but still fails the statement, as $? shows); and the exit code
// powershell.exe -Command gives: 1 after a terminating error or when the
// last statement failed, 0 otherwise.
//
// The generic cmdlets are here: Select-Object (with calculated
// properties), Where-Object (script block and simplified syntax),
// ForEach-Object, Sort-Object, Measure-Object, ConvertTo-Json (Windows
// PowerShell 5.1's output: depth 2 by default, enums as numbers, dates as
// "\/Date(ms)\/", its indentation), ConvertFrom-Json, Write-Output,
// Start-Sleep, Out-Null and Get-Command. The Host adds the rest.
package eval
