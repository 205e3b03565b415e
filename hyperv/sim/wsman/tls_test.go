package wsman

import (
	"crypto/x509"
	"encoding/pem"
	"net"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestCAIssue(t *testing.T) {
	ca, err := NewCA()
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(ca.CertPEM())
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatalf("CertPEM is not a PEM certificate")
	}
	root, err := x509.ParseCertificate(block.Bytes)
	if err != nil || !root.IsCA {
		t.Fatalf("CA certificate: %v, IsCA %t", err, root != nil && root.IsCA)
	}
	pool := x509.NewCertPool()
	pool.AddCert(root)
	tests := []struct {
		name  string
		names []string
		dns   []string
		ips   []string
	}{
		{"ip", []string{"127.0.0.1"}, nil, []string{"127.0.0.1"}},
		{"mixed", []string{"hv01", "127.0.0.1", "::1", "hv01.lab.example"}, []string{"hv01", "hv01.lab.example"}, []string{"127.0.0.1", "::1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cert, err := ca.Issue(tc.names...)
			if err != nil {
				t.Fatal(err)
			}
			leaf := cert.Leaf
			var ips []string
			for _, ip := range leaf.IPAddresses {
				ips = append(ips, ip.String())
			}
			if diff := cmp.Diff(tc.dns, leaf.DNSNames); diff != "" {
				t.Errorf("DNS names (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.ips, ips); diff != "" {
				t.Errorf("IP addresses (-want +got):\n%s", diff)
			}
			for _, n := range tc.names {
				opts := x509.VerifyOptions{Roots: pool, CurrentTime: time.Now(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
				if net.ParseIP(n) == nil {
					opts.DNSName = n
				}
				if _, err := leaf.Verify(opts); err != nil {
					t.Errorf("verify for %s: %v", n, err)
				}
				if err := leaf.VerifyHostname(n); err != nil {
					t.Errorf("hostname %s: %v", n, err)
				}
			}
		})
	}
	if _, err := ca.Issue(); err == nil {
		t.Error("Issue without names succeeded")
	}
}
