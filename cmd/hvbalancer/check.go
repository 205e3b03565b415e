package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/config"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/daemon"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/fleet"
	"github.com/hvbalancer/hvbalancer/hyperv/sim"
)

func checkCommand(ctx context.Context, args []string, e *env) error {
	fs := flags(e, "check", "check --config FILE [--connect]")
	path := fs.String("config", "", "configuration `file`")
	connect := fs.Bool("connect", false, "also log in to every host and read its facts")
	if err := parse(fs, args); err != nil {
		return err
	}
	c, err := checkConfig(*path, e)
	if err != nil || !*connect {
		return err
	}
	return connectCheck(ctx, c, e)
}

// checkConfig is check and --check: it validates the configuration,
// compiles the policy, resolves every secret and reads every Kerberos and
// TLS file it names, and reports every problem at once with its path.
func checkConfig(path string, e *env) (*config.Config, error) {
	c, err := loadConfig(path, e)
	if err != nil {
		return nil, err
	}
	var r report
	engine, err := daemon.LoadPolicy(c, e.log)
	if err != nil {
		r.problem("policy", "%s", strings.TrimPrefix(err.Error(), "policy: "))
	}
	if _, err := daemon.TrustedKeys(c); err != nil {
		r.problem("signing", "%v", err)
	}
	if c.Simulator != nil {
		if _, err := sim.LoadFleet(c.Simulator.Fleet); err != nil {
			r.problem("simulator.fleet", "%v", err)
		}
		if c.WinRM.Username != nil {
			inspectSecret(&r, "winrm", config.Endpoint{
				Username: *c.WinRM.Username, PasswordFile: deref(c.WinRM.PasswordFile), PasswordEnv: deref(c.WinRM.PasswordEnv),
			})
		}
	} else {
		inspectHosts(&r, c)
	}
	for _, w := range c.Warnings() {
		r.warn(w.Path, "%v: %v", w.Value, w.Err)
	}
	for _, w := range r.warnings {
		fmt.Fprintln(e.stdout, "warning: "+w)
	}
	if len(r.problems) > 0 {
		return nil, errors.New(strings.Join(r.problems, "\n"))
	}
	what := fmt.Sprintf("%d clusters, %d hosts", len(c.Clusters), len(c.Endpoints()))
	if c.Simulator != nil {
		what = "simulated fleet " + c.Simulator.Fleet
	}
	fmt.Fprintf(e.stdout, "%s: valid (%s); policy %s\n", path, what, engine.Digest())
	if h := c.HA; h != nil {
		fmt.Fprintf(e.stdout, "high availability: etcd %s, prefix %s, session ttl %s; this daemon is %s at %s\n",
			strings.Join(h.Etcd.Endpoints, " "), h.Etcd.Prefix, h.Etcd.SessionTTL, h.NodeName, h.Advertise)
	}
	return c, nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// inspectHosts checks every host's secrets, files and client settings.
func inspectHosts(r *report, c *config.Config) {
	eps := c.Endpoints()
	for ci, cl := range c.Clusters {
		for hi := range cl.Hosts {
			ep := eps[0]
			eps = eps[1:]
			hp := fmt.Sprintf("clusters[%d].hosts[%d]", ci, hi)
			password := inspectSecret(r, hp+".winrm", ep)
			if ep.Auth == "kerberos" {
				inspectKerberos(r, hp+".winrm.kerberos", ep)
			}
			if ep.CAFile != "" {
				b, err := os.ReadFile(ep.CAFile)
				switch {
				case err != nil && r.once("ca\x00"+ep.CAFile):
					r.problem(hp+".winrm.ca_file", "%s: %v", ep.CAFile, err)
				case err == nil && !x509.NewCertPool().AppendCertsFromPEM(b) && r.once("ca\x00"+ep.CAFile):
					r.problem(hp+".winrm.ca_file", "%s: holds no PEM certificate", ep.CAFile)
				}
				if err != nil || !x509.NewCertPool().AppendCertsFromPEM(b) {
					ep.CAFile = "" // said above; check the rest
				}
			}
			if ep.HTTPS && ep.TLSServerName == "" && !ep.InsecureSkipVerify && net.ParseIP(ep.Address) != nil {
				r.warn(hp+".address", "%s is an IP address, but a WinRM certificate names the host: connect by that name or set winrm.tls_server_name to it", ep.Address)
			}
			if password == "" {
				password = "unread" // said above; check the rest
			}
			if hc, err := fleet.ClientConfig(ep, password); err != nil {
				r.problem(hp, "%v", err)
			} else if err := hc.Validate(); err != nil {
				r.problem(hp, "%s", strings.ReplaceAll(err.Error(), "\n", "; "))
			}
		}
	}
}

// inspectSecret reads the endpoint's password, if it has one, and returns it.
func inspectSecret(r *report, path string, ep config.Endpoint) string {
	switch {
	case ep.PasswordFile != "":
		p, err := ep.Password()
		if err != nil && r.once("file\x00"+ep.PasswordFile) {
			r.problem(path+".password_file", "%s", strings.TrimPrefix(err.Error(), "read password of "+ep.Host+": "))
		}
		return p
	case ep.PasswordEnv != "":
		p, err := ep.Password()
		if err != nil && r.once("env\x00"+ep.PasswordEnv) {
			r.problem(path+".password_env", "%s", strings.TrimPrefix(err.Error(), "read password of "+ep.Host+": "))
		}
		return p
	}
	return ""
}
