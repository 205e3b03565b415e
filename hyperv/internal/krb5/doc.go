// Package krb5 is Kerberos for WinRM: the client side (an Initiator that
// logs in once, caches one service ticket per host, and makes one security
// context per connection) and the host side (an Acceptor that checks a
// client's AP-REQ with the host's keytab), both sealing messages with RFC
// 4121 wrap tokens in the layout Windows, MIT gss_wrap_iov and pywinrm use
// for MS-WSMV message encryption.
//
// It talks to KDCs itself (AS and TGS exchanges over UDP and TCP) so that it
// can count every request, ask for forwardable tickets, and name the cause
// of a failure: clock skew, an unknown user or service principal, a wrong
// password or key, or no KDC answering. It never logs and never puts a
// password or key in an error. Messages are sealed only with AES keys;
// RC4-HMAC and DES3 contexts authenticate but refuse to seal.
package krb5
