// Package hyperv is the only part of hvbalancer that speaks WinRM and PowerShell.
// It offers a small typed API over one Hyper-V host: host facts (with its processor,
// configuration versions, switches, default paths and volumes), VMs (with their
// storage and compatibility), performance counters (read from CIM raw classes, so
// any display language works), locating a VM by id, asking Compare-VM whether a
// destination can take it (each reason typed) and live-migrating it, with its
// storage when asked. Scripts are embedded .ps1
// files, put together at start from the reads in scripts/parts (each read is
// written once: the separate calls and a poll's one combined command,
// poll-host, include the same part); parameters travel as base64 JSON data and are never spliced into script
// text. Every call carries its own deadline. Messages travel over a small pool of
// connections per host, each authenticated once (NTLM or Kerberos, with MS-WSMV
// message encryption over plain HTTP as Windows requires by default; Basic only over
// HTTPS or where the host allows unencrypted traffic). Clients that log in to Kerberos
// with the same credential share one ticket-granting ticket and ask the KDC once per
// host for its service ticket. A client runs its calls in one remote shell it keeps
// on the host, named so that a later process closes the shells a killed one left
// behind, and reports a used-up shell quota as ErrShellQuota. It imports no other
// hvbalancer package.
package hyperv
