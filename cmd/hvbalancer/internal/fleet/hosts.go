package fleet

import (
	"fmt"
	"os"

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/config"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/logins"
	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/hyperv"
)

// configuredHosts describes the configuration's hosts.
func configuredHosts(c *config.Config) ([]collector.Target, []logins.Host, map[string]string) {
	var targets []collector.Target
	var hosts []logins.Host
	addrs := map[string]string{}
	eps := c.Endpoints() // in file order, as the loops below
	for _, cl := range c.Clusters {
		for _, h := range cl.Hosts {
			ep := eps[0]
			eps = eps[1:]
			hosts = append(hosts, guardHost(ep, func(password string) (*hyperv.Client, error) { return clientFor(ep, password) }))
			addrs[h.Name] = hostPort(ep)
			targets = append(targets, collector.Target{
				Name: h.Name, Cluster: cl.Name, Group: h.Group, Labels: h.Labels, Maintenance: h.Maintenance,
			})
		}
	}
	return targets, hosts, addrs
}

// guardHost describes one host to the login guard: the credential its
// endpoint logs in with, and how to make its client.
func guardHost(ep config.Endpoint, dial func(password string) (*hyperv.Client, error)) logins.Host {
	cred := logins.Credential{Username: ep.Username, PasswordFile: ep.PasswordFile, PasswordEnv: ep.PasswordEnv}
	if ep.Auth == "kerberos" {
		cred.Realm, cred.Keytab = ep.Kerberos.Realm, ep.Kerberos.Keytab
		if ep.Kerberos.CCache != "" { // the cache, not a username and secret
			cred = logins.Credential{Realm: ep.Kerberos.Realm, CCache: ep.Kerberos.CCache}
		}
	}
	return logins.Host{
		Name:       ep.Host,
		Credential: cred,
		Settings:   fmt.Sprintf("%+v", ep), // paths and names only: no secret
		Dial: func(password string) (logins.Client, error) {
			c, err := dial(password)
			if err != nil {
				return nil, err
			}
			return c, nil
		},
	}
}

// ClientConfig maps one configured host's settings, with its password, to
// the WinRM client's.
func ClientConfig(ep config.Endpoint, password string) (hyperv.Config, error) {
	auth, err := hyperv.ParseAuthMethod(ep.Auth)
	if err != nil {
		return hyperv.Config{}, fmt.Errorf("host %s: %w", ep.Host, err)
	}
	enc, err := hyperv.ParseEncryption(ep.Encryption)
	if err != nil {
		return hyperv.Config{}, fmt.Errorf("host %s: %w", ep.Host, err)
	}
	hc := hyperv.Config{
		Host:               ep.Address,
		Port:               ep.Port,
		HTTPS:              ep.HTTPS,
		InsecureSkipVerify: ep.InsecureSkipVerify,
		TLSServerName:      ep.TLSServerName,
		Auth:               auth,
		Encryption:         enc,
		Username:           ep.Username,
		Password:           password,
		Kerberos: hyperv.KerberosConfig{
			Realm: ep.Kerberos.Realm, ConfigFile: ep.Kerberos.ConfigFile, SPN: ep.Kerberos.SPN,
			CCache: ep.Kerberos.CCache, Keytab: ep.Kerberos.Keytab,
		},
		CallTimeout:      ep.CallTimeout,
		MoveTimeout:      ep.MoveTimeout,
		OperationTimeout: ep.OperationTimeout,
	}
	if ep.CAFile != "" {
		if hc.CACert, err = os.ReadFile(ep.CAFile); err != nil {
			return hyperv.Config{}, fmt.Errorf("host %s: read CA file: %w", ep.Host, err)
		}
	}
	return hc, nil
}

// clientFor builds the WinRM client of one configured host.
func clientFor(ep config.Endpoint, password string) (*hyperv.Client, error) {
	hc, err := ClientConfig(ep, password)
	if err != nil {
		return nil, err
	}
	client, err := hyperv.New(hc)
	if err != nil {
		return nil, fmt.Errorf("host %s: %w", ep.Host, err)
	}
	return client, nil
}

// hostPort is an endpoint's address and port.
func hostPort(ep config.Endpoint) string { return fmt.Sprintf("%s:%d", ep.Address, ep.Port) }
