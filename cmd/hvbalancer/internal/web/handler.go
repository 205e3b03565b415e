package web

import (
	"bytes"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Limits on what a request may cost.
const (
	maxBodyBytes   = 64 << 10         // a mutating request's JSON body
	backendTimeout = 60 * time.Second // Approve and Reload
	metricsTimeout = 30 * time.Second // one scrape
	defaultHistory = 100
	maxHistory     = 1000
	pageHistory    = 20 // recent migrations on the status page
	pagePlans      = 20 // plans on the status page
)

// Options configures the handler.
type Options struct {
	// TokenFile holds the bearer token the mutating endpoints require. It
	// is read at each request, so the token can be rotated in place; when
	// it is empty or missing those endpoints answer 503.
	TokenFile string
	// Gatherer is served on /metrics; nil serves no /metrics.
	Gatherer prometheus.Gatherer
	// Logger receives the mutating actions and the server's own errors,
	// with the keys it is given (the caller names the component); nil
	// discards them.
	Logger *slog.Logger
	// ConfigPath is the daemon's configuration file, for the commands the
	// status page suggests (hvbalancer approve --config …).
	ConfigPath string
	// Listen is the address the server is bound to (host:port). With
	// AllowedHosts it decides which Host header values are answered: the
	// bound address; localhost and loopback addresses for a loopback or
	// every-interface bind; any IP address for an every-interface bind;
	// and the AllowedHosts names. Any other Host gets 421. Empty: as a
	// loopback bind.
	Listen       string
	AllowedHosts []string
}

// server routes requests to the Backend.
type server struct {
	b      Backend
	token  tokenFile
	config string // the daemon's configuration file, for the page's hints
	log    *slog.Logger
	mux    *http.ServeMux
	page   *template.Template
	hosts  hostCheck
}

// NewHandler returns the daemon's HTTP handler: /metrics, /healthz,
// /readyz, the JSON API under /api/v1/, POST /-/reload and the status page
// at "/". GET routes answer HEAD too. Serve it with an http.Server that
// sets its read, write and idle timeouts.
func NewHandler(b Backend, opts Options) http.Handler {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &server{
		b:      b,
		token:  tokenFile{path: opts.TokenFile},
		config: opts.ConfigPath,
		log:    log,
		mux:    http.NewServeMux(),
		page:   parsePage(),
		hosts:  newHostCheck(opts.Listen, opts.AllowedHosts),
	}
	m := s.mux
	if opts.Gatherer != nil {
		m.Handle("GET /metrics", promhttp.HandlerFor(opts.Gatherer, promhttp.HandlerOpts{
			ErrorLog:      promLogger{s.log},
			ErrorHandling: promhttp.ContinueOnError,
			Timeout:       metricsTimeout,
		}))
	}
	m.HandleFunc("GET /healthz", s.healthz)
	m.HandleFunc("GET /readyz", s.readyz)
	m.HandleFunc("GET /{$}", s.statusPage)

	m.HandleFunc("GET /api/v1/status", s.apiStatus)
	m.HandleFunc("GET /api/v1/hosts", s.apiHosts)
	m.HandleFunc("GET /api/v1/plans", s.apiPlans)
	m.HandleFunc("GET /api/v1/plans/{id}", s.apiPlan)
	m.HandleFunc("GET /api/v1/plans/{id}/report.md", s.apiPlanMarkdown)
	m.HandleFunc("GET /api/v1/plans/{id}/report.html", s.apiPlanHTML)
	m.HandleFunc("GET /api/v1/history", s.apiHistory)
	m.HandleFunc("POST /api/v1/place", s.apiPlace) // a read: no token

	m.Handle("POST /api/v1/plans/{id}/approve", s.authorized(s.apiApprove))
	m.Handle("POST /api/v1/pause", s.authorized(s.apiPause))
	m.Handle("POST /api/v1/resume", s.authorized(s.apiResume))
	m.Handle("POST /-/reload", s.authorized(s.apiReload))
	m.Handle("POST /api/v1/hosts/{name}/maintenance", s.authorized(s.apiEnterMaintenance))
	m.Handle("DELETE /api/v1/hosts/{name}/maintenance", s.authorized(s.apiExitMaintenance))
	return s
}

// ServeHTTP sets the headers every answer carries, refuses requests for
// hosts it does not serve (421) and turns the mux's own 404 and 405
// answers into JSON errors on the API paths.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	if !s.hosts.allows(r.Host) {
		s.refuseHost(w, r)
		return
	}
	if isAPI(r.URL.Path) {
		if mh, pattern := s.mux.Handler(r); pattern == "" {
			c := &capture{header: make(http.Header)}
			mh.ServeHTTP(c, r)
			if c.status >= 400 {
				if allow := c.header.Get("Allow"); allow != "" {
					h.Set("Allow", allow)
				}
				writeError(w, c.status, strings.ToLower(http.StatusText(c.status)))
				return
			}
		}
	}
	s.mux.ServeHTTP(w, r)
}

func isAPI(path string) bool {
	return strings.HasPrefix(path, "/api/") || strings.HasPrefix(path, "/-/")
}

// capture records the status and headers of the mux's built-in answers and
// drops their plain-text body.
type capture struct {
	header http.Header
	status int
}

func (c *capture) Header() http.Header { return c.header }
func (c *capture) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
	}
}
func (c *capture) Write(b []byte) (int, error) {
	c.WriteHeader(http.StatusOK)
	return len(b), nil
}

func (s *server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeText(w, http.StatusOK, "ok\n")
}

func (s *server) readyz(w http.ResponseWriter, _ *http.Request) {
	st := s.b.Status()
	if st.Ready {
		writeText(w, http.StatusOK, "ok\n")
		return
	}
	reason := st.NotReady
	if reason == "" {
		reason = "not ready"
	}
	writeText(w, http.StatusServiceUnavailable, oneLine(reason)+"\n")
}

// writeText writes a short plain-text answer.
func writeText(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(code)
	_, _ = w.Write([]byte(body)) // the client may be gone; nothing to do about it
}

// writeBody writes a rendered answer with its length.
func writeBody(w http.ResponseWriter, contentType string, body *bytes.Buffer) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", fmt.Sprint(body.Len()))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body.Bytes())
}

// oneLine replaces control characters (newlines included) by spaces.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return ' '
		}
		return r
	}, s)
}

// promLogger passes promhttp's errors to slog.
type promLogger struct{ log *slog.Logger }

func (l promLogger) Println(v ...any) {
	l.log.Error("serve metrics", "error", strings.TrimSuffix(fmt.Sprintln(v...), "\n"))
}

// refuseHost answers a request for a host this server does not serve.
func (s *server) refuseHost(w http.ResponseWriter, r *http.Request) {
	s.log.Debug("request for another host refused", "host", oneLine(r.Host), "remote", r.RemoteAddr, "path", r.URL.Path)
	msg := "host " + strconv.Quote(oneLine(r.Host)) + " is not served here: use the address the daemon listens on, or add the name to http.allowed_hosts"
	if isAPI(r.URL.Path) {
		writeError(w, http.StatusMisdirectedRequest, msg)
		return
	}
	writeText(w, http.StatusMisdirectedRequest, msg+"\n")
}
