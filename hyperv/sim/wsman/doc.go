// Package wsman is a WS-Management (WinRM) remote-shell server that behaves on
// the wire as the WinRM service of Windows Server does: SOAP 1.2 envelopes on
// POST /wsman, Basic authentication, the cmd shell resource with Create,
// Command, Receive, Send, Signal and Delete, long-polled Receive with the
// w:TimedOut fault, and the Windows fault codes and texts clients check for.
// A Runner supplied by the caller executes each command line; the server only
// moves bytes, so any conforming WinRM client can drive it. It never starts
// processes, never interprets command lines, never speaks Negotiate, Kerberos,
// CredSSP or message encryption, and never logs passwords.
package wsman
