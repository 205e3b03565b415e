package config

import (
	"crypto/tls"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestClientReachesTheListener: a command reaches the daemon's listener
// as configured, over plain HTTP and over TLS with a certificate that
// names localhost but not the address, also when the daemon is bound to
// every interface.
func TestClientReachesTheListener(t *testing.T) {
	dir := t.TempDir()
	cert, key := writeCert(t, dir, "hvb")
	pair, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	serve := func(tlsOn bool) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		if tlsOn {
			ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{pair}})
		}
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok " + r.Host)) }), ReadHeaderTimeout: time.Minute}
		go func() { _ = srv.Serve(ln) }()
		t.Cleanup(func() { srv.Close() })
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		return port
	}
	plain, secure := serve(false), serve(true)
	for _, tc := range []struct {
		name, scheme string
		h            HTTP
	}{
		{"plain", "http", HTTP{Listen: "127.0.0.1:" + plain}},
		{"plain on every interface", "http", HTTP{Listen: "0.0.0.0:" + plain}},
		{"TLS", "https", HTTP{Listen: "127.0.0.1:" + secure, TLSCertFile: cert, TLSKeyFile: key}},
		{"TLS on every interface", "https", HTTP{Listen: ":" + secure, TLSCertFile: cert, TLSKeyFile: key}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base, client, err := tc.h.Client(30 * time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(base, tc.scheme+"://127.0.0.1:") {
				t.Errorf("base %s", base)
			}
			resp, err := client.Get(base + "/")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("status %d", resp.StatusCode)
			}
		})
	}
}
