package sim

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/fleetfile"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/powershell"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/wsman"
)

// endpoint is one host's WinRM listener. While the host is unreachable or
// crashed the listener is closed, so connections are refused as they would be.
type endpoint struct {
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
func (s *Server) newEndpoint(host, addr string) (*endpoint, error) {
	// Reserve the port now so an ephemeral port stays the host's own while
	// it is down.
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("serve host %s: %w", host, err)
	}
	addr = ln.Addr().String()
	ln.Close()
	ep := &endpoint{host: host, addr: addr, shell: powershell.NewShell(s.fleet, host)}
	spec := s.fleet.Spec()
	for i := range spec.Hosts {
		if strings.EqualFold(spec.Hosts[i].Name, host) {
			ep.winrm = spec.HostWinRM(i)
		}
	}
	if https := ep.winrm.HTTPS; https != nil && *https || https == nil && s.opts.HTTPS {
		if ep.tls, err = s.hostTLS(host); err != nil {
			return nil, fmt.Errorf("serve host %s: %w", host, err)
		}
	}
	ep.ws, err = s.newWSMan(ep)
	if err != nil {
		return nil, fmt.Errorf("serve host %s: %w", host, err)
	}
	return ep, nil
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

func (s *Server) newWSMan(ep *endpoint) (*wsman.Server, error) {
	auth := wsman.Auth{
		AllowUnencrypted: ep.winrm.AllowUnencrypted,
		Accounts:         s.accounts.Host(s.fleet, ep.host),
		Domain:           s.fleet.Spec().Domain,
	}
	for _, a := range ep.winrm.Auth {
		auth.Schemes = append(auth.Schemes, map[string]wsman.Scheme{fleetfile.AuthNegotiate: wsman.Negotiate, fleetfile.AuthKerberos: wsman.Kerberos, fleetfile.AuthBasic: wsman.Basic}[a])
	}
	if s.opts.Kerberos != nil {
		auth.Kerberos = s.opts.Kerberos(ep.host)
	}
	if ep.tls != nil {
		auth.Certificate = ep.tls.Certificates[0].Leaf
	}
	return wsman.NewServer(wsman.Config{
		Auth:                auth,
		Runner:              ep.shell,
		Intercept:           func(op wsman.Op, shellID, commandID string) wsman.Action { return s.intercept(ep, op, commandID) },
		MaxOperationTimeout: s.opts.MaxOperationTimeout,
		Logger:              s.log.With("host", ep.host),
		MachineName:         ep.host,
	})
}

func (s *Server) endpointInfo(ep *endpoint) Endpoint {
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
