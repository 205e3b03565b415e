package daemon

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/netutil"

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/config"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
)

// serverLimits bound what clients can hold of the daemon's HTTP server, so
// that slow or idle connections cannot pile up.
type serverLimits struct {
	readHeader time.Duration // the request line and headers (and a TLS handshake)
	read       time.Duration // the whole request, body included
	write      time.Duration // from the end of the request's headers to the end of the answer
	idle       time.Duration // a kept-alive connection waiting for its next request
	maxConns   int           // connections open at once; more wait in the kernel's backlog
}

// defaultServerLimits are the daemon's limits. No answer streams: the
// longest wait is approve and reload (web's backend timeout, 60s) and a
// metrics scrape (30s), so a write gets two minutes; request bodies are at
// most 64 KiB. The connection cap is far above what an administrator's
// browsers and a scraper open, so that slow or idle connections by the
// hundred are each accepted and closed by their timeout while a probe is
// still answered; a cap as low as 64 kept 400 of them queued for minutes,
// and the probe behind them.
func defaultServerLimits() serverLimits {
	return serverLimits{
		readHeader: 10 * time.Second,
		read:       30 * time.Second,
		write:      2 * time.Minute,
		idle:       time.Minute,
		maxConns:   512,
	}
}

// listen opens the daemon's HTTP listener and builds the server over it.
func (d *Daemon) listen(cfg *config.Config) (net.Listener, *http.Server, error) {
	log := d.log.With("component", "http")
	h := web.NewHandler(backend{d}, web.Options{
		TokenFile: cfg.HTTP.TokenFile, Gatherer: d.reg, Logger: log, ConfigPath: d.cfgPath,
		Listen: cfg.HTTP.Listen, AllowedHosts: cfg.HTTP.AllowedHosts,
	})
	return openServer(cfg.HTTP, h, defaultServerLimits(), log)
}

// statusURL is the address the daemon announces for its status page:
// https when the listener speaks TLS, since a plain request there is
// refused.
func statusURL(hc config.HTTP, addr net.Addr) string {
	if hc.TLS() {
		return "https://" + addr.String()
	}
	return "http://" + addr.String()
}

// openServer listens on hc.Listen, with TLS when hc names a certificate,
// and builds the server of h with the limits lim: at most lim.maxConns
// connections at once, each bounded by the timeouts.
func openServer(hc config.HTTP, h http.Handler, lim serverLimits, log *slog.Logger) (net.Listener, *http.Server, error) {
	var tlsConf *tls.Config
	if hc.TLS() {
		certs := &certFiles{cert: hc.TLSCertFile, key: hc.TLSKeyFile, log: log}
		if _, err := certs.get(nil); err != nil {
			return nil, nil, fmt.Errorf("listen: %w", err)
		}
		tlsConf = &tls.Config{
			MinVersion:     tls.VersionTLS12,
			GetCertificate: certs.get,
			NextProtos:     []string{"http/1.1"}, // the timeouts above are HTTP/1.1's
		}
	}
	ln, err := net.Listen("tcp", hc.Listen)
	if err != nil {
		return nil, nil, fmt.Errorf("listen: %w", err)
	}
	ln = netutil.LimitListener(ln, lim.maxConns)
	if tlsConf != nil {
		ln = tls.NewListener(ln, tlsConf)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: lim.readHeader,
		ReadTimeout:       lim.read,
		WriteTimeout:      lim.write,
		IdleTimeout:       lim.idle,
		MaxHeaderBytes:    64 << 10,
		TLSConfig:         tlsConf,
		ErrorLog:          slog.NewLogLogger(serverLog{log.Handler()}, slog.LevelWarn),
	}
	return ln, srv, nil
}

// certFiles serves the certificate in a pair of PEM files and loads it
// again when either file changes, so that a renewed certificate is used
// from the next handshake on, without a restart. A pair that does not
// load (a renewal half written) keeps the last good one, with a warning.
type certFiles struct {
	cert, key string
	log       *slog.Logger

	mu     sync.Mutex
	stamp  string // the files' sizes and modification times when loaded
	failed string // the stamp last warned about
	cur    *tls.Certificate
}

// get returns the current certificate (tls.Config.GetCertificate).
func (c *certFiles) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	stamp, err := fileStamp(c.cert, c.key)
	if err == nil && stamp == c.stamp {
		return c.cur, nil
	}
	var pair tls.Certificate
	if err == nil {
		pair, err = tls.LoadX509KeyPair(c.cert, c.key)
	}
	switch {
	case err == nil:
		if c.cur != nil {
			c.log.Info("TLS certificate loaded again", "cert_file", c.cert)
		}
		c.cur, c.stamp, c.failed = &pair, stamp, ""
	case c.cur == nil:
		return nil, fmt.Errorf("load TLS certificate: %w", err)
	case stamp != c.failed:
		c.failed = stamp
		c.log.Warn("TLS certificate changed but does not load; serving the last good one", "cert_file", c.cert, "err", err)
	}
	return c.cur, nil
}

// fileStamp describes files by size and modification time.
func fileStamp(paths ...string) (string, error) {
	var b bytes.Buffer
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "%d/%d;", st.Size(), st.ModTime().UnixNano())
	}
	return b.String(), nil
}

// serverLog passes the server's own errors to slog: failed TLS handshakes,
// which any port scanner causes, at debug, the rest at the level given.
type serverLog struct{ h slog.Handler }

func (l serverLog) Enabled(ctx context.Context, level slog.Level) bool {
	return l.h.Enabled(ctx, level)
}
func (l serverLog) WithAttrs(as []slog.Attr) slog.Handler { return serverLog{l.h.WithAttrs(as)} }
func (l serverLog) WithGroup(name string) slog.Handler    { return serverLog{l.h.WithGroup(name)} }
func (l serverLog) Handle(ctx context.Context, r slog.Record) error {
	if strings.Contains(r.Message, "TLS handshake error") {
		r.Level = slog.LevelDebug
		if !l.h.Enabled(ctx, r.Level) {
			return nil
		}
	}
	return l.h.Handle(ctx, r)
}
