package web

import (
	"net"
	"strconv"
	"strings"
)

// hostCheck decides which Host header values the handler answers, so that
// a web page whose own name was made to resolve to the daemon (DNS
// rebinding) is refused: its requests carry that name, never one the
// daemon knows. An IP address in the Host header cannot be rebound.
type hostCheck struct {
	names    map[string]bool // allowed names and addresses, lower case, no trailing dot
	loopback bool            // localhost and any loopback address
	anyIP    bool            // any IP address: the server listens on every interface
}

// newHostCheck allows, for a server bound to listen (host:port): the bound
// address; localhost and the loopback addresses when it is a loopback or
// every-interface bind (or listen is empty); any IP address for an
// every-interface bind; and the names in allowed.
func newHostCheck(listen string, allowed []string) hostCheck {
	h := hostCheck{names: make(map[string]bool)}
	for _, a := range allowed {
		h.names[canonicalHost(a)] = true
	}
	host, _, err := net.SplitHostPort(listen)
	if listen == "" || err != nil {
		h.loopback = true
		return h
	}
	ip := net.ParseIP(host)
	switch {
	case host == "" || ip != nil && ip.IsUnspecified():
		h.loopback, h.anyIP = true, true
	case strings.EqualFold(host, "localhost"):
		h.loopback = true
	case ip != nil:
		h.loopback = ip.IsLoopback()
		h.names[ip.String()] = true
	default: // a name to bind: the configuration refuses it; allow only that name
		h.names[canonicalHost(host)] = true
	}
	return h
}

// allows reports whether a request with this Host header is answered.
func (h hostCheck) allows(hostHeader string) bool {
	host := hostHeader
	if hp, port, err := net.SplitHostPort(hostHeader); err == nil {
		if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			return false
		}
		host = hp
	}
	host = canonicalHost(host)
	if host == "" {
		return false
	}
	if ip := net.ParseIP(host); ip != nil {
		return h.anyIP || h.loopback && ip.IsLoopback() || h.names[ip.String()]
	}
	return h.loopback && host == "localhost" || h.names[host]
}

// canonicalHost is a Host value or a configured name as compared: lower
// case, without brackets around an IPv6 address or a trailing dot, and an
// IP address in its usual form.
func canonicalHost(s string) string {
	s = strings.ToLower(strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"), "."))
	if ip := net.ParseIP(s); ip != nil {
		return ip.String()
	}
	return s
}
