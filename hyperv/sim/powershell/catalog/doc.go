// Package catalog lists the cmdlets the simulated host knows, as
// Microsoft's reference pages describe them for Windows PowerShell 5.1 and
// Windows Server's Hyper-V, FailoverClusters and CimCmdlets modules: each
// cmdlet's reference address, module, implementing class (the suffix of
// its FullyQualifiedErrorIds), parameter sets, parameters with their types,
// aliases, positions and mandatory flags, and the properties of the
// objects it writes.
//
// Bind resolves a command's parameters as PowerShell's parameter binder
// does — unique prefixes, aliases, positions, switch parameters, the
// common parameters and parameter-set resolution — and reports failures
// with the ParameterBindingException ids PowerShell uses
// (NamedParameterNotFound, AmbiguousParameter, MissingArgument,
// PositionalParameterNotFound, AmbiguousParameterSet,
// MissingMandatoryParameter, ParameterAlreadyBound). Parameters that
// appeared only in PowerShell 6 or 7 (ConvertFrom-Json -AsHashtable,
// ForEach-Object -Parallel, ConvertTo-Json -AsArray, …) are absent, so they
// fail as 5.1 fails them.
//
// It holds data and binding rules only: no values, no hosts.
package catalog
