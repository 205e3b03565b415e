package wsman

import (
	"encoding/xml"
	"net/http"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// enumerated is an EnumerateResponse or PullResponse as a client reads it.
type enumerated struct {
	Body struct {
		Enumerate *enumPage `xml:"http://schemas.xmlsoap.org/ws/2004/09/enumeration EnumerateResponse"`
		Pull      *enumPage `xml:"http://schemas.xmlsoap.org/ws/2004/09/enumeration PullResponse"`
	} `xml:"http://www.w3.org/2003/05/soap-envelope Body"`
}

type enumPage struct {
	Context string `xml:"http://schemas.xmlsoap.org/ws/2004/09/enumeration EnumerationContext"`
	// Optimized enumerations carry w:Items and w:EndOfSequence, pulls n:Items and n:EndOfSequence.
	W *struct {
		Shells []enumShell `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Shell"`
	} `xml:"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd Items"`
	N *struct {
		Shells []enumShell `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Shell"`
	} `xml:"http://schemas.xmlsoap.org/ws/2004/09/enumeration Items"`
	WItems, NItems []enumShell
	WEnd           *struct{} `xml:"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd EndOfSequence"`
	NEnd           *struct{} `xml:"http://schemas.xmlsoap.org/ws/2004/09/enumeration EndOfSequence"`
}

type enumShell struct {
	ID         string `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell ShellId"`
	Name       string `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Name"`
	Owner      string `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Owner"`
	ProcessID  int    `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell ProcessId"`
	Inactivity string `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell ShellInactivity"`
}

func (c *rawClient) enumerate(optimize bool, maxElements string) *enumPage {
	c.t.Helper()
	body := `<n:Enumerate>`
	if optimize {
		body += `<w:OptimizeEnumeration/><w:MaxElements>` + maxElements + `</w:MaxElements>`
	}
	body += `</n:Enumerate>`
	return c.page(hdr{Action: actionEnumerate, Resource: nsShell}, body)
}

func (c *rawClient) pull(ctx, maxElements string) *enumPage {
	c.t.Helper()
	return c.page(hdr{Action: actionPull, Resource: nsShell}, `<n:Pull><n:EnumerationContext>`+ctx+`</n:EnumerationContext><n:MaxElements>`+maxElements+`</n:MaxElements></n:Pull>`)
}

func (c *rawClient) page(h hdr, body string) *enumPage {
	c.t.Helper()
	r := c.post(c.t.Context(), h, body)
	if r.status != http.StatusOK {
		c.t.Fatalf("%s: status %d\n%s", h.Action, r.status, r.raw)
	}
	var e enumerated
	if err := xml.Unmarshal(r.raw, &e); err != nil {
		c.t.Fatal(err)
	}
	p := e.Body.Enumerate
	if p == nil {
		p = e.Body.Pull
	}
	if p == nil {
		c.t.Fatalf("no enumeration in\n%s", r.raw)
	}
	if p.W != nil {
		p.WItems = p.W.Shells
	}
	if p.N != nil {
		p.NItems = p.N.Shells
	}
	return p
}

func (c *rawClient) createNamed(name string) string {
	c.t.Helper()
	env := c.ok(hdr{Action: actionCreate}, `<rsp:Shell><rsp:Name>`+name+`</rsp:Name><rsp:InputStreams>stdin</rsp:InputStreams><rsp:OutputStreams>stdout stderr</rsp:OutputStreams></rsp:Shell>`)
	return env.Body.Shell.ShellID
}

func ids(shells []enumShell) []string {
	out := make([]string, 0, len(shells))
	for _, s := range shells {
		out = append(out, s.ID)
	}
	slices.Sort(out)
	return out
}

// A user enumerates and deletes their own shells only; an administrator
// sees and deletes everyone's, as the WinRM service's shell manager lets them.
func TestEnumerateShells(t *testing.T) {
	s, ts := newTestServer(t, Config{
		Runner:         exitRunner("", "", 0),
		Auth:           Auth{Schemes: []Scheme{Basic}, AllowUnencrypted: true, Accounts: everyUser{}},
		Administrators: []string{"Admin"},
	})
	alice, bob, admin := newRawClient(t, ts), newRawClient(t, ts), newRawClient(t, ts)
	alice.user, bob.user, admin.user = "alice", "bob", "admin"
	a1, a2 := alice.createNamed("hvbalancer:node1:41:aa"), alice.createNamed("other")
	b1 := bob.createNamed("hvbalancer:node1:41:aa")

	page := alice.enumerate(true, "32000")
	if page.WEnd == nil || page.Context == "" {
		t.Errorf("optimized enumeration of everything: end %v, context %q", page.WEnd, page.Context)
	}
	if diff := cmp.Diff(ids([]enumShell{{ID: a1}, {ID: a2}}), ids(page.WItems)); diff != "" {
		t.Errorf("alice sees (-want +got):\n%s", diff)
	}
	for _, sh := range page.WItems {
		if sh.Owner != "alice" || sh.ProcessID == 0 || sh.Inactivity == "" {
			t.Errorf("shell %+v: want owner alice, a process id and an inactivity", sh)
		}
		if sh.ID == a1 && sh.Name != "hvbalancer:node1:41:aa" {
			t.Errorf("name %q, want the one given at Create", sh.Name)
		}
	}

	// Without optimization, everything comes by Pull, one page at a time.
	first := admin.enumerate(false, "")
	if len(first.WItems) != 0 || first.Context == "" {
		t.Fatalf("plain Enumerate: %+v", first)
	}
	var got []enumShell
	p := admin.pull(first.Context, "2")
	got = append(got, p.NItems...)
	if p.NEnd != nil {
		t.Fatalf("first pull of 2 of 3 ended the sequence")
	}
	p = admin.pull(p.Context, "2")
	got = append(got, p.NItems...)
	if p.NEnd == nil {
		t.Fatalf("last pull did not end the sequence")
	}
	if diff := cmp.Diff(ids([]enumShell{{ID: a1}, {ID: a2}, {ID: b1}}), ids(got)); diff != "" {
		t.Errorf("admin sees (-want +got):\n%s", diff)
	}
	if r := admin.post(t.Context(), hdr{Action: actionPull, Resource: nsShell}, `<n:Pull><n:EnumerationContext>`+p.Context+`</n:EnumerationContext></n:Pull>`); faultOf(t, r).WSManFault.Code != "2150858779" {
		t.Errorf("pull of a finished enumeration: %s", r.raw)
	}

	// Bob may not delete Alice's shell; she and the administrator may, by
	// either resource URI.
	if r := bob.post(t.Context(), hdr{Action: actionDelete, ShellID: a1, Resource: nsShell}, ""); faultOf(t, r).Subcode != "w:AccessDenied" {
		t.Errorf("bob deleting alice's shell: %d %s", r.status, r.raw)
	}
	alice.ok(hdr{Action: actionDelete, ShellID: a1, Resource: nsShell}, "")
	admin.ok(hdr{Action: actionDelete, ShellID: b1}, "")
	if left := s.Shells(); len(left) != 1 || left[0].ID != a2 || left[0].Owner != "alice" {
		t.Errorf("shells left: %+v, want alice's %s", left, a2)
	}
}
