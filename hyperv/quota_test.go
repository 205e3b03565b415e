package hyperv_test

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/hvbalancer/hvbalancer/hyperv"
)

// openShell creates a shell on the fixture's host as another WinRM client
// of the same account would, and leaves it open.
func openShell(t *testing.T, f *fixture, name string) {
	t.Helper()
	var named string
	if name != "" {
		named = `<rsp:Name>` + name + `</rsp:Name>`
	}
	post(t, f, `<a:Action>http://schemas.xmlsoap.org/ws/2004/09/transfer/Create</a:Action>`+
		`<w:ResourceURI>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd</w:ResourceURI>`,
		`<rsp:Shell>`+named+`<rsp:InputStreams>stdin</rsp:InputStreams><rsp:OutputStreams>stdout stderr</rsp:OutputStreams></rsp:Shell>`)
}

// post sends one request to the fixture's host as the fixture's user, with
// the given headers besides To, ReplyTo and MessageID, and requires a 200.
func post(t *testing.T, f *fixture, headers, body string) {
	t.Helper()
	env := `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"` +
		` xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell">` +
		`<s:Header><a:To>http://127.0.0.1/wsman</a:To><a:ReplyTo><a:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>` +
		`<a:MessageID>uuid:0A0B0C0D-0000-4000-8000-000000000001</a:MessageID>` + headers + `</s:Header><s:Body>` + body + `</s:Body></s:Envelope>`
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, "http://127.0.0.1:"+strconv.Itoa(f.config.Port)+"/wsman", strings.NewReader(env))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
	req.SetBasicAuth(wireUser, wirePassword)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("post: status %d", resp.StatusCode)
	}
}

// A host whose shell quota is used up answers Create with its quota
// fault: the call says so, with what an administrator can do, and is
// neither a refused login nor an unreachable host.
func TestShellQuotaIsItsOwnCause(t *testing.T) {
	f := newFixture(t, fixtureOpts{maxShells: 2})
	f.host.set(hyperv.ScriptGetHost, reply{stdout: outHost})
	openShell(t, f, "")
	openShell(t, f, "")
	c := f.client(t, nil)
	defer c.Close()
	_, err := c.Host(t.Context())
	if !errors.Is(err, hyperv.ErrShellQuota) {
		t.Fatalf("got %v, want ErrShellQuota", err)
	}
	if errors.Is(err, hyperv.ErrUnreachable) || errors.Is(err, hyperv.ErrUnauthorized) {
		t.Errorf("a quota refusal also matches unreachable or unauthorized: %v", err)
	}
	for _, want := range []string{"get host on 127.0.0.1", "maximum number of 2 concurrent shells", "MaxShellsPerUser", "idle timeout", "Remove-WSManInstance"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q: %v", want, err)
		}
	}
	noSecret(t, err)
}
