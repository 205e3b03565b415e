package sim

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
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

// Endpoint is where one simulated host listens.
type Endpoint struct {
	Host  string `json:"host" yaml:"name"`
	IP    string `json:"ip" yaml:"address"`
	Port  int    `json:"port" yaml:"port"`
	HTTPS bool   `json:"https" yaml:"https"`
	URL   string `json:"url" yaml:"url"`
	// Auth is how a client logs in: ntlm (Negotiate), kerberos or basic,
	// the first the host's WinRM service accepts.
	Auth string `json:"auth" yaml:"auth"`
}

// endpointEnv is what every endpoint shares with its server.
type endpointEnv struct {
	fleet    *model.Fleet
	accounts *domain.Ledger
	log      *slog.Logger
	wg       *sync.WaitGroup // every listener's goroutine
	// https is the default for hosts whose fleet file does not say.
	https bool
	// tls issues a host's TLS configuration when it serves HTTPS.
	tls                 func(host string) (*tls.Config, error)
	kerberos            func(host string) wsman.KerberosAcceptor // nil: no Kerberos
	maxOperationTimeout time.Duration
	parses              *powershell.ParseCache // the hosts' parsed script texts
}

// endpoint is one host's WinRM listener. While the host is unreachable or
// crashed the listener is closed, so connections are refused as they would be.
type endpoint struct {
	env   *endpointEnv
	host  string
	addr  string
	winrm fleetfile.WinRMSettings
	tls   *tls.Config // nil over HTTP
	shell *powershell.Shell
	ws    *wsman.Server
	srv   *http.Server // nil while down
}

// newEndpoint makes a host's endpoint: its address, WinRM settings,
// certificate when it serves HTTPS, and WS-Management server.
func newEndpoint(env *endpointEnv, host, addr string) (*endpoint, error) {
	// Reserve the port now so an ephemeral port stays the host's own while
	// it is down.
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("serve host %s: %w", host, err)
	}
	addr = ln.Addr().String()
	ln.Close()
	ep := &endpoint{env: env, host: host, addr: addr, shell: powershell.NewSharedShell(env.fleet, host, env.parses)}
	spec := env.fleet.Spec()
	for i := range spec.Hosts {
		if strings.EqualFold(spec.Hosts[i].Name, host) {
			ep.winrm = spec.HostWinRM(i)
		}
	}
	if https := ep.winrm.HTTPS; https != nil && *https || https == nil && env.https {
		if ep.tls, err = env.tls(host); err != nil {
			return nil, fmt.Errorf("serve host %s: %w", host, err)
		}
	}
	ep.ws, err = ep.newWSMan()
	if err != nil {
		return nil, fmt.Errorf("serve host %s: %w", host, err)
	}
	return ep, nil
}

func (ep *endpoint) newWSMan() (*wsman.Server, error) {
	env := ep.env
	auth := wsman.Auth{
		AllowUnencrypted: ep.winrm.AllowUnencrypted,
		Accounts:         env.accounts.Host(env.fleet, ep.host),
		Domain:           env.fleet.Spec().Domain,
	}
	for _, a := range ep.winrm.Auth {
		auth.Schemes = append(auth.Schemes, map[string]wsman.Scheme{fleetfile.AuthNegotiate: wsman.Negotiate, fleetfile.AuthKerberos: wsman.Kerberos, fleetfile.AuthBasic: wsman.Basic}[a])
	}
	if env.kerberos != nil {
		auth.Kerberos = env.kerberos(ep.host)
	}
	if ep.tls != nil {
		auth.Certificate = ep.tls.Certificates[0].Leaf
	}
	return wsman.NewServer(wsman.Config{
		Auth:                auth,
		Runner:              ep.shell,
		Intercept:           func(op wsman.Op, shellID, commandID string) wsman.Action { return ep.intercept(op, commandID) },
		MaxOperationTimeout: env.maxOperationTimeout,
		Logger:              env.log.With("host", ep.host),
		MachineName:         ep.host,
	})
}

// intercept applies the host's run-time faults to one request.
func (ep *endpoint) intercept(op wsman.Op, commandID string) wsman.Action {
	fl, err := ep.env.fleet.Faults(ep.host)
	if err != nil {
		return wsman.Action{}
	}
	a := wsman.Action{Delay: fl.Latency.Std()}
	if fl.DropConnection && op == wsman.OpReceive && ep.shell.WillMigrate(commandID, 2*time.Second) {
		a.Drop = true
	}
	return a
}

// reconcile opens or closes the host's listener to match its faults.
func (ep *endpoint) reconcile() error {
	env := ep.env
	fl, err := env.fleet.Faults(ep.host)
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
			if ep.ws, err = ep.newWSMan(); err != nil {
				return err
			}
		}
		env.log.Info("host down", "host", ep.host, "crashed", fl.Crashed)
	case !down && ep.srv == nil:
		ln, err := net.Listen("tcp", ep.addr)
		if err != nil {
			return fmt.Errorf("serve host %s: %w", ep.host, err)
		}
		mux := http.NewServeMux()
		mux.Handle("/wsman", ep.ws)
		srv := &http.Server{
			Handler: mux, ReadHeaderTimeout: 10 * time.Second, TLSConfig: ep.tls.Clone(),
			ErrorLog: slog.NewLogLogger(env.log.Handler(), slog.LevelDebug),
			// A login lives on its connection, and WinRM clients speak
			// HTTP/1.1, one request at a time: no HTTP/2.
			ConnContext:  wsman.ConnContext,
			TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
		}
		ep.srv = srv
		env.wg.Add(1)
		go func() {
			defer env.wg.Done()
			var err error
			if ep.tls != nil {
				err = srv.ServeTLS(ln, "", "")
			} else {
				err = srv.Serve(ln)
			}
			if err != nil && !errors.Is(err, http.ErrServerClosed) {
				env.log.Error("serve host", "host", ep.host, "err", err)
			}
		}()
	}
	return nil
}

// close stops the listener and every shell.
func (ep *endpoint) close() {
	if ep.srv != nil {
		ep.srv.Close()
		ep.srv = nil
	}
	ep.ws.Close()
}

// info says where the host listens and how a client logs in.
func (ep *endpoint) info() Endpoint {
	ip, portStr, _ := net.SplitHostPort(ep.addr)
	port, _ := strconv.Atoi(portStr)
	scheme := "http"
	if ep.tls != nil {
		scheme = "https"
	}
	auth := fleetfile.AuthBasic
	switch {
	case ep.winrm.Accepts(fleetfile.AuthNegotiate):
		auth = "ntlm"
	case ep.winrm.Accepts(fleetfile.AuthKerberos):
		auth = fleetfile.AuthKerberos
	}
	return Endpoint{Host: ep.host, IP: ip, Port: port, HTTPS: ep.tls != nil, URL: scheme + "://" + ep.addr + "/wsman", Auth: auth}
}
