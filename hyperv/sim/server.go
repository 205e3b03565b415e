package sim

import (
	"crypto/subtle"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/wsman"
)

// Options configures Serve.
type Options struct {
	// Listen is the IP address every endpoint listens on (default 127.0.0.1).
	Listen string
	// BasePort is the first host's port; host i listens on BasePort+i.
	// Zero gives every host an ephemeral port.
	BasePort int
	// HTTPS serves WinRM over TLS with a certificate from a CA made at start.
	HTTPS bool
	// Admin is the address of the admin API (default 127.0.0.1:0).
	Admin string
	// MaxOperationTimeout caps a client's WS-Man OperationTimeout (0: none).
	MaxOperationTimeout time.Duration
	// Logger receives the simulator's log; nil discards it.
	Logger *slog.Logger
}

// Endpoint is where one simulated host listens.
type Endpoint struct {
	Host  string `json:"host" yaml:"name"`
	IP    string `json:"ip" yaml:"address"`
	Port  int    `json:"port" yaml:"port"`
	HTTPS bool   `json:"https" yaml:"https"`
	URL   string `json:"url" yaml:"url"`
}

// Server serves every host of a Fleet over WinRM, one endpoint per host, and
// the admin API. It owns its listeners and goroutines: Close stops them all.
type Server struct {
	fleet *Fleet
	opts  Options
	log   *slog.Logger
	ca    *wsman.CA
	tls   *tls.Config

	mu        sync.Mutex
	endpoints map[string]*endpoint // by lower-case host name
	order     []string

	admin     *http.Server
	adminAddr string
	wg        sync.WaitGroup
	closed    bool
}

// endpoint is one host's WinRM listener. While the host is unreachable or
// crashed the listener is closed, so connections are refused as they would be.
type endpoint struct {
	host  string
	addr  string
	shell *hostShell
	ws    *wsman.Server
	srv   *http.Server // nil while down
}

// Serve starts an endpoint for every host of f and the admin API.
func Serve(f *Fleet, opts Options) (*Server, error) {
	if opts.Listen == "" {
		opts.Listen = "127.0.0.1"
	}
	if opts.Admin == "" {
		opts.Admin = net.JoinHostPort(opts.Listen, "0")
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Server{fleet: f, opts: opts, log: log.With("component", "hvsim"), endpoints: make(map[string]*endpoint)}
	if opts.HTTPS {
		ca, err := wsman.NewCA()
		if err != nil {
			return nil, fmt.Errorf("serve fleet: %w", err)
		}
		cert, err := ca.Issue(opts.Listen, "localhost")
		if err != nil {
			return nil, fmt.Errorf("serve fleet: %w", err)
		}
		s.ca = ca
		s.tls = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	for i, name := range f.HostNames() {
		port := 0
		if opts.BasePort > 0 {
			port = opts.BasePort + i
		}
		ep, err := s.newEndpoint(name, net.JoinHostPort(opts.Listen, strconv.Itoa(port)))
		if err != nil {
			s.Close()
			return nil, err
		}
		s.endpoints[strings.ToLower(name)] = ep
		s.order = append(s.order, strings.ToLower(name))
		if err := s.reconcile(ep); err != nil {
			s.Close()
			return nil, err
		}
	}
	if err := s.startAdmin(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Server) newEndpoint(host, addr string) (*endpoint, error) {
	// Reserve the port now so an ephemeral port stays the host's own while
	// it is down.
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("serve host %s: %w", host, err)
	}
	addr = ln.Addr().String()
	ln.Close()
	ep := &endpoint{host: host, addr: addr, shell: newHostShell(s.fleet, host)}
	ep.ws, err = s.newWSMan(ep)
	if err != nil {
		return nil, fmt.Errorf("serve host %s: %w", host, err)
	}
	return ep, nil
}

func (s *Server) newWSMan(ep *endpoint) (*wsman.Server, error) {
	return wsman.NewServer(wsman.Config{
		Authenticate:        func(user, password string) bool { return s.authenticate(ep.host, user, password) },
		Runner:              ep.shell,
		Intercept:           func(op wsman.Op, shellID, commandID string) wsman.Action { return s.intercept(ep, op, commandID) },
		MaxOperationTimeout: s.opts.MaxOperationTimeout,
		Logger:              s.log.With("host", ep.host),
		MachineName:         ep.host,
	})
}

// authenticate accepts the fleet's credentials as user, DOMAIN\user or
// user@domain, unless the host is set to refuse them.
func (s *Server) authenticate(host, user, password string) bool {
	if fl, err := s.fleet.Faults(host); err != nil || fl.WrongCredentials {
		return false
	}
	want := s.fleet.Spec().Credentials
	if i := strings.LastIndexByte(user, '\\'); i >= 0 {
		user = user[i+1:]
	}
	if i := strings.IndexByte(user, '@'); i >= 0 {
		user = user[:i]
	}
	okUser := strings.EqualFold(user, want.Username)
	okPass := subtle.ConstantTimeCompare([]byte(password), []byte(want.Password)) == 1
	return okUser && okPass
}

// intercept applies the host's run-time faults to one request.
func (s *Server) intercept(ep *endpoint, op wsman.Op, commandID string) wsman.Action {
	fl, err := s.fleet.Faults(ep.host)
	if err != nil {
		return wsman.Action{}
	}
	a := wsman.Action{Delay: fl.Latency.Std()}
	if fl.DropConnection && op == wsman.OpReceive && ep.shell.willMigrate(commandID, 2*time.Second) {
		a.Drop = true
	}
	return a
}

// reconcile opens or closes a host's listener to match its faults.
func (s *Server) reconcile(ep *endpoint) error {
	fl, err := s.fleet.Faults(ep.host)
	if err != nil {
		return err
	}
	down := fl.Unreachable || fl.Crashed
	switch {
	case down && ep.srv != nil:
		ep.srv.Close()
		ep.srv = nil
		if fl.Crashed {
			// A crashed host loses its shells; it comes back with none.
			ep.ws.Close()
			if ep.ws, err = s.newWSMan(ep); err != nil {
				return err
			}
		}
		s.log.Info("host down", "host", ep.host, "crashed", fl.Crashed)
	case !down && ep.srv == nil:
		ln, err := net.Listen("tcp", ep.addr)
		if err != nil {
			return fmt.Errorf("serve host %s: %w", ep.host, err)
		}
		mux := http.NewServeMux()
		mux.Handle("/wsman", ep.ws)
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, TLSConfig: s.tls.Clone(), ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug)}
		ep.srv = srv
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			var err error
			if s.tls != nil {
				err = srv.ServeTLS(ln, "", "")
			} else {
				err = srv.Serve(ln)
			}
			if err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.log.Error("serve host", "host", ep.host, "err", err)
			}
		}()
	}
	return nil
}

