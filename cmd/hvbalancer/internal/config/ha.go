package config

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"
)

// Limits and defaults of the ha section.
const (
	// DefaultHAPrefix is the etcd key prefix when the file names none.
	DefaultHAPrefix = "/hvbalancer"
	// DefaultSessionTTL is how long a leader that stopped renewing its
	// lease keeps it: the bound on a takeover.
	DefaultSessionTTL = 15 * time.Second
	// MinSessionTTL is the shortest lease allowed: an etcd cluster's own
	// leader election takes about a second, and a Go garbage collection or
	// a loaded machine can delay a renewal, so a shorter lease deposes a
	// healthy leader.
	MinSessionTTL = 5 * time.Second
	// maxSessionTTL bounds how long a lost leader can keep the fleet
	// without one.
	maxSessionTTL = 10 * time.Minute
	// defaultEtcdDialTimeout bounds the first connection to etcd.
	defaultEtcdDialTimeout = 5 * time.Second
	maxNodeName            = 63
)

// HA runs several daemons against one etcd cluster: one leads (collects,
// plans and executes), the others stand by, serve the read API and the
// status page, and take over when the leader is lost. Without it the
// daemon runs alone, with its local journal, and needs no etcd.
type HA struct {
	Etcd Etcd `yaml:"etcd"`
	// NodeName names this daemon to the others (default: the host name).
	NodeName string `yaml:"node_name"`
	// Advertise is this daemon's API as the others reach it, where a
	// standby forwards the mutations it is asked for, e.g.
	// https://hvb1.example:9707 (default: http.listen, when it binds one
	// address).
	Advertise string `yaml:"advertise"`
}

// Etcd says how to reach the etcd cluster.
type Etcd struct {
	Endpoints []string `yaml:"endpoints"` // the members' client URLs
	TLS       EtcdTLS  `yaml:"tls"`
	// Prefix is the key prefix shared by the daemons of one fleet
	// (default /hvbalancer); sites with separate fleets use separate
	// prefixes.
	Prefix string `yaml:"prefix"`
	// SessionTTL is the leader's lease: a standby takes over this long
	// after the leader's last renewal (default 15s, at least 5s).
	SessionTTL  time.Duration `yaml:"session_ttl"`
	DialTimeout time.Duration `yaml:"dial_timeout"` // the first connection (default 5s)
}

// EtcdTLS are the PEM files of the connection to etcd: CA verifies the
// members (default: the system's roots), Cert and Key authenticate this
// daemon (both or neither).
type EtcdTLS struct {
	CA   string `yaml:"ca"`
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
}

// Enabled reports whether the tls section names a file.
func (t EtcdTLS) Enabled() bool { return t.CA != "" || t.Cert != "" || t.Key != "" }

// validateHA fills the ha section's defaults, checks it, and resolves its
// files against the configuration's directory.
func (c *Config) validateHA(p *problems) {
	h := c.HA
	if h == nil {
		return
	}
	e := &h.Etcd
	if e.Prefix == "" {
		e.Prefix = DefaultHAPrefix
	}
	if e.SessionTTL == 0 {
		e.SessionTTL = DefaultSessionTTL
	}
	if e.DialTimeout == 0 {
		e.DialTimeout = defaultEtcdDialTimeout
	}
	if h.NodeName == "" {
		h.NodeName, _ = os.Hostname()
	}
	if h.Advertise == "" {
		h.Advertise = c.advertised()
	}
	if c.Simulator != nil {
		p.add("ha", nil, "cannot be used with simulator: each daemon would run a fleet of its own; run hvsim once and name its hosts in clusters")
	}
	c.validateEtcdEndpoints(p)
	if !strings.HasPrefix(e.Prefix, "/") || strings.HasSuffix(e.Prefix, "/") || strings.ContainsFunc(e.Prefix, func(r rune) bool { return r <= ' ' }) {
		p.add("ha.etcd.prefix", e.Prefix, "want a key prefix such as /hvbalancer or /hvbalancer/site-a: a leading slash, no trailing one, no spaces")
	}
	switch {
	case e.SessionTTL < MinSessionTTL || e.SessionTTL > maxSessionTTL:
		p.add("ha.etcd.session_ttl", e.SessionTTL, "must be %s..%s: a shorter lease deposes a healthy leader during an etcd election or a pause, a longer one leaves the fleet without a leader that long", MinSessionTTL, maxSessionTTL)
	case e.SessionTTL%time.Second != 0:
		p.add("ha.etcd.session_ttl", e.SessionTTL, "must be whole seconds (an etcd lease)")
	}
	if e.DialTimeout < 0 {
		p.add("ha.etcd.dial_timeout", e.DialTimeout, "must be > 0")
	}
	c.validateEtcdTLS(p)
	switch {
	case h.NodeName == "":
		p.add("ha.node_name", nil, "required: the host name could not be read")
	default:
		if why := textProblem(h.NodeName, maxNodeName); why != "" {
			p.add("ha.node_name", shown(h.NodeName), "%s", why)
		}
	}
	if h.Advertise == "" {
		p.add("ha.advertise", nil, "required when http.listen binds every interface: the URL the other daemons reach this one's API at, such as https://hvb1.example:9707")
	} else if why := httpURLProblem(h.Advertise); why != "" {
		p.add("ha.advertise", shown(h.Advertise), "%s", why)
	}
	// Each daemon alone makes a key of its own in its state directory.
	if c.Signing.KeyFile == "" && len(c.Signing.TrustedKeys) == 0 {
		p.add("signing.key_file", nil, "required with ha: a new leader refuses the plans the last one signed with a key of its own; copy one key file to every daemon and name it here (or list the others' public keys in signing.trusted_keys)")
	}
}

