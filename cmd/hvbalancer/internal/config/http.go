package config

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// maxTokenBytes bounds the token file, as the daemon reads it.
const maxTokenBytes = 4 << 10

// Loopback reports whether Listen binds only the loopback interface
// (127.0.0.0/8, ::1 or localhost): only this machine can connect.
func (h HTTP) Loopback() bool {
	host, _, err := net.SplitHostPort(h.Listen)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// TLS reports whether the daemon serves HTTPS.
func (h HTTP) TLS() bool { return h.TLSCertFile != "" && h.TLSKeyFile != "" }

// validateHTTP checks the listener: the address, the token file, TLS, the
// Host allow-list, and that nothing is served beyond loopback without a
// token and TLS unless allow_insecure says so.
func (c *Config) validateHTTP(p *problems) {
	h := c.HTTP
	listenOK := false
	if host, port, err := net.SplitHostPort(h.Listen); err != nil {
		p.add("http.listen", h.Listen, "want host:port")
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		p.add("http.listen", h.Listen, "bad port")
	} else if host != "" && !strings.EqualFold(host, "localhost") && net.ParseIP(host) == nil {
		p.add("http.listen", h.Listen, "want an IP address (or localhost) to bind; put the names clients use in http.allowed_hosts")
	} else {
		listenOK = true
	}
	if h.TokenFile != "" {
		if why := tokenProblem(c.path(h.TokenFile)); why != "" {
			p.add("http.token_file", h.TokenFile, "%s", why)
		}
	}
	switch {
	case (h.TLSCertFile == "") != (h.TLSKeyFile == ""):
		p.add("http", nil, "tls_cert_file and tls_key_file go together: set both or neither")
	case h.TLS():
		certErr, keyErr := readable(c.path(h.TLSCertFile)), readable(c.path(h.TLSKeyFile))
		if certErr != nil {
			p.add("http.tls_cert_file", h.TLSCertFile, "%v", certErr)
		}
		if keyErr != nil {
			p.add("http.tls_key_file", h.TLSKeyFile, "%v", keyErr)
		}
		if certErr == nil && keyErr == nil {
			if _, err := tls.LoadX509KeyPair(c.path(h.TLSCertFile), c.path(h.TLSKeyFile)); err != nil {
				p.add("http.tls_cert_file", h.TLSCertFile, "does not load with http.tls_key_file: %v", err)
			}
		}
	}
	for i, a := range h.AllowedHosts {
		if a == "" || addressProblem(a) != "" {
			p.add(fmt.Sprintf("http.allowed_hosts[%d]", i), shown(a), "want a DNS name or an IP address, without a port or wildcard")
		}
	}
	if !listenOK || h.Loopback() || h.AllowInsecure {
		return
	}
	var missing []string
	if h.TokenFile == "" {
		missing = append(missing, "a token (http.token_file)")
	}
	if !h.TLS() {
		missing = append(missing, "TLS (http.tls_cert_file and http.tls_key_file)")
	}
	if len(missing) > 0 {
		p.add("http.listen", h.Listen, "binds beyond loopback without %s: the network would see the fleet's inventory and the API in the clear; set them, or http.allow_insecure: true to serve anyway", strings.Join(missing, " and "))
	}
}

// tokenProblem says why the token file at path holds no usable token, or
// "" if it holds one.
func tokenProblem(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return unwrapPathError(err).Error()
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxTokenBytes+1))
	switch {
	case err != nil:
		return unwrapPathError(err).Error()
	case len(b) > maxTokenBytes:
		return fmt.Sprintf("longer than %d bytes", maxTokenBytes)
	case strings.TrimSpace(string(b)) == "":
		return "holds no token (empty or white space only): approve, pause, resume and reload would refuse every call"
	}
	return ""
}

// certWarnDays is how long before its end a certificate is warned about.
const certWarnDays = 30

// httpWarnings are the listener's settings that work but leave something
// open: a bind beyond loopback that allow_insecure lets through, and a
// certificate that ends within certWarnDays of now (or has ended).
func (c *Config) httpWarnings(now time.Time) []*FieldError {
	var out []*FieldError
	h := c.HTTP
	if h.AllowInsecure && !h.Loopback() && (!h.TLS() || h.TokenFile == "") {
		var open []string
		if !h.TLS() {
			open = append(open, "without TLS: the inventory and the token cross the network in the clear")
		}
		if h.TokenFile == "" {
			open = append(open, "without a token: approve, pause, resume and reload are refused")
		}
		out = append(out, &FieldError{Path: "http.allow_insecure", Value: true, Err: fmt.Errorf("%s serves beyond loopback %s", h.Listen, strings.Join(open, "; "))})
	}
	if h.TLS() {
		if pair, err := tls.LoadX509KeyPair(c.path(h.TLSCertFile), c.path(h.TLSKeyFile)); err == nil && pair.Leaf != nil {
			if end := pair.Leaf.NotAfter; now.Add(certWarnDays * 24 * time.Hour).After(end) {
				verb := "ends"
				if now.After(end) {
					verb = "ended"
				}
				out = append(out, &FieldError{Path: "http.tls_cert_file", Value: h.TLSCertFile, Err: fmt.Errorf("the certificate %s on %s: renew it (a renewed file is served without a restart)", verb, end.UTC().Format(time.DateOnly))})
			}
		}
	}
	return out
}
