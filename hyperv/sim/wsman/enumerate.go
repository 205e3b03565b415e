package wsman

// Listing shells: WS-Enumeration (Enumerate, then Pull) of the shell
// resource, as the WinRM service answers winrm enumerate windows/shell and
// Get-WSManInstance -Enumerate. A user sees only their own shells; an
// administrator sees every user's.

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// xEnumerate is a wsen:Enumerate body with the WS-Management extensions.
type xEnumerate struct {
	Optimize    *struct{} `xml:"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd OptimizeEnumeration"`
	MaxElements string    `xml:"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd MaxElements"`
}

// xPull is a wsen:Pull body.
type xPull struct {
	Context     string `xml:"http://schemas.xmlsoap.org/ws/2004/09/enumeration EnumerationContext"`
	MaxElements string `xml:"http://schemas.xmlsoap.org/ws/2004/09/enumeration MaxElements"`
}

// enumeration is what an open enumeration context has left to give.
type enumeration struct {
	user  string
	items []string // rendered rsp:Shell elements
}

// maxEnumerations bounds the enumeration contexts kept open; a client that
// never pulls to the end leaves its context behind.
const maxEnumerations = 64

// ShellInfo describes one open shell, as an enumeration reports it.
type ShellInfo struct {
	ID         string        `json:"id"`
	Name       string        `json:"name,omitempty"` // the name the client gave at Create
	Owner      string        `json:"owner"`
	ClientIP   string        `json:"client_ip"`
	ProcessID  int           `json:"process_id"`
	Inactivity time.Duration `json:"inactivity_ns"` // since the last request ended
}

// Shells returns every open shell, oldest first.
func (s *Server) Shells() []ShellInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	list := make([]*shell, 0, len(s.shells))
	for _, sh := range s.shells {
		list = append(list, sh)
	}
	slices.SortFunc(list, func(a, b *shell) int { return a.created.Compare(b.created) })
	out := make([]ShellInfo, 0, len(list))
	for _, sh := range list {
		out = append(out, ShellInfo{ID: sh.id, Name: sh.name, Owner: sh.owner, ClientIP: sh.clientIP, ProcessID: sh.processID, Inactivity: sh.inactivity(now)})
	}
	return out
}

// inactivity is how long the shell has had no request; s.mu must be held.
func (sh *shell) inactivity(now time.Time) time.Duration {
	if sh.busy > 0 {
		return 0
	}
	return max(now.Sub(sh.lastActivity), 0)
}

// isAdmin reports whether user sees and manages every user's shells.
func (s *Server) isAdmin(user string) bool {
	return slices.ContainsFunc(s.cfg.Administrators, func(a string) bool { return strings.EqualFold(a, user) })
}

// mayUse reports whether user may address sh: its owner or an administrator.
func (s *Server) mayUse(user string, sh *shell) bool {
	return strings.EqualFold(sh.owner, user) || s.isAdmin(user)
}

// enumerate starts an enumeration of the shells user may see. With
// w:OptimizeEnumeration the response carries up to w:MaxElements of them
// and, when that is all, w:EndOfSequence; the rest is pulled.
func (s *Server) enumerate(x *exchange) (string, *fault) {
	b := x.req.body.Enumerate
	if b == nil {
		return "", faultSchema()
	}
	limit := 0
	if b.Optimize != nil {
		limit = 1
		if b.MaxElements != "" {
			n, ok := parseSize(b.MaxElements)
			if !ok || n == 0 {
				return "", faultInvalidParameter()
			}
			limit = n
		}
	}
	now := time.Now()
	s.mu.Lock()
	var list []*shell
	for _, sh := range s.shells {
		if s.mayUse(x.user, sh) && (x.req.resourceURI == nsShell || sh.resource() == x.req.resourceURI) {
			list = append(list, sh)
		}
	}
	slices.SortFunc(list, func(a, b *shell) int { return a.created.Compare(b.created) })
	items := make([]string, 0, len(list))
	for _, sh := range list {
		items = append(items, s.shellXML(sh, now))
	}
	ctx := newMessageID()
	first, rest := items[:min(limit, len(items))], items[min(limit, len(items)):]
	if limit == 0 || len(rest) > 0 {
		s.keepEnumeration(ctx, &enumeration{user: x.user, items: rest})
	}
	s.mu.Unlock()

	var out strings.Builder
	out.WriteString("<n:EnumerateResponse><n:EnumerationContext>" + ctx + "</n:EnumerationContext>")
	if limit > 0 {
		out.WriteString("<w:Items>" + strings.Join(first, "") + "</w:Items>")
		if len(rest) == 0 {
			out.WriteString("<w:EndOfSequence/>")
		}
	}
	out.WriteString("</n:EnumerateResponse>")
	return out.String(), nil
}

