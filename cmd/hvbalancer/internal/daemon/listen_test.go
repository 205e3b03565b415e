package daemon

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/config"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
)

// patient is how long a test waits for what must happen; it never bounds
// how fast anything is.
const patient = 30 * time.Second

// longLimits leave every timeout far beyond a test's waits.
func longLimits() serverLimits {
	return serverLimits{readHeader: time.Hour, read: time.Hour, write: time.Hour, idle: time.Hour, maxConns: 64}
}

// serveWeb serves the real web handler through openServer on 127.0.0.1
// and returns its address. The handler has no backend: the tests use only
// routes that answer without one (/healthz, and the mutating routes,
// which refuse without a token file before anything else).
func serveWeb(t *testing.T, hc config.HTTP, lim serverLimits) string {
	t.Helper()
	if hc.Listen == "" {
		hc.Listen = "127.0.0.1:0"
	}
	h := web.NewHandler(nil, web.Options{Listen: hc.Listen, AllowedHosts: hc.AllowedHosts})
	ln, srv, err := openServer(hc, h, lim, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// waitClosed reads (and drops) what the server sends until it closes the
// connection; a connection still open after patient fails the test.
func waitClosed(t *testing.T, r io.Reader, c net.Conn, what string) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(patient))
	_, err := io.Copy(io.Discard, r)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Errorf("%s: connection still open after %s", what, patient)
	}
}

// get sends a keep-alive GET on c and reads its answer.
func get(t *testing.T, c net.Conn, br *bufio.Reader, path string) *http.Response {
	t.Helper()
	if _, err := io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(patient))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// TestServerClosesSlowAndIdleConnections: unauthenticated POSTs whose body
// trickles, requests whose headers never end, and kept-alive connections
// that send nothing more are each closed by their own timeout (all other
// timeouts are an hour, so none of them could be the one that closed it).
func TestServerClosesSlowAndIdleConnections(t *testing.T) {
	short := 300 * time.Millisecond
	tests := []struct {
		name  string
		limit func(*serverLimits)
		start func(t *testing.T, c net.Conn, br *bufio.Reader)
	}{
		{"slow body", func(l *serverLimits) { l.read = short }, func(t *testing.T, c net.Conn, _ *bufio.Reader) {
			_, err := io.WriteString(c, "POST /-/reload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"a\":")
			if err != nil {
				t.Fatal(err)
			}
		}},
		{"slow headers", func(l *serverLimits) { l.readHeader = short }, func(t *testing.T, c net.Conn, _ *bufio.Reader) {
			if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "); err != nil {
				t.Fatal(err)
			}
		}},
		{"idle keep-alive", func(l *serverLimits) { l.idle = short }, func(t *testing.T, c net.Conn, br *bufio.Reader) {
			if resp := get(t, c, br, "/healthz"); resp.StatusCode != http.StatusOK || resp.Close {
				t.Fatalf("healthz: %d, close %v", resp.StatusCode, resp.Close)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lim := longLimits()
			tc.limit(&lim)
			addr := serveWeb(t, config.HTTP{}, lim)
			var wg sync.WaitGroup
			for range 20 {
				c := dial(t, addr)
				br := bufio.NewReader(c)
				tc.start(t, c, br)
				wg.Go(func() { waitClosed(t, br, c, tc.name) })
			}
			wg.Wait()
		})
	}
}

// TestServerCapsConnections: with two connections held open, a third is
// not served until one of them closes.
func TestServerCapsConnections(t *testing.T) {
	lim := longLimits()
	lim.maxConns = 2
	addr := serveWeb(t, config.HTTP{}, lim)
	held := make([]net.Conn, 2)
	for i := range held {
		held[i] = dial(t, addr)
		get(t, held[i], bufio.NewReader(held[i]), "/healthz")
	}
	third := dial(t, addr)
	br := bufio.NewReader(third)
	if _, err := io.WriteString(third, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	_ = third.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	var ne net.Error
	if _, err := br.Peek(1); !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("a third connection was served while two were held (err %v)", err)
	}
	held[0].Close()
	_ = third.SetReadDeadline(time.Now().Add(patient))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("third connection once a slot was free: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("third connection: %d", resp.StatusCode)
	}
}

