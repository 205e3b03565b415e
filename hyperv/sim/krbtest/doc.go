// Package krbtest starts a real MIT Kerberos KDC for tests: a throw-away
// realm in the test's temporary directory, listening on 127.0.0.1 only, with
// a user, service principals for the simulated hosts, and keytabs exported
// from it. Any package's tests can use it; it skips the test with the
// install command when Debian's krb5-kdc and krb5-admin-server are missing.
//
// It never touches /etc or /var, never needs root, and stops the KDC when
// the test ends. It is test support, not a KDC for anything else.
package krbtest
