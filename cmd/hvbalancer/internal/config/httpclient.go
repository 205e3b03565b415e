package config

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Client returns the base URL (scheme://host:port, no slash) and an HTTP
// client by which a command on the daemon's own machine reaches its
// listener: an every-interface bind is reached on loopback, and over TLS
// the configured certificate itself is trusted (beside the system's
// roots) by the first name it carries when it does not name the address,
// so that a self-signed or internally issued certificate works too.
func (h HTTP) Client(timeout time.Duration) (string, *http.Client, error) {
	host, port, err := net.SplitHostPort(h.Listen)
	if err != nil {
		return "", nil, fmt.Errorf("http.listen %q: %w", h.Listen, err)
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
		if ip != nil && ip.To4() == nil {
			host = "::1"
		}
	}
	addr := net.JoinHostPort(host, port)
	if !h.TLS() {
		return "http://" + addr, &http.Client{Timeout: timeout}, nil
	}
	pair, err := tls.LoadX509KeyPair(h.TLSCertFile, h.TLSKeyFile)
	if err != nil {
		return "", nil, fmt.Errorf("http.tls_cert_file: %w", err)
	}
	roots, err := x509.SystemCertPool()
	if err != nil {
		roots = x509.NewCertPool()
	}
	for _, der := range pair.Certificate {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return "", nil, fmt.Errorf("http.tls_cert_file: %w", err)
		}
		roots.AddCert(c)
	}
	conf := &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	if leaf := pair.Leaf; leaf != nil && leaf.VerifyHostname(host) != nil && len(leaf.DNSNames) > 0 {
		conf.ServerName = leaf.DNSNames[0]
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = conf
	return "https://" + addr, &http.Client{Timeout: timeout, Transport: tr}, nil
}