// keepEnumeration stores an open context, forgetting another when too many
// are open; s.mu must be held.
func (s *Server) keepEnumeration(ctx string, e *enumeration) {
	for k := range s.enums {
		if len(s.enums) < maxEnumerations {
			break
		}
		delete(s.enums, k)
	}
	s.enums[ctx] = e
}

// pull returns the next n:MaxElements (default 1) items of an enumeration;
// the last pull ends it.
func (s *Server) pull(x *exchange) (string, *fault) {
	b := x.req.body.Pull
	if b == nil {
		return "", faultSchema()
	}
	limit := 1
	if b.MaxElements != "" {
		n, ok := parseSize(b.MaxElements)
		if !ok || n == 0 {
			return "", faultInvalidParameter()
		}
		limit = n
	}
	ctx := strings.TrimSpace(b.Context)
	s.mu.Lock()
	e := s.enums[ctx]
	if e == nil || !strings.EqualFold(e.user, x.user) {
		s.mu.Unlock()
		return "", faultInvalidEnumerationContext()
	}
	n := min(limit, len(e.items))
	items := e.items[:n]
	e.items = e.items[n:]
	done := len(e.items) == 0
	if done {
		delete(s.enums, ctx)
	}
	s.mu.Unlock()

	var out strings.Builder
	out.WriteString("<n:PullResponse>")
	if !done {
		out.WriteString("<n:EnumerationContext>" + escape(ctx) + "</n:EnumerationContext>")
	}
	out.WriteString("<n:Items>" + strings.Join(items, "") + "</n:Items>")
	if done {
		out.WriteString("<n:EndOfSequence/>")
	}
	out.WriteString("</n:PullResponse>")
	return out.String(), nil
}

// resource is the resource URI the shell was created with.
func (sh *shell) resource() string { return resourceCmd }

// shellXML renders a shell's rsp:Shell element, as Create answers and an
// enumeration lists it; s.mu must be held or sh not yet shared.
func (s *Server) shellXML(sh *shell, now time.Time) string {
	var b strings.Builder
	b.WriteString(`<rsp:Shell xmlns:rsp="` + nsShell + `"><rsp:ShellId>` + escape(sh.id) + `</rsp:ShellId>`)
	if sh.name != "" {
		b.WriteString(`<rsp:Name>` + escape(sh.name) + `</rsp:Name>`)
	}
	b.WriteString(`<rsp:ResourceUri>` + sh.resource() + `</rsp:ResourceUri><rsp:Owner>` + escape(sh.owner) +
		`</rsp:Owner><rsp:ClientIP>` + escape(sh.clientIP) + `</rsp:ClientIP><rsp:ProcessId>` + strconv.Itoa(sh.processID) +
		`</rsp:ProcessId><rsp:IdleTimeOut>` + formatDuration(sh.idle) + `</rsp:IdleTimeOut><rsp:InputStreams>` + escape(sh.inputStreams) +
		`</rsp:InputStreams><rsp:OutputStreams>` + escape(strings.Join(sh.outputStreams, " ")) +
		`</rsp:OutputStreams><rsp:State>Connected</rsp:State><rsp:ShellRunTime>` + dayTime(now.Sub(sh.created)) +
		`</rsp:ShellRunTime><rsp:ShellInactivity>` + dayTime(sh.inactivity(now)) + `</rsp:ShellInactivity></rsp:Shell>`)
	return b.String()
}

// dayTime renders d as Windows reports shell run and idle times, such as
// P0DT0H5M12S.
func dayTime(d time.Duration) string {
	d = max(d, 0).Truncate(time.Second)
	days := d / day
	d -= days * day
	h := d / time.Hour
	d -= h * time.Hour
	m := d / time.Minute
	d -= m * time.Minute
	return fmt.Sprintf("P%dDT%dH%dM%dS", days, h, m, d/time.Second)
}
