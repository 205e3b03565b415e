package sim

import (
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

	"github.com/hvbalancer/hvbalancer/hyperv/sim/domain"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/fleetfile"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/model"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/powershell"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/wsman"
)

// Options configures Serve.
type Options struct {
	// Listen is the IP address every endpoint listens on (default 127.0.0.1).
	Listen string
	// BasePort is the first host's port; host i listens on BasePort+i.
	// Zero gives every host an ephemeral port.
	BasePort int
	// HTTPS serves WinRM over TLS, with certificates from one CA made at
	// start, on every host whose fleet file does not say (winrm.https).
	HTTPS bool
	// Admin is the address of the admin API (default 127.0.0.1:0).
	Admin string
	// MaxOperationTimeout caps a client's WS-Man OperationTimeout (0: none).
	MaxOperationTimeout time.Duration
	// Logger receives the simulator's log; nil discards it.
	Logger *slog.Logger
	// Kerberos returns the Kerberos acceptor of a host (its keytab); nil,
	// or a nil acceptor, refuses Kerberos tickets as a host of another
	// realm does.
	Kerberos func(host string) wsman.KerberosAcceptor
}

// Server serves every host of a Fleet over WinRM, one endpoint per host, and
// the admin API. It owns its listeners and goroutines: Close stops them all.
type Server struct {
	fleet    *model.Fleet
	opts     Options
	log      *slog.Logger
	ca       *wsman.CA // nil when no host serves HTTPS
	accounts *domain.Ledger

	mu        sync.Mutex
	endpoints map[string]*endpoint // by lower-case host name
	order     []string

	admin     *http.Server
	adminAddr string
	wg        sync.WaitGroup
	closed    bool
}

// Serve starts an endpoint for every host of f and the admin API.
func Serve(f *model.Fleet, opts Options) (*Server, error) {
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
	s.accounts = domain.NewLedger(f.Spec().Credentials.Lockout, f.Clock().Now, s.log)
	env := &endpointEnv{
		fleet: f, accounts: s.accounts, log: s.log, wg: &s.wg,
		https: opts.HTTPS, tls: s.hostTLS, kerberos: opts.Kerberos, maxOperationTimeout: opts.MaxOperationTimeout,
		parses: powershell.NewParseCache(),
	}
	for i, name := range f.HostNames() {
		port := 0
		if opts.BasePort > 0 {
			port = opts.BasePort + i
		}
		ep, err := newEndpoint(env, name, net.JoinHostPort(opts.Listen, strconv.Itoa(port)))
		if err != nil {
			s.Close()
			return nil, err
		}
		s.endpoints[strings.ToLower(name)] = ep
		s.order = append(s.order, strings.ToLower(name))
		if err := ep.reconcile(); err != nil {
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
		errs = append(errs, s.endpoints[name].reconcile())
	}
	return errors.Join(errs...)
}

// SetFaults changes a host's faults and applies them at once.
func (s *Server) SetFaults(host string, fl fleetfile.Faults) error {
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
func (s *Server) Fleet() *model.Fleet { return s.fleet }

// Endpoints lists every host's endpoint in host-name order.
func (s *Server) Endpoints() []Endpoint {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Endpoint, 0, len(s.order))
	for _, name := range s.order {
		out = append(out, s.endpoints[name].info())
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
	return ep.info(), true
}

// ShellInfo describes one open WinRM shell of a host; see wsman.ShellInfo.
type ShellInfo = wsman.ShellInfo

// Shells returns the open WinRM shells of a host, every user's, oldest
// first; ok is false for an unknown host. A crashed host has none.
func (s *Server) Shells(host string) (shells []ShellInfo, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ep, ok := s.endpoints[strings.ToLower(host)]
	if !ok {
		return nil, false
	}
	return ep.ws.Shells(), true
}

// hostTLS issues a host its certificate, from the one CA of the fleet. It
// names the listen address, localhost, and the host by its NetBIOS and DNS
// names, as a WinRM HTTPS listener's certificate names its host.
func (s *Server) hostTLS(host string) (*tls.Config, error) {
	if s.ca == nil {
		ca, err := wsman.NewCA()
		if err != nil {
			return nil, err
		}
		s.ca = ca
	}
	fqdn := strings.ToLower(host) + "." + s.fleet.Spec().Domain
	cert, err := s.ca.Issue(s.opts.Listen, "localhost", host, fqdn)
	if err != nil {
		return nil, err
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// CACertPEM returns the CA certificate clients need for HTTPS (nil when no
// host serves HTTPS).
func (s *Server) CACertPEM() []byte {
	if s.ca == nil {
		return nil
	}
	return s.ca.CertPEM()
}

// AdminURL is the base URL of the admin API, e.g. http://127.0.0.1:40000/admin/.
func (s *Server) AdminURL() string { return "http://" + s.adminAddr + "/admin/" }

// startAdmin serves AdminHandler's API and, of the running server:
//
//	GET /admin/endpoints  {"endpoints": [Endpoint...]}
//	GET /admin/accounts   {"accounts": [AccountState...], "lockout": {"threshold": n, "window": "30m0s", "duration": "30m0s"}}
//	GET /admin/ca.pem     the CA certificate of the HTTPS hosts (404 when none)
//	GET /admin/shells     {"shells": {"HV01": [ShellInfo...], ...}}: every host's open WinRM shells
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
	mux.HandleFunc("GET /admin/accounts", func(w http.ResponseWriter, r *http.Request) {
		lo := s.fleet.Spec().Credentials.Lockout
		writeJSON(w, http.StatusOK, map[string]any{
			"accounts": s.Accounts(),
			"lockout":  map[string]any{"threshold": *lo.Threshold, "window": lo.Window, "duration": lo.Duration},
		})
	})
	mux.HandleFunc("GET /admin/shells", func(w http.ResponseWriter, r *http.Request) {
		out := map[string][]ShellInfo{}
		for _, ep := range s.Endpoints() {
			out[ep.Host], _ = s.Shells(ep.Host)
		}
		writeJSON(w, http.StatusOK, map[string]any{"shells": out})
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
		ep.close()
	}
	if s.admin != nil {
		s.admin.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

// AccountState is one domain account's logon record; see domain.AccountState.
type AccountState = domain.AccountState

// Accounts returns the logon record of every account that tried to log on.
func (s *Server) Accounts() []AccountState { return s.accounts.States() }
