package ha

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"
)

// DefaultSessionTTL is the lease a leader holds when the configuration
// names none: a leader that stops renewing it is replaced this long after
// its last renewal.
const DefaultSessionTTL = 15 * time.Second

// DefaultDialTimeout bounds the first connection to etcd.
const DefaultDialTimeout = 5 * time.Second

// Identity says who a daemon is to the others: its name and the address
// of its API, where a standby forwards the mutations it is asked for.
type Identity struct {
	Name    string `json:"name"`
	Address string `json:"address"`
}

// String is "name (address)".
func (i Identity) String() string {
	if i.Name == "" && i.Address == "" {
		return "nobody"
	}
	return fmt.Sprintf("%s (%s)", i.Name, i.Address)
}

// Config is what New needs.
type Config struct {
	// Endpoints are the etcd members' client URLs.
	Endpoints []string
	// TLS secures and authenticates the connection to etcd; nil: plain.
	TLS *tls.Config
	// DialTimeout bounds the first connection (default DefaultDialTimeout).
	DialTimeout time.Duration
	// Prefix is the key prefix every daemon of one fleet shares; the
	// election is under Prefix + "/leader".
	Prefix string
	// SessionTTL is the lease of this daemon's session, whole seconds of
	// at least a second (default DefaultSessionTTL).
	SessionTTL time.Duration
	// Self is this daemon's identity, which the others see while it leads.
	Self Identity
}

// ErrConfig is wrapped by every problem New finds in a Config.
var ErrConfig = errors.New("ha configuration")

// withDefaults fills what the config leaves out and checks the rest.
func (c Config) withDefaults() (Config, error) {
	if c.DialTimeout <= 0 {
		c.DialTimeout = DefaultDialTimeout
	}
	if c.SessionTTL == 0 {
		c.SessionTTL = DefaultSessionTTL
	}
	var errs []error
	if len(c.Endpoints) == 0 {
		errs = append(errs, errors.New("no etcd endpoints"))
	}
	for _, e := range c.Endpoints {
		if _, err := url.Parse(e); err != nil {
			errs = append(errs, fmt.Errorf("endpoint %q: %w", e, err))
		}
	}
	if c.SessionTTL < time.Second || c.SessionTTL%time.Second != 0 {
		errs = append(errs, fmt.Errorf("session ttl %s: want whole seconds, at least 1s", c.SessionTTL))
	}
	if c.Prefix == "" || !strings.HasPrefix(c.Prefix, "/") || strings.HasSuffix(c.Prefix, "/") {
		errs = append(errs, fmt.Errorf("prefix %q: want a key prefix such as /hvbalancer", c.Prefix))
	}
	if c.Self.Name == "" {
		errs = append(errs, errors.New("no node name"))
	}
	if err := errors.Join(errs...); err != nil {
		return c, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return c, nil
}

// LoadTLS builds the TLS settings of an etcd client from PEM files: ca
// verifies the members' certificates (empty: the system's roots), cert and
// key authenticate this daemon (both or neither).
func LoadTLS(ca, cert, key string) (*tls.Config, error) {
	t := &tls.Config{MinVersion: tls.VersionTLS12}
	if ca != "" {
		b, err := os.ReadFile(ca)
		if err != nil {
			return nil, fmt.Errorf("etcd tls ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("etcd tls ca %s: no PEM certificate", ca)
		}
		t.RootCAs = pool
	}
	if (cert == "") != (key == "") {
		return nil, errors.New("etcd tls: cert and key go together")
	}
	if cert != "" {
		pair, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			return nil, fmt.Errorf("etcd tls cert: %w", err)
		}
		t.Certificates = []tls.Certificate{pair}
	}
	return t, nil
}