// TestServerServesTLS: with a certificate and key the listener speaks
// HTTPS only (a plain request is told so), and a renewed certificate is
// served from the next handshake on while a broken one keeps the last
// good.
func TestServerServesTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "hvb.crt"), filepath.Join(dir, "hvb.key")
	pool := x509.NewCertPool()
	stamp := time.Now()
	issue := func(serial int64) {
		pool.AddCert(writeCert(t, certFile, keyFile, serial))
		stamp = stamp.Add(time.Minute) // a renewal is seen by its time, whatever the file system's resolution
		for _, f := range []string{certFile, keyFile} {
			if err := os.Chtimes(f, stamp, stamp); err != nil {
				t.Fatal(err)
			}
		}
	}
	issue(1)
	hc := config.HTTP{TLSCertFile: certFile, TLSKeyFile: keyFile}
	addr := serveWeb(t, hc, longLimits())
	announced := statusURL(hc, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9707})
	if want := "https://127.0.0.1:9707"; announced != want {
		t.Errorf("the status line announces %s, want %s", announced, want)
	}
	served := func() int64 {
		t.Helper()
		client := &http.Client{Timeout: patient, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, DisableKeepAlives: true}}
		resp, err := client.Get("https://" + addr + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("healthz over TLS: %d", resp.StatusCode)
		}
		return resp.TLS.PeerCertificates[0].SerialNumber.Int64()
	}
	if got := served(); got != 1 {
		t.Errorf("serial %d, want 1", got)
	}

	plain := &http.Client{Timeout: patient}
	resp, err := plain.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "HTTPS") {
		t.Errorf("plain HTTP: %d %q, want 400 naming HTTPS", resp.StatusCode, body)
	}

	issue(2)
	if got := served(); got != 2 {
		t.Errorf("after renewal: serial %d, want 2", got)
	}
	if err := os.WriteFile(certFile, []byte("half written"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(certFile, stamp.Add(time.Minute), stamp.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got := served(); got != 2 {
		t.Errorf("after a broken renewal: serial %d, want the last good 2", got)
	}
}

func TestServerRefusesCertificateThatDoesNotLoad(t *testing.T) {
	dir := t.TempDir()
	_, _, err := openServer(config.HTTP{Listen: "127.0.0.1:0", TLSCertFile: filepath.Join(dir, "no.crt"), TLSKeyFile: filepath.Join(dir, "no.key")},
		http.NotFoundHandler(), longLimits(), slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "load TLS certificate") {
		t.Errorf("err %v, want load TLS certificate", err)
	}
}

// TestDaemonListenerChecksHost: the daemon's own listener has the limits
// and answers only the hosts it serves: a rebound name gets 421, the
// bound address its answer.
func TestDaemonListenerChecksHost(t *testing.T) {
	d := &Daemon{log: slog.New(slog.DiscardHandler), reg: prometheus.NewRegistry()}
	ln, srv, err := d.listen(&config.Config{HTTP: config.HTTP{Listen: "127.0.0.1:0"}})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	if srv.ReadHeaderTimeout == 0 || srv.ReadTimeout == 0 || srv.WriteTimeout == 0 || srv.IdleTimeout == 0 {
		t.Errorf("timeouts: header %s, read %s, write %s, idle %s", srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout)
	}
	for host, want := range map[string]int{"evil.example": http.StatusMisdirectedRequest, ln.Addr().String(): http.StatusOK, "localhost": http.StatusOK} {
		req, _ := http.NewRequest(http.MethodGet, "http://"+ln.Addr().String()+"/healthz", nil)
		req.Host = host
		resp, err := (&http.Client{Timeout: patient}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("Host %s: %d, want %d", host, resp.StatusCode, want)
		}
	}
}

// writeCert writes a self-signed certificate for 127.0.0.1 and localhost
// with the given serial number, and its key, and returns it.
func writeCert(t *testing.T, certFile, keyFile string, serial int64) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               pkix.Name{CommonName: "hvbalancer test"},
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}
