package hyperv_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/wsman"
)

// hostOpts describes a simulated WinRM service.
type hostOpts struct {
	auth  wsman.Auth // Accounts default to the wire test account
	https bool
	names []string // the certificate's names over HTTPS; default 127.0.0.1
}

// newHost starts a WS-Management service that authenticates as a
// Windows WinRM service does (a default one unless opts say otherwise),
// and returns a fixture whose config logs in with NTLM.
func newHost(t *testing.T, opts hostOpts) *fixture {
	t.Helper()
	h := &fakeHost{t: t}
	h.set(hyperv.ScriptGetHost, reply{stdout: outHost})
	h.set(hyperv.ScriptGetVMs, reply{stdout: outVMs})
	if opts.auth.Accounts == nil {
		opts.auth.Accounts = wsman.SingleAccount(strings.TrimPrefix(wireUser, `LAB\`), wirePassword)
	}
	cfg := hyperv.Config{Host: "127.0.0.1", Auth: hyperv.AuthNTLM, Username: wireUser, Password: wirePassword,
		CallTimeout: 30 * time.Second, MoveTimeout: 30 * time.Second, OperationTimeout: time.Second}
	var serverCert tls.Certificate
	if opts.https {
		ca, err := wsman.NewCA()
		if err != nil {
			t.Fatal(err)
		}
		if len(opts.names) == 0 {
			opts.names = []string{"127.0.0.1"}
		}
		if serverCert, err = ca.Issue(opts.names...); err != nil {
			t.Fatal(err)
		}
		if opts.auth.Certificate, err = x509.ParseCertificate(serverCert.Certificate[0]); err != nil {
			t.Fatal(err)
		}
		cfg.HTTPS, cfg.CACert = true, ca.CertPEM()
	}
	ws, err := wsman.NewServer(wsman.Config{Auth: opts.auth, Runner: h, MachineName: "HV01"})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/wsman", ws)
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.ConnContext = wsman.ConnContext
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // failed TLS handshakes are expected
	if opts.https {
		srv.TLS = &tls.Config{Certificates: []tls.Certificate{serverCert}}
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(func() { ws.Close(); srv.Close() })
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	cfg.Port, _ = strconv.Atoi(port)
	return &fixture{host: h, ws: ws, config: cfg}
}

// poll makes the calls of one poll of a host, 5 in sequence.
func poll(t *testing.T, c *hyperv.Client) error {
	t.Helper()
	for i := range 5 {
		var err error
		if i%2 == 0 {
			_, err = c.Host(t.Context())
		} else {
			_, err = c.VMs(t.Context())
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func TestE2ENTLMEncryptedOverHTTP(t *testing.T) {
	f := newHost(t, hostOpts{})
	bare := strings.TrimPrefix(wireUser, `LAB\`)
	for _, user := range []string{wireUser, bare + "@lab.example", bare} {
		t.Run(user, func(t *testing.T) {
			c := f.client(t, func(c *hyperv.Config) { c.Username = user })
			defer c.Close()
			if err := poll(t, c); err != nil {
				t.Fatal(err)
			}
			st := c.Stats()
			if st.Logins != 1 || st.Connections != 1 {
				t.Errorf("stats = %+v, want 1 login on 1 connection for 5 calls", st)
			}
			// The next poll reuses the session: no login at all.
			if err := poll(t, c); err != nil {
				t.Fatal(err)
			}
			if st2 := c.Stats(); st2.Logins != 1 || st2.Connections != 1 {
				t.Errorf("after a second poll: %+v, want still 1 login", st2)
			}
			t.Logf("%d requests for 10 calls, %d login", c.Stats().Requests, c.Stats().Logins)
		})
	}
}

func TestE2ENTLMConcurrent(t *testing.T) {
	f := newHost(t, hostOpts{})
	c := f.client(t, nil)
	defer c.Close()
	const n = 4
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			if err := poll(t, c); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	st := c.Stats()
	if st.Connections < 1 || st.Connections > n || st.Logins != st.Connections {
		t.Errorf("stats = %+v, want 1-%d connections, one login each", st, n)
	}
}

func TestE2ENTLMOverHTTPS(t *testing.T) {
	// The certificate names the host, not its address, as a WinRM
	// certificate does; the service checks NTLM's channel bindings.
	f := newHost(t, hostOpts{https: true, names: []string{"hv01.lab.example"}})
	tests := []struct {
		name       string
		serverName string
		wantErr    string // empty: success
	}{
		{"address only", "", "wsman: certificate not accepted: certificate is valid for hv01.lab.example, not 127.0.0.1: set tls_server_name"},
		{"wrong name", "hv02.lab.example", "wsman: certificate not accepted: certificate is valid for hv01.lab.example, not hv02.lab.example: set tls_server_name"},
		{"tls_server_name", "hv01.lab.example", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := f.client(t, func(c *hyperv.Config) { c.TLSServerName = tc.serverName })
			defer c.Close()
			err := poll(t, c)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if st := c.Stats(); st.Logins != 1 || st.Connections != 1 {
					t.Errorf("stats = %+v, want 1 login on 1 connection", st)
				}
				return
			}
			if !errors.Is(err, hyperv.ErrCertificate) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("got %v, want ErrCertificate with %q", err, tc.wantErr)
			}
			if st := c.Stats(); st.Logins != 0 {
				t.Errorf("%d logins sent to a host whose certificate was refused", st.Logins)
			}
		})
	}
}

func TestE2EUnencryptedRefused(t *testing.T) {
	f := newHost(t, hostOpts{})
	c := f.client(t, func(c *hyperv.Config) { c.Encryption = hyperv.EncryptionNever })
	defer c.Close()
	_, err := c.Host(t.Context())
	if !errors.Is(err, hyperv.ErrUnencryptedRefused) {
		t.Fatalf("got %v, want ErrUnencryptedRefused", err)
	}
	want := "get host on " + c.Address() + ": wsman: the host refuses unencrypted messages: enable message encryption (default) or use HTTPS"
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q\ndoes not start with %q", err, want)
	}
	_, err = c.Move(t.Context(), vmID, "HV02", hyperv.MoveOptions{})
	if !errors.Is(err, hyperv.ErrUnencryptedRefused) || errors.Is(err, hyperv.ErrOutcomeUnknown) {
		t.Errorf("Move: got %v, want ErrUnencryptedRefused only: nothing ran", err)
	}
	noSecret(t, err)
}

func TestE2EWrongPassword(t *testing.T) {
	for _, https := range []bool{false, true} {
		t.Run("https="+strconv.FormatBool(https), func(t *testing.T) {
			f := newHost(t, hostOpts{https: https})
			c := f.client(t, func(c *hyperv.Config) { c.Password = wirePassword + "-wrong" })
			defer c.Close()
			_, err := c.Host(t.Context())
			if !errors.Is(err, hyperv.ErrUnauthorized) || !strings.HasSuffix(err.Error(), ": wsman: unauthorized: wrong credentials or account locked (http status 401)") {
				t.Errorf("got %v, want ErrUnauthorized for wrong credentials", err)
			}
			noSecret(t, err)
			if st := c.Stats(); st.Logins != 1 {
				t.Errorf("%d logins for one refused call, want 1", st.Logins)
			}
		})
	}
}

func TestE2EBasicRefused(t *testing.T) {
	tests := []struct {
		name string
		opts hostOpts
		mod  func(*hyperv.Config)
		want string // empty: success
	}{
		{"default host over https", hostOpts{https: true},
			func(c *hyperv.Config) { c.Auth = hyperv.AuthBasic },
			"wsman: authentication not offered: the host does not accept basic authentication (it offers Negotiate, Kerberos): use ntlm or kerberos (http status 401)"},
		{"basic enabled, over http without AllowUnencrypted", hostOpts{auth: wsman.Auth{Schemes: []wsman.Scheme{wsman.Negotiate, wsman.Basic}}},
			func(c *hyperv.Config) { c.Auth, c.Encryption = hyperv.AuthBasic, hyperv.EncryptionNever },
			"wsman: unauthorized: wrong credentials, account locked, or the host does not allow basic over HTTP (AllowUnencrypted=false) (http status 401)"},
		{"basic enabled, over https", hostOpts{https: true, auth: wsman.Auth{Schemes: []wsman.Scheme{wsman.Negotiate, wsman.Basic}}},
			func(c *hyperv.Config) { c.Auth = hyperv.AuthBasic }, ""},
		{"basic and AllowUnencrypted", hostOpts{auth: wsman.Auth{Schemes: []wsman.Scheme{wsman.Negotiate, wsman.Basic}, AllowUnencrypted: true}},
			func(c *hyperv.Config) { c.Auth, c.Encryption = hyperv.AuthBasic, hyperv.EncryptionNever }, ""},
		{"ntlm unencrypted with AllowUnencrypted", hostOpts{auth: wsman.Auth{AllowUnencrypted: true}},
			func(c *hyperv.Config) { c.Encryption = hyperv.EncryptionNever }, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newHost(t, tc.opts)
			c := f.client(t, tc.mod)
			defer c.Close()
			_, err := c.Host(t.Context())
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			// Basic that the host does not offer is no failed logon: no
			// password was checked.
			want := hyperv.ErrUnauthorized
			if strings.Contains(tc.want, "not offered") {
				want = hyperv.ErrAuthNotOffered
			}
			if !errors.Is(err, want) || !strings.HasSuffix(err.Error(), tc.want) {
				t.Errorf("got %v\nwant %v ending in %q", err, want, tc.want)
			}
			if want == hyperv.ErrAuthNotOffered && errors.Is(err, hyperv.ErrUnauthorized) {
				t.Errorf("%v also matches ErrUnauthorized: the login guard would count it as a failed logon", err)
			}
			noSecret(t, err)
		})
	}
}

func TestE2ESealedLongPoll(t *testing.T) {
	// A command with no output: every Receive ends in the sealed
	// OperationTimeout fault after 1 s, which the client must open and
	// take as "poll again" until the call's own deadline.
	f := newHost(t, hostOpts{})
	f.host.set(hyperv.ScriptGetVMs, reply{block: true})
	c := f.client(t, func(c *hyperv.Config) { c.CallTimeout = 3 * time.Second })
	defer c.Close()
	_, err := c.VMs(t.Context())
	if !errors.Is(err, hyperv.ErrTimeout) || errors.Is(err, hyperv.ErrUnexpectedOutput) {
		t.Fatalf("got %v, want ErrTimeout", err)
	}
	if _, err := c.Host(t.Context()); err != nil {
		t.Fatalf("a call after the timed-out one: %v", err)
	}
	if st := c.Stats(); st.Logins != st.Connections || st.Connections > 2 {
		t.Errorf("stats = %+v, want one login per connection, at most 2", st)
	}
}
