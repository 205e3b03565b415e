// Package wsmv frames WinRM message encryption as MS-WSMV 2.2.9.1 describes
// it: a SOAP envelope sealed by the authentication's security context (NTLM
// or Kerberos) and carried in a multipart/encrypted body, and the TLS channel binding
// (RFC 5929) that ties a login to its HTTPS connection. It moves bytes
// between the HTTP layer and a Sealer; it never authenticates, never holds
// keys, and never sees a password. Both the client and the simulated WinRM
// service use it, and pywinrm reads what it writes.
package wsmv
