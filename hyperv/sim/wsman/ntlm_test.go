package wsman

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hvbalancer/hvbalancer/hyperv/internal/wsmv"
)

func basicToken(user, password string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
}

// defaultHost is a Windows Server host as it ships, with one account.
func defaultHost(t *testing.T, run Runner) (*Server, *httptest.Server, *recordingAccounts) {
	t.Helper()
	accounts := &recordingAccounts{user: testUser, password: testPassword}
	s, ts := newAuthServer(t, Auth{Accounts: accounts}, false, run)
	return s, ts, accounts
}

// shellID reads the ShellId of a Create response.
func shellIDOf(t *testing.T, envelope string) string {
	t.Helper()
	var r struct {
		ShellID string `xml:"Body>Shell>ShellId"`
	}
	if err := xml.Unmarshal([]byte(envelope), &r); err != nil || r.ShellID == "" {
		t.Fatalf("no shell id in %q: %v", envelope, err)
	}
	return r.ShellID
}

func TestNTLMSealedShell(t *testing.T) {
	var ran []Command
	run := RunnerFunc(func(_ context.Context, cmd Command, stdout, _ io.Writer) int {
		ran = append(ran, cmd)
		io.WriteString(stdout, "HV01\r\n")
		return 0
	})
	s, ts, accounts := defaultHost(t, run)
	for _, spnego := range []bool{false, true} {
		c := dialRaw(t, ts)
		resp, body := c.login(loginOpts{user: testUser, domain: "LAB", password: testPassword, spnego: spnego})
		if resp.StatusCode != http.StatusOK || len(body) != 0 {
			t.Fatalf("spnego %v: login answered %d %q", spnego, resp.StatusCode, body)
		}
		if final := serverToken(t, resp, "Negotiate"); spnego {
			nt, err := parseNegTokenResp(final)
			if err != nil || nt.NegState != acceptCompleted {
				t.Errorf("final spnego token %+v, %v", nt, err)
			}
		} else if final != nil {
			t.Errorf("raw ntlm login answered with a token %x", final)
		}
		status, out := c.sealed(soapEnvelope(hdr{Action: actionCreate}, createBody))
		if status != http.StatusOK {
			t.Fatalf("Create: %d %q", status, out)
		}
		shell := shellIDOf(t, out)
		status, out = c.sealed(soapEnvelope(hdr{Action: actionCommand, ShellID: shell}, commandBody("hostname")))
		if status != http.StatusOK || !strings.Contains(out, "CommandId") {
			t.Fatalf("Command: %d %q", status, out)
		}
		var cmd struct {
			ID string `xml:"Body>CommandResponse>CommandId"`
		}
		xml.Unmarshal([]byte(out), &cmd)
		status, out = c.sealed(soapEnvelope(hdr{Action: actionReceive, ShellID: shell}, receiveBodyFor(cmd.ID)))
		if status != http.StatusOK || !strings.Contains(out, base64.StdEncoding.EncodeToString([]byte("HV01\r\n"))) || !strings.Contains(out, "CommandState/Done") {
			t.Fatalf("Receive: %d %q", status, out)
		}
		// A fault travels sealed too.
		status, out = c.sealed(soapEnvelope(hdr{Action: actionReceive, ShellID: shell}, receiveBodyFor("87E77BEB-6761-4C48-9D70-A00266B8459A")))
		if status != http.StatusInternalServerError || !strings.Contains(out, "2150858843") {
			t.Fatalf("Receive of an unknown command: %d %q", status, out)
		}
		if status, out = c.sealed(soapEnvelope(hdr{Action: actionDelete, ShellID: shell}, "")); status != http.StatusOK {
			t.Fatalf("Delete: %d %q", status, out)
		}
	}
	if n := s.ShellCount(); n != 0 {
		t.Errorf("%d shells left", n)
	}
	if len(ran) != 2 || ran[0].User != `LAB\`+testUser || ran[0].Line != "hostname" {
		t.Errorf("ran %+v", ran)
	}
	if diff := cmp.Diff([]string{testUser + "/LAB/good", testUser + "/LAB/good"}, accounts.recorded()); diff != "" {
		t.Errorf("logons (-want +got):\n%s", diff)
	}
}

func TestNTLMRefusals(t *testing.T) {
	create := []byte(soapEnvelope(hdr{Action: actionCreate}, createBody))
	t.Run("wrong password", func(t *testing.T) {
		_, ts, accounts := defaultHost(t, exitRunner("", "", 0))
		resp, body := dialRaw(t, ts).login(loginOpts{user: testUser, domain: "LAB", password: "wrong"})
		if resp.StatusCode != http.StatusUnauthorized || len(body) != 0 {
			t.Errorf("status %d %q", resp.StatusCode, body)
		}
		if diff := cmp.Diff([]string{"Negotiate", "Kerberos"}, resp.Header.Values("WWW-Authenticate")); diff != "" {
			t.Errorf("WWW-Authenticate (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{testUser + "/LAB/bad"}, accounts.recorded()); diff != "" {
			t.Errorf("logons (-want +got):\n%s", diff)
		}
	})
	t.Run("unknown user", func(t *testing.T) {
		_, ts, accounts := defaultHost(t, exitRunner("", "", 0))
		if resp, _ := dialRaw(t, ts).login(loginOpts{user: "guest", password: testPassword}); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("status %d", resp.StatusCode)
		}
		if got := accounts.recorded(); len(got) != 0 {
			t.Errorf("logons %q", got)
		}
	})
	t.Run("unencrypted message after login", func(t *testing.T) {
		_, ts, _ := defaultHost(t, exitRunner("", "", 0))
		c := dialRaw(t, ts)
		c.login(loginOpts{user: testUser, password: testPassword})
		resp, body := c.post(create, soapType, "")
		if resp.StatusCode != http.StatusInternalServerError || len(body) != 0 {
			t.Errorf("status %d, body %q; want 500 and no body", resp.StatusCode, body)
		}
	})
	t.Run("unencrypted message on the authenticate leg", func(t *testing.T) {
		s, ts, _ := defaultHost(t, exitRunner("", "", 0))
		c := dialRaw(t, ts)
		resp, _ := c.login(loginOpts{user: testUser, password: testPassword, body: create})
		if resp.StatusCode != http.StatusUnauthorized || s.ShellCount() != 0 {
			t.Errorf("status %d, %d shells", resp.StatusCode, s.ShellCount())
		}
		if status, _ := c.sealed(string(create)); status != http.StatusUnauthorized {
			t.Errorf("the refused login stood: status %d", status)
		}
	})
	t.Run("a login stays on its connection", func(t *testing.T) {
		_, ts, _ := defaultHost(t, exitRunner("", "", 0))
		first := dialRaw(t, ts)
		first.login(loginOpts{user: testUser, password: testPassword})
		body, _ := wsmv.Encrypt(ntlmSealer{first.sess}, wsmv.ProtocolSPNEGO, create)
		resp, _ := dialRaw(t, ts).post(body, wsmv.ContentType(wsmv.ProtocolSPNEGO), "")
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("another connection: status %d, want 401", resp.StatusCode)
		}
		if resp, _ = first.post(body, wsmv.ContentType(wsmv.ProtocolSPNEGO), ""); resp.StatusCode != http.StatusOK {
			t.Errorf("its own connection: status %d", resp.StatusCode)
		}
	})
	t.Run("spnego with a forged mechListMIC", func(t *testing.T) {
		_, ts, _ := defaultHost(t, exitRunner("", "", 0))
		resp, _ := dialRaw(t, ts).login(loginOpts{user: testUser, password: testPassword, spnego: true, mechListMIC: make([]byte, 16)})
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("status %d, want 401", resp.StatusCode)
		}
	})
	t.Run("authenticate without negotiate", func(t *testing.T) {
		_, ts, _ := defaultHost(t, exitRunner("", "", 0))
		c := dialRaw(t, ts)
		c.login(loginOpts{user: testUser, password: testPassword})
		other := dialRaw(t, ts)
		// Replaying a whole login's last leg on a connection that never
		// got a CHALLENGE.
		resp, _ := other.post(nil, soapType, "Negotiate "+base64.StdEncoding.EncodeToString(append([]byte("NTLMSSP\x00\x03"), make([]byte, 80)...)))
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("status %d", resp.StatusCode)
		}
	})
}

func TestSealedMessageChecks(t *testing.T) {
	_, ts, _ := defaultHost(t, exitRunner("", "", 0))
	create := soapEnvelope(hdr{Action: actionCreate}, createBody)
	t.Run("too large", func(t *testing.T) {
		c := dialRaw(t, ts)
		c.login(loginOpts{user: testUser, password: testPassword})
		big := strings.Replace(create, "<env:Body>", "<env:Body>"+strings.Repeat(" ", DefaultMaxEnvelopeSize), 1)
		body, _ := wsmv.Encrypt(ntlmSealer{c.sess}, wsmv.ProtocolSPNEGO, []byte(big))
		if resp, _ := c.post(body, wsmv.ContentType(wsmv.ProtocolSPNEGO), ""); resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("status %d, want 413", resp.StatusCode)
		}
	})
	t.Run("unknown protocol", func(t *testing.T) {
		c := dialRaw(t, ts)
		c.login(loginOpts{user: testUser, password: testPassword})
		body, _ := wsmv.Encrypt(ntlmSealer{c.sess}, "application/HTTP-CredSSP-session-encrypted", []byte(create))
		if resp, _ := c.post(body, wsmv.ContentType("application/HTTP-CredSSP-session-encrypted"), ""); resp.StatusCode != http.StatusUnsupportedMediaType {
			t.Errorf("status %d, want 415", resp.StatusCode)
		}
	})
	t.Run("tampered", func(t *testing.T) {
		c := dialRaw(t, ts)
		c.login(loginOpts{user: testUser, password: testPassword})
		body, _ := wsmv.Encrypt(ntlmSealer{c.sess}, wsmv.ProtocolSPNEGO, []byte(create))
		body[len(body)-40] ^= 1
		if resp, _ := c.post(body, wsmv.ContentType(wsmv.ProtocolSPNEGO), ""); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("status %d, want 400", resp.StatusCode)
		}
		// The context is out of step: the connection must log in again.
		if status, _ := c.sealed(create); status != http.StatusUnauthorized {
			t.Errorf("after a bad message: status %d, want 401", status)
		}
	})
	t.Run("sealed with a plain text length", func(t *testing.T) {
		c := dialRaw(t, ts)
		c.login(loginOpts{user: testUser, password: testPassword})
		body, _ := wsmv.Encrypt(ntlmSealer{c.sess}, wsmv.ProtocolSPNEGO, []byte(create))
		body = bytes.Replace(body, []byte("Length="), []byte("Length=1"), 1)
		if resp, _ := c.post(body, wsmv.ContentType(wsmv.ProtocolSPNEGO), ""); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("status %d, want 400", resp.StatusCode)
		}
	})
}

func TestNTLMOverHTTPS(t *testing.T) {
	create := []byte(soapEnvelope(hdr{Action: actionCreate}, createBody))
	_, ts := newAuthServer(t, Auth{Accounts: SingleAccount(testUser, testPassword)}, true, exitRunner("", "", 0))
	t.Run("plain message with bindings", func(t *testing.T) {
		c := dialRaw(t, ts)
		if resp, _ := c.login(loginOpts{user: testUser, password: testPassword, bindings: c.cert}); resp.StatusCode != http.StatusOK {
			t.Fatalf("login: %d", resp.StatusCode)
		}
		if resp, body := c.post(create, soapType, ""); resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte("ShellId")) {
			t.Errorf("status %d %q", resp.StatusCode, body)
		}
	})
	t.Run("message on the authenticate leg, no bindings", func(t *testing.T) {
		c := dialRaw(t, ts)
		if resp, body := c.login(loginOpts{user: testUser, password: testPassword, body: create}); resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte("ShellId")) {
			t.Errorf("status %d %q", resp.StatusCode, body)
		}
	})
	t.Run("bindings of another certificate", func(t *testing.T) {
		other, err := NewCA()
		if err != nil {
			t.Fatal(err)
		}
		cert, _ := other.Issue("127.0.0.1")
		c := dialRaw(t, ts)
		if resp, _ := c.login(loginOpts{user: testUser, password: testPassword, bindings: cert.Leaf}); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("status %d, want 401", resp.StatusCode)
		}
	})
}