// validateEtcdEndpoints checks the members' URLs: http or https, a host
// and a port, all of one scheme, https when TLS files are named.
func (c *Config) validateEtcdEndpoints(p *problems) {
	e := c.HA.Etcd
	if len(e.Endpoints) == 0 {
		p.add("ha.etcd.endpoints", nil, "required: the etcd members' client URLs, such as https://etcd1.example:2379")
	}
	schemes := map[string]bool{}
	for i, ep := range e.Endpoints {
		if why := httpURLProblem(ep); why != "" {
			p.add(fmt.Sprintf("ha.etcd.endpoints[%d]", i), shown(ep), "%s", why)
			continue
		}
		u, _ := url.Parse(ep)
		schemes[u.Scheme] = true
	}
	switch {
	case len(schemes) > 1:
		p.add("ha.etcd.endpoints", nil, "mixes http and https: every member is reached the same way")
	case schemes["http"] && e.TLS.Enabled():
		p.add("ha.etcd.endpoints", nil, "ha.etcd.tls is set: want https:// endpoints")
	}
}

// httpURLProblem says why u is not an http or https URL of a host and a
// port with no path, or "".
func httpURLProblem(u string) string {
	const want = "want a URL such as https://etcd1.example:2379 (http or https, a host and a port)"
	v, err := url.Parse(u)
	if err != nil || v.Scheme != "http" && v.Scheme != "https" || v.Hostname() == "" || v.Port() == "" || strings.Trim(v.Path, "/") != "" || v.User != nil || v.RawQuery != "" {
		return want
	}
	if why := addressProblem(v.Hostname()); why != "" {
		return why
	}
	return ""
}

// validateEtcdTLS checks that the TLS files exist and parse, and resolves
// them against the configuration's directory.
func (c *Config) validateEtcdTLS(p *problems) {
	t := &c.HA.Etcd.TLS
	t.CA, t.Cert, t.Key = c.path(t.CA), c.path(t.Cert), c.path(t.Key)
	if t.CA != "" {
		if b, err := os.ReadFile(t.CA); err != nil {
			p.add("ha.etcd.tls.ca", t.CA, "%v", unwrapPathError(err))
		} else if !x509.NewCertPool().AppendCertsFromPEM(b) {
			p.add("ha.etcd.tls.ca", t.CA, "no PEM certificate in the file")
		}
	}
	switch {
	case (t.Cert == "") != (t.Key == ""):
		p.add("ha.etcd.tls", nil, "cert and key go together: set both or neither")
	case t.Cert != "":
		certErr, keyErr := readable(t.Cert), readable(t.Key)
		if certErr != nil {
			p.add("ha.etcd.tls.cert", t.Cert, "%v", certErr)
		}
		if keyErr != nil {
			p.add("ha.etcd.tls.key", t.Key, "%v", keyErr)
		}
		if certErr == nil && keyErr == nil {
			if _, err := tls.LoadX509KeyPair(t.Cert, t.Key); err != nil {
				p.add("ha.etcd.tls", nil, "cert and key do not load as a pair: %v", err)
			}
		}
	}
}

// advertised is the API's URL from http.listen when it binds one address,
// or "".
func (c *Config) advertised() string {
	host, port, err := net.SplitHostPort(c.HTTP.Listen)
	if err != nil || host == "" {
		return ""
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		return ""
	}
	scheme := "http"
	if c.HTTP.TLS() {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}
