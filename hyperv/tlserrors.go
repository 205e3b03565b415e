package hyperv

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// tlsError describes a failed TLS handshake with serverName. A
// certificate the client does not accept matches ErrCertificate and says
// what to configure; other failures (a host that does not speak TLS on
// the port, a dropped connection) keep their cause.
func tlsError(err error, serverName string) error {
	var (
		host    x509.HostnameError
		unknown x509.UnknownAuthorityError
		invalid x509.CertificateInvalidError
		verify  *tls.CertificateVerificationError
	)
	switch {
	case errors.As(err, &host):
		return fmt.Errorf("%w: certificate is valid for %s, not %s: set tls_server_name to one of its names",
			ErrCertificate, certNames(host.Certificate), serverName)
	case errors.As(err, &unknown):
		leaf := unknown.Cert
		if errors.As(err, &verify) && len(verify.UnverifiedCertificates) > 0 {
			leaf = verify.UnverifiedCertificates[0]
		}
		return fmt.Errorf("%w: certificate %s signed by an unknown authority%s: set ca_file to the PEM of the CA that issued it",
			ErrCertificate, certSubject(leaf), issuer(leaf))
	case errors.As(err, &invalid):
		return fmt.Errorf("%w: %s", ErrCertificate, invalidReason(invalid))
	case errors.As(err, &verify):
		return fmt.Errorf("%w: %w", ErrCertificate, verify.Err)
	}
	var rec tls.RecordHeaderError
	if errors.As(err, &rec) {
		return fmt.Errorf("tls handshake: the host does not speak TLS on this port (is it the HTTP listener?): %w", err)
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) || connectionLost(err) {
		return fmt.Errorf("tls handshake: %w", err)
	}
	if strings.Contains(err.Error(), "certificate") {
		return fmt.Errorf("%w: %w", ErrCertificate, err)
	}
	return fmt.Errorf("tls handshake: %w", err)
}

// invalidReason words an x509.CertificateInvalidError.
func invalidReason(e x509.CertificateInvalidError) string {
	c := e.Cert
	switch e.Reason {
	case x509.Expired:
		now := time.Now()
		if c != nil && now.Before(c.NotBefore) {
			return fmt.Sprintf("certificate %s is not valid before %s (check the clocks)", certSubject(c), c.NotBefore.UTC().Format(time.RFC3339))
		}
		if c != nil {
			return fmt.Sprintf("certificate %s expired at %s: renew it on the host", certSubject(c), c.NotAfter.UTC().Format(time.RFC3339))
		}
		return "certificate expired: renew it on the host"
	case x509.IncompatibleUsage:
		return fmt.Sprintf("certificate %s is not for server authentication (extended key usage)", certSubject(c))
	case x509.NotAuthorizedToSign:
		return fmt.Sprintf("certificate %s was signed by a certificate that is not a CA", certSubject(c))
	}
	return e.Error()
}

// certNames lists the names a certificate is valid for.
func certNames(c *x509.Certificate) string {
	if c == nil {
		return "no name"
	}
	var names []string
	names = append(names, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 && c.Subject.CommonName != "" {
		names = append(names, c.Subject.CommonName+" (common name only, which is not checked)")
	}
	if len(names) == 0 {
		return "no name"
	}
	if len(names) > 5 {
		names = append(names[:5], fmt.Sprintf("and %d more", len(names)-5))
	}
	return truncate(strings.Join(names, ", "), 400)
}

// certSubject names a certificate in a message.
func certSubject(c *x509.Certificate) string {
	if c == nil {
		return "of the host"
	}
	if c.Subject.CommonName != "" {
		return fmt.Sprintf("%q", truncate(c.Subject.CommonName, 100))
	}
	return "of the host"
}

// issuer says who issued a certificate, in a message.
func issuer(c *x509.Certificate) string {
	if c == nil || c.Issuer.CommonName == "" {
		return ""
	}
	if c.Issuer.String() == c.Subject.String() {
		return " (it is self-signed)"
	}
	return fmt.Sprintf(" (issuer %q)", truncate(c.Issuer.CommonName, 100))
}
