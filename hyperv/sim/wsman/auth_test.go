package wsman

import (
	"crypto/tls"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// newAuthServer starts a Server with auth (MachineName HV01, domain
// lab.example), over HTTPS with a certificate of its own when https is
// set, and ConnContext in place.
func newAuthServer(t *testing.T, auth Auth, https bool, run Runner) (*Server, *httptest.Server) {
	t.Helper()
	if auth.Domain == "" {
		auth.Domain = "lab.example"
	}
	var cert tls.Certificate
	if https {
		ca, err := NewCA()
		if err != nil {
			t.Fatal(err)
		}
		if cert, err = ca.Issue("127.0.0.1", "hv01.lab.example"); err != nil {
			t.Fatal(err)
		}
		auth.Certificate = cert.Leaf
	}
	s, err := NewServer(Config{Auth: auth, Runner: run, MachineName: testMachine})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(s)
	ts.Config.ConnContext = ConnContext
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	if https {
		ts.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
		ts.StartTLS()
	} else {
		ts.Start()
	}
	t.Cleanup(ts.Close)
	t.Cleanup(s.Close)
	return s, ts
}

func TestChallengesFollowTheSchemes(t *testing.T) {
	accounts := SingleAccount(testUser, testPassword)
	for _, tc := range []struct {
		name    string
		schemes []Scheme
		want    []string
	}{
		{"windows default", nil, []string{"Negotiate", "Kerberos"}},
		{"basic enabled", []Scheme{Basic, Kerberos, Negotiate}, []string{"Negotiate", "Kerberos", `Basic realm="WSMAN"`}},
		{"negotiate only", []Scheme{Negotiate}, []string{"Negotiate"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, ts := newAuthServer(t, Auth{Schemes: tc.schemes, Accounts: accounts}, false, exitRunner("", "", 0))
			resp, body := dialRaw(t, ts).post([]byte(soapEnvelope(hdr{Action: actionCreate}, createBody)), soapType, "")
			if resp.StatusCode != http.StatusUnauthorized || len(body) != 0 {
				t.Errorf("status %d, body %q", resp.StatusCode, body)
			}
			if diff := cmp.Diff(tc.want, resp.Header.Values("WWW-Authenticate")); diff != "" {
				t.Errorf("WWW-Authenticate (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBasic(t *testing.T) {
	basic := "Basic " + basicToken(testUser, testPassword)
	create := []byte(soapEnvelope(hdr{Action: actionCreate}, createBody))
	for _, tc := range []struct {
		name             string
		schemes          []Scheme
		allowUnencrypted bool
		https            bool
		authorization    string
		want             int
		logons           []string
	}{
		{name: "refused by default", authorization: basic, want: http.StatusUnauthorized},
		{name: "over http without AllowUnencrypted", schemes: []Scheme{Negotiate, Basic}, authorization: basic, want: http.StatusUnauthorized},
		{name: "over http with AllowUnencrypted", schemes: []Scheme{Negotiate, Basic}, allowUnencrypted: true, authorization: basic, want: http.StatusOK,
			logons: []string{testUser + "//good"}},
		{name: "over https", schemes: []Scheme{Basic}, https: true, authorization: basic, want: http.StatusOK, logons: []string{testUser + "//good"}},
		{name: "over https as DOMAIN\\user", schemes: []Scheme{Basic}, https: true, authorization: "Basic " + basicToken(`LAB\`+testUser, testPassword),
			want: http.StatusOK, logons: []string{testUser + "/LAB/good"}},
		{name: "wrong password over https", schemes: []Scheme{Basic}, https: true, authorization: "Basic " + basicToken(testUser, "wrong"),
			want: http.StatusUnauthorized, logons: []string{testUser + "//bad"}},
		{name: "unknown user over https", schemes: []Scheme{Basic}, https: true, authorization: "Basic " + basicToken("guest", testPassword),
			want: http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			accounts := &recordingAccounts{user: testUser, password: testPassword}
			_, ts := newAuthServer(t, Auth{Schemes: tc.schemes, AllowUnencrypted: tc.allowUnencrypted, Accounts: accounts}, tc.https, exitRunner("", "", 0))
			resp, _ := dialRaw(t, ts).post(create, soapType, tc.authorization)
			if resp.StatusCode != tc.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.want)
			}
			if diff := cmp.Diff(tc.logons, accounts.recorded()); diff != "" {
				t.Errorf("logons (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLockedAccountIsRefused(t *testing.T) {
	accounts := &recordingAccounts{user: testUser, password: testPassword, locked: true}
	_, ts := newAuthServer(t, Auth{Schemes: []Scheme{Negotiate, Basic}, Accounts: accounts}, true, exitRunner("", "", 0))
	c := dialRaw(t, ts)
	resp, _ := c.login(loginOpts{user: testUser, domain: "LAB", password: testPassword})
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("ntlm: status %d, want 401", resp.StatusCode)
	}
	resp, _ = c.post([]byte(soapEnvelope(hdr{Action: actionCreate}, createBody)), soapType, "Basic "+basicToken(testUser, testPassword))
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("basic: status %d, want 401", resp.StatusCode)
	}
	if diff := cmp.Diff([]string{testUser + "/LAB/good", testUser + "//good"}, accounts.recorded()); diff != "" {
		t.Errorf("logons (-want +got):\n%s", diff)
	}
}