// Reconcile brings every listener in line with the hosts' current faults.
// SetFaults and Crash call it; call it after changing faults on the Fleet
// directly.
func (s *Server) Reconcile() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("reconcile: server closed")
	}
	var errs []error
	for _, name := range s.order {
		errs = append(errs, s.reconcile(s.endpoints[name]))
	}
	return errors.Join(errs...)
}

// SetFaults changes a host's faults and applies them at once.
func (s *Server) SetFaults(host string, fl Faults) error {
	if err := s.fleet.SetFaults(host, fl); err != nil {
		return err
	}
	return s.Reconcile()
}

// Crash crashes a host: its listener goes away and its VMs stop.
func (s *Server) Crash(host string) error {
	if err := s.fleet.Crash(host); err != nil {
		return err
	}
	return s.Reconcile()
}

// Fleet returns the simulated fleet behind the endpoints.
func (s *Server) Fleet() *Fleet { return s.fleet }

// Endpoints lists every host's endpoint in host-name order.
func (s *Server) Endpoints() []Endpoint {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Endpoint, 0, len(s.order))
	for _, name := range s.order {
		out = append(out, s.endpointInfo(s.endpoints[name]))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Host < out[j].Host })
	return out
}

// Endpoint returns one host's endpoint; names are case-insensitive.
func (s *Server) Endpoint(host string) (Endpoint, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ep, ok := s.endpoints[strings.ToLower(host)]
	if !ok {
		return Endpoint{}, false
	}
	return s.endpointInfo(ep), true
}

func (s *Server) endpointInfo(ep *endpoint) Endpoint {
	ip, portStr, _ := net.SplitHostPort(ep.addr)
	port, _ := strconv.Atoi(portStr)
	scheme := "http"
	if s.tls != nil {
		scheme = "https"
	}
	return Endpoint{Host: ep.host, IP: ip, Port: port, HTTPS: s.tls != nil, URL: scheme + "://" + ep.addr + "/wsman"}
}

// CACertPEM returns the CA certificate clients need for HTTPS (nil over HTTP).
func (s *Server) CACertPEM() []byte {
	if s.ca == nil {
		return nil
	}
	return s.ca.CertPEM()
}

// AdminURL is the base URL of the admin API, e.g. http://127.0.0.1:40000/admin/.
func (s *Server) AdminURL() string { return "http://" + s.adminAddr + "/admin/" }

func (s *Server) startAdmin() error {
	ln, err := net.Listen("tcp", s.opts.Admin)
	if err != nil {
		return fmt.Errorf("serve admin: %w", err)
	}
	s.adminAddr = ln.Addr().String()
	inner := AdminHandler(s.fleet)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /admin/endpoints", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"endpoints": s.Endpoints()})
	})
	mux.HandleFunc("GET /admin/ca.pem", func(w http.ResponseWriter, r *http.Request) {
		if s.ca == nil {
			http.Error(w, "not serving HTTPS", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/x-pem-file")
		w.Write(s.ca.CertPEM())
	})
	mux.Handle("/admin/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inner.ServeHTTP(w, r)
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			// Faults changed through the API take effect on the wire now.
			if err := s.Reconcile(); err != nil {
				s.log.Error("apply faults", "err", err)
			}
		}
	}))
	s.admin = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.admin.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("serve admin", "err", err)
		}
	}()
	return nil
}

// Close stops every listener and running command and waits for them.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	for _, ep := range s.endpoints {
		if ep.srv != nil {
			ep.srv.Close()
			ep.srv = nil
		}
		ep.ws.Close()
	}
	if s.admin != nil {
		s.admin.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}
