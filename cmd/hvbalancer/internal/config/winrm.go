package config

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// Endpoint is one host's WinRM settings with every level merged.
type Endpoint struct {
	Host               string // the host's name
	Address            string
	Port               int
	HTTPS              bool
	Auth               string // basic, ntlm or kerberos
	Encryption         string // auto or never
	Username           string
	PasswordFile       string
	PasswordEnv        string
	CAFile             string
	InsecureSkipVerify bool
	TLSServerName      string
	Kerberos           Kerberos
	CallTimeout        time.Duration
	MoveTimeout        time.Duration
	OperationTimeout   time.Duration
}

// merge lays the fields set in o over w.
func (w WinRM) merge(o WinRM) WinRM {
	if o.Port != nil {
		w.Port = o.Port
	}
	if o.HTTPS != nil {
		w.HTTPS = o.HTTPS
	}
	if o.Auth != nil {
		w.Auth = o.Auth
	}
	if o.Encryption != nil {
		w.Encryption = o.Encryption
	}
	if o.Username != nil {
		w.Username = o.Username
	}
	if o.Password != nil {
		w.Password = o.Password
	}
	// A secret named at a lower level replaces the inherited one, whichever
	// kind: a password file, a variable or a Kerberos keytab.
	if o.PasswordFile != nil || o.PasswordEnv != nil {
		w.PasswordFile, w.PasswordEnv = o.PasswordFile, o.PasswordEnv
		if w.Kerberos != nil && w.Kerberos.Keytab != "" && (o.Kerberos == nil || o.Kerberos.Keytab == "") {
			k := *w.Kerberos
			k.Keytab = ""
			w.Kerberos = &k
		}
	}
	if o.Kerberos != nil && o.Kerberos.Keytab != "" && o.PasswordFile == nil && o.PasswordEnv == nil {
		w.PasswordFile, w.PasswordEnv = nil, nil
	}
	if o.CAFile != nil {
		w.CAFile = o.CAFile
	}
	if o.InsecureSkipVerify != nil {
		w.InsecureSkipVerify = o.InsecureSkipVerify
	}
	if o.TLSServerName != nil {
		w.TLSServerName = o.TLSServerName
	}
	if o.Kerberos != nil {
		w.Kerberos = o.Kerberos
	}
	if o.CallTimeout != nil {
		w.CallTimeout = o.CallTimeout
	}
	if o.MoveTimeout != nil {
		w.MoveTimeout = o.MoveTimeout
	}
	if o.OperationTimeout != nil {
		w.OperationTimeout = o.OperationTimeout
	}
	return w
}

func deref[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

// endpoint merges the top-level, cluster and host WinRM settings.
func (c *Config) endpoint(ci, hi int) Endpoint {
	h := c.Clusters[ci].Hosts[hi]
	w := c.WinRM.merge(c.Clusters[ci].WinRM).merge(h.WinRM)
	https := deref(w.HTTPS, false)
	port := 5985
	if https {
		port = 5986
	}
	e := Endpoint{
		Host:               h.Name,
		Address:            h.Address,
		Port:               deref(w.Port, port),
		HTTPS:              https,
		Auth:               strings.ToLower(deref(w.Auth, "kerberos")),
		Encryption:         strings.ToLower(deref(w.Encryption, "auto")),
		Username:           deref(w.Username, ""),
		PasswordFile:       deref(w.PasswordFile, ""),
		PasswordEnv:        deref(w.PasswordEnv, ""),
		CAFile:             deref(w.CAFile, ""),
		InsecureSkipVerify: deref(w.InsecureSkipVerify, false),
		TLSServerName:      deref(w.TLSServerName, ""),
		CallTimeout:        deref(w.CallTimeout, 0),
		MoveTimeout:        deref(w.MoveTimeout, 0),
		OperationTimeout:   deref(w.OperationTimeout, 0),
	}
	if w.Kerberos != nil {
		e.Kerberos = *w.Kerberos
	}
	return e
}

// Endpoints returns every configured host's merged WinRM settings, in file order.
func (c *Config) Endpoints() []Endpoint {
	var out []Endpoint
	for ci := range c.Clusters {
		for hi := range c.Clusters[ci].Hosts {
			out = append(out, c.endpoint(ci, hi))
		}
	}
	return out
}

// SimulatorEndpoint is a simulated host's WinRM settings: the address,
// port and https the simulator gives it, with the top-level winrm section's
// authentication, credentials, timeouts and (over HTTPS) certificate name
// check laid over the simulator's
// defaults (auth defaultAuth; no username or password source, which the
// caller then takes from the fleet file).
func (c *Config) SimulatorEndpoint(host, address string, port int, https bool, defaultAuth string) Endpoint {
	w := c.WinRM
	e := Endpoint{
		Host:             host,
		Address:          address,
		Port:             port,
		HTTPS:            https,
		Auth:             strings.ToLower(deref(w.Auth, defaultAuth)),
		Encryption:       strings.ToLower(deref(w.Encryption, "auto")),
		Username:         deref(w.Username, ""),
		PasswordFile:     deref(w.PasswordFile, ""),
		PasswordEnv:      deref(w.PasswordEnv, ""),
		CallTimeout:      deref(w.CallTimeout, 0),
		MoveTimeout:      deref(w.MoveTimeout, 0),
		OperationTimeout: deref(w.OperationTimeout, 0),
	}
	if https {
		e.TLSServerName = deref(w.TLSServerName, "")
		e.InsecureSkipVerify = deref(w.InsecureSkipVerify, false)
	}
	if w.Kerberos != nil {
		e.Kerberos = *w.Kerberos
	}
	return e
}

// ErrNoSecret means an endpoint names no password source.
var ErrNoSecret = errors.New("no password_file or password_env")

// Password reads the endpoint's password from its file (trailing newline
// removed) or environment variable. Errors name the source, never the secret.
func (e Endpoint) Password() (string, error) {
	switch {
	case e.PasswordFile != "":
		b, err := os.ReadFile(e.PasswordFile)
		if err != nil {
			return "", fmt.Errorf("read password of %s: %w", e.Host, err)
		}
		p := strings.TrimRight(string(b), "\r\n")
		if p == "" {
			return "", fmt.Errorf("read password of %s: %s is empty", e.Host, e.PasswordFile)
		}
		return p, nil
	case e.PasswordEnv != "":
		p, ok := os.LookupEnv(e.PasswordEnv)
		if !ok || p == "" {
			return "", fmt.Errorf("read password of %s: environment variable %s is not set", e.Host, e.PasswordEnv)
		}
		return p, nil
	}
	return "", fmt.Errorf("read password of %s: %w", e.Host, ErrNoSecret)
}
