package daemon

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"time"

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/config"
)

// forwardedHeader marks a request a standby forwarded, so that a daemon
// that does not lead either (its view of the leader is stale) answers it
// rather than forwarding it again.
const forwardedHeader = "Hvbalancer-Forwarded-By"

// forwarded reports whether a standby hands r to the leader: a request
// that changes what the leader does (an approval, a pause or resume, a
// host entering or leaving maintenance), or one that reads the fleet as
// the leader sees it (the hosts, a placement), since a standby polls
// nothing. A reload is not one (each daemon reloads its own files), nor
// are the status, the plans and the history, which a standby serves
// itself from the shared stores.
func forwarded(r *http.Request) bool {
	p := r.URL.Path
	switch {
	case r.Method == http.MethodGet && p == "/api/v1/hosts", r.Method == http.MethodPost && p == "/api/v1/place":
		return true
	case r.Method == http.MethodPost && (p == "/api/v1/pause" || p == "/api/v1/resume"):
		return true
	case r.Method == http.MethodPost && strings.HasPrefix(p, "/api/v1/plans/") && strings.HasSuffix(p, "/approve"):
		return true
	case (r.Method == http.MethodPost || r.Method == http.MethodDelete) && strings.HasPrefix(p, "/api/v1/hosts/") && strings.HasSuffix(p, "/maintenance"):
		return true
	}
	return false
}

// forwarding hands the requests a standby does not answer itself (see
// forwarded) to the leader's API, as they came (the leader checks the
// token), and answers 503 with
// the leader's address when it cannot: no leader is known, the request
// was forwarded already, or the leader did not answer. Everything else,
// and everything while this daemon leads, is next's.
func (d *Daemon) forwarding(next http.Handler) http.Handler {
	cfg, _, _ := d.current()
	transport := forwardTransport(cfg.HTTP, d.log)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !forwarded(r) || d.ha.Leading() != nil {
			next.ServeHTTP(w, r)
			return
		}
		st := d.ha.State()
		leader, err := url.Parse(st.Leader.Address)
		switch {
		case st.Leader.Address == "" || err != nil:
			notLeading(w, "this daemon stands by and no leader is elected yet; try again in a few seconds", st.Leader.Name, "")
			return
		case st.Leader == d.ha.Self():
			notLeading(w, "this daemon has just stopped leading; try again in a few seconds", "", "")
			return
		case r.Header.Get(forwardedHeader) != "":
			notLeading(w, fmt.Sprintf("forwarded by %s, but this daemon does not lead either", r.Header.Get(forwardedHeader)), st.Leader.Name, st.Leader.Address)
			return
		}
		self := d.ha.Self().Name
		proxy := &httputil.ReverseProxy{
			Rewrite: func(pr *httputil.ProxyRequest) {
				pr.SetURL(leader)
				pr.SetXForwarded()
				pr.Out.Header.Set(forwardedHeader, self)
			},
			Transport: transport,
			ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
				d.log.Warn("forward to the leader", "leader", st.Leader.Name, "address", st.Leader.Address, "path", r.URL.Path, "err", err)
				notLeading(w, "this daemon stands by and the leader did not answer: "+err.Error(), st.Leader.Name, st.Leader.Address)
			},
		}
		d.log.Info("forwarding to the leader", "leader", st.Leader.Name, "method", r.Method, "path", r.URL.Path)
		proxy.ServeHTTP(w, r)
	})
}

// notLeading answers 503 saying why, and which daemon leads where.
func notLeading(w http.ResponseWriter, why, leader, address string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Retry-After", "5")
	w.WriteHeader(http.StatusServiceUnavailable)
	json.NewEncoder(w).Encode(struct {
		Error         string `json:"error"`
		Leader        string `json:"leader,omitempty"`
		LeaderAddress string `json:"leader_address,omitempty"`
	}{why, leader, address})
}

// forwardTransport reaches the leader's API: over HTTPS it trusts the
// system's roots and the certificates of this daemon's own chain, so that
// daemons whose certificates one internal CA issued (its certificate in
// the chain file) or that share one certificate reach each other.
func forwardTransport(h config.HTTP, log *slog.Logger) *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.ResponseHeaderTimeout = 30 * time.Second
	if !h.TLS() {
		return tr
	}
	roots, err := x509.SystemCertPool()
	if err != nil {
		roots = x509.NewCertPool()
	}
	pair, err := tls.LoadX509KeyPair(h.TLSCertFile, h.TLSKeyFile)
	if err != nil {
		log.Warn("forwarding to the leader trusts the system's roots only", "err", err)
	}
	for _, der := range pair.Certificate {
		if c, err := x509.ParseCertificate(der); err == nil {
			roots.AddCert(c)
		}
	}
	tr.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	return tr
}
