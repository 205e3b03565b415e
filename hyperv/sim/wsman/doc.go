// Package wsman is a WS-Management (WinRM) remote-shell server that behaves on
// the wire as the WinRM service of Windows Server does: SOAP 1.2 envelopes on
// POST /wsman, the cmd shell resource with Create, Command, Receive, Send,
// Signal and Delete, long-polled Receive with the w:TimedOut fault, and the
// Windows fault codes and texts clients check for. It keeps the WinRS quotas
// (MaxShellsPerUser, the idle timeout) and lists shells by WS-Enumeration of
// the shell resource, each user only their own unless an administrator.
//
// It authenticates as a default Windows Server host does (see Auth):
// Negotiate (NTLM, raw or in SPNEGO, through package ntlm; Kerberos through a
// KerberosAcceptor) and Kerberos, with the security context bound to its TCP
// connection (see ConnContext) and messages sealed by it over plain HTTP
// (MS-WSMV 2.2.9.1); Basic and unsealed messages only where the host is set
// to allow them. Every logon attempt goes through Accounts.
//
// A Runner supplied by the caller executes each command line; the server only
// moves bytes, so any conforming WinRM client can drive it. It never starts
// processes, never interprets command lines, never speaks CredSSP or
// certificate authentication, and never logs passwords. It knows nothing of
// Hyper-V, PowerShell or the simulated fleet: it imports only package ntlm
// and the client's MS-WSMV encryption (hyperv/internal/wsmv).
package wsman
