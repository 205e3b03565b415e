package hyperv_test

import (
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"hash"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv"
	"github.com/hvbalancer/hvbalancer/hyperv/internal/krb5"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/krbtest"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/wsman"
)

const krbRealm = "LAB.EXAMPLE"

// krbAcceptor is a host's Kerberos service: krb5.Acceptor on the host's
// keytab, recording every context it accepts.
type krbAcceptor struct {
	a *krb5.Acceptor

	mu       sync.Mutex
	accepted []*krb5.ServerContext
}

var _ wsman.KerberosAcceptor = (*krbAcceptor)(nil)

func (k *krbAcceptor) Accept(token []byte) (wsman.SecurityContext, []byte, string, error) {
	sc, reply, err := k.a.Accept(token)
	if err != nil {
		return nil, reply, "", err
	}
	k.mu.Lock()
	k.accepted = append(k.accepted, sc)
	k.mu.Unlock()
	return sc, reply, sc.Client(), nil
}

func (k *krbAcceptor) contexts() []*krb5.ServerContext {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]*krb5.ServerContext(nil), k.accepted...)
}

// krbFixture is a simulated default Windows Server host that takes
// tickets for its SPNs, and a client config that logs in to it with
// Kerberos and the realm user's password.
type krbFixture struct {
	*fixture
	acc *krbAcceptor
}

// newKerberosHost starts a default WinRM service (Negotiate and Kerberos,
// no Basic, sealed messages only over HTTP) for spnHost, whose keys it
// takes from the KDC's service keytab. opts.https and opts.names set up
// its HTTPS listener; opts are otherwise left to the fixture.
func newKerberosHost(t *testing.T, k *krbtest.KDC, spnHost string, opts hostOpts, acceptorOpts ...krb5.AcceptorOption) *krbFixture {
	t.Helper()
	kt, err := os.ReadFile(k.ServiceKeytab(spnHost))
	if err != nil {
		t.Fatal(err)
	}
	a, err := krb5.NewAcceptor(kt, krbtest.HostSPNs(spnHost), acceptorOpts...)
	if err != nil {
		t.Fatal(err)
	}
	acc := &krbAcceptor{a: a}
	opts.auth.Kerberos = acc
	opts.auth.Accounts = wsman.SingleAccount(k.User(), k.Password())
	f := newHost(t, opts)
	f.config.Auth = hyperv.AuthKerberos
	f.config.Username, f.config.Password = k.User(), k.Password()
	f.config.Kerberos = hyperv.KerberosConfig{Realm: k.Realm(), ConfigFile: k.ConfigPath(), SPN: "HTTP/" + spnHost}
	return &krbFixture{fixture: f, acc: acc}
}

// kdcDelta counts the requests the KDC logged since before.
func kdcDelta(k *krbtest.KDC, before krbtest.Requests) krbtest.Requests {
	now := k.Requests()
	return krbtest.Requests{AS: now.AS - before.AS, TGS: now.TGS - before.TGS}
}

func TestE2EKerberosSealedOverHTTP(t *testing.T) {
	const host = "hv01.lab.example"
	k := krbtest.Start(t, krbRealm, krbtest.Options{Hosts: []string{host}})
	f := newKerberosHost(t, k, host, hostOpts{})
	ccache := filepath.Join(t.TempDir(), "ccache")
	tests := []struct {
		name    string
		mod     func(t *testing.T, c *hyperv.Config)
		wantKDC krbtest.Requests // for the first poll: a login (AS-REQ, then again with pre-authentication) and the host's ticket
	}{
		{"password", func(*testing.T, *hyperv.Config) {}, krbtest.Requests{AS: 2, TGS: 1}},
		{"keytab", func(t *testing.T, c *hyperv.Config) {
			c.Password, c.Kerberos.Keytab = "", k.UserKeytab()
		}, krbtest.Requests{AS: 2, TGS: 1}},
		{"credential cache", func(t *testing.T, c *hyperv.Config) {
			k.Kinit(t, ccache)
			c.Username, c.Password, c.Kerberos.CCache = "", "", ccache
		}, krbtest.Requests{TGS: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := f.config
			tc.mod(t, &cfg)
			before := k.Requests()
			seen := len(f.acc.contexts())
			c, err := hyperv.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if err := poll(t, c); err != nil {
				t.Fatal(err)
			}
			got := kdcDelta(k, before)
			if got != tc.wantKDC {
				t.Errorf("the KDC logged %+v for one poll, want %+v", got, tc.wantKDC)
			}
			st := c.Stats()
			if st.Logins != 1 || st.Connections != 1 || st.KDCRequests != uint64(tc.wantKDC.AS+tc.wantKDC.TGS) {
				t.Errorf("stats = %+v, want 1 login on 1 connection and %d KDC requests for 5 calls", st, tc.wantKDC.AS+tc.wantKDC.TGS)
			}
			// The next poll reuses the connection's context: no login,
			// nothing asked of the KDC.
			if err := poll(t, c); err != nil {
				t.Fatal(err)
			}
			if st2 := c.Stats(); st2.Logins != 1 || st2.KDCRequests != st.KDCRequests {
				t.Errorf("after a second poll: %+v, want still 1 login and %d KDC requests", st2, st.KDCRequests)
			}
			if got := kdcDelta(k, before); got != tc.wantKDC {
				t.Errorf("the KDC logged %+v for two polls, want %+v", got, tc.wantKDC)
			}
			ctxs := f.acc.contexts()[seen:]
			if len(ctxs) != 1 {
				t.Fatalf("the host accepted %d Kerberos logins, want 1", len(ctxs))
			}
			sc := ctxs[0]
			if sc.Client() != k.User()+"@"+krbRealm || !strings.EqualFold(sc.SPN(), "HTTP/"+host) {
				t.Errorf("login of %s for %s", sc.Client(), sc.SPN())
			}
			if !sc.Forwardable() {
				t.Error("the ticket is not forwardable: the host could not delegate it to a migration's destination")
			}
			if !sc.Sealing() || sc.HasChannelBindings() {
				t.Errorf("sealing %t, channel bindings %t: want sealing and no bindings over HTTP", sc.Sealing(), sc.HasChannelBindings())
			}
			t.Logf("%d requests for 10 calls, %d login, %d KDC requests", c.Stats().Requests, c.Stats().Logins, c.Stats().KDCRequests)
		})
	}
}

func TestE2EKerberosUnencryptedRefused(t *testing.T) {
	const host = "hv01.lab.example"
	k := krbtest.Start(t, krbRealm, krbtest.Options{Hosts: []string{host}})
	f := newKerberosHost(t, k, host, hostOpts{})
	c := f.client(t, func(c *hyperv.Config) { c.Encryption = hyperv.EncryptionNever })
	defer c.Close()
	_, err := c.Host(t.Context())
	if !errors.Is(err, hyperv.ErrUnencryptedRefused) {
		t.Fatalf("got %v, want ErrUnencryptedRefused", err)
	}
}

func TestE2EKerberosSharedCredential(t *testing.T) {
	// Three hosts logged in to with one account: one login at the KDC,
	// one service ticket per host, one AP exchange per host.
	hosts := []string{"hv01.lab.example", "hv02.lab.example", "hv03.lab.example"}
	k := krbtest.Start(t, krbRealm, krbtest.Options{Hosts: hosts})
	var clients []*hyperv.Client
	var fixtures []*krbFixture
	for _, h := range hosts {
		f := newKerberosHost(t, k, h, hostOpts{})
		c := f.client(t, nil)
		defer c.Close()
		clients = append(clients, c)
		fixtures = append(fixtures, f)
	}
	before := k.Requests()
	for round := range 2 {
		var wg sync.WaitGroup
		for _, c := range clients {
			wg.Go(func() {
				if err := poll(t, c); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		want := krbtest.Requests{AS: 2, TGS: len(hosts)} // the AS-REQ is sent twice: the KDC asks for pre-authentication
		if got := kdcDelta(k, before); got != want {
			t.Errorf("round %d: the KDC logged %+v, want %+v", round, got, want)
		}
		for i, c := range clients {
			if st := c.Stats(); st.Logins != 1 || st.KDCRequests != uint64(want.AS+want.TGS) {
				t.Errorf("round %d: %s: stats %+v, want 1 login and the credential's %d KDC requests", round, hosts[i], st, want.AS+want.TGS)
			}
			if n := len(fixtures[i].acc.contexts()); n != 1 {
				t.Errorf("round %d: %s accepted %d logins, want 1", round, hosts[i], n)
			}
		}
	}
	issued := 0
	for _, line := range k.LogLines() {
		if strings.Contains(line, "AS_REQ (") && strings.Contains(line, ": ISSUE:") {
			issued++
		}
	}
	if issued != 1 {
		t.Errorf("the KDC issued %d ticket-granting tickets, want 1", issued)
	}
}

func TestE2EKerberosOverHTTPS(t *testing.T) {
	// The certificate names the host; tls_server_name names it too and
	// makes the SPN HTTP/hv01.lab.example. The AP-REQ is bound to the
	// TLS channel, as a host with CbtHardeningLevel Strict requires.
	const host = "hv01.lab.example"
	k := krbtest.Start(t, krbRealm, krbtest.Options{Hosts: []string{host}})
	f := newKerberosHost(t, k, host, hostOpts{https: true, names: []string{host}})
	c := f.client(t, func(c *hyperv.Config) { c.TLSServerName, c.Kerberos.SPN = host, "" })
	defer c.Close()
	if err := poll(t, c); err != nil {
		t.Fatal(err)
	}
	if st := c.Stats(); st.Logins != 1 || st.Connections != 1 {
		t.Errorf("stats = %+v, want 1 login on 1 connection", st)
	}
	ctxs := f.acc.contexts()
	if len(ctxs) != 1 {
		t.Fatalf("the host accepted %d logins, want 1", len(ctxs))
	}
	if !strings.EqualFold(ctxs[0].SPN(), "HTTP/"+host) || !ctxs[0].Forwardable() {
		t.Errorf("ticket for %s, forwardable %t", ctxs[0].SPN(), ctxs[0].Forwardable())
	}
	if !ctxs[0].ChannelBindingsMatch(serverEndPoint(t, f.config)) {
		t.Errorf("the AP-REQ is not bound to the host's certificate (bindings sent: %t)", ctxs[0].HasChannelBindings())
	}
}

// serverEndPoint returns the tls-server-end-point channel bindings
// application data of the host's certificate (RFC 5929 section 4.1).
func serverEndPoint(t *testing.T, cfg hyperv.Config) []byte {
	t.Helper()
	conn, err := tls.Dial("tcp", "127.0.0.1:"+strconv.Itoa(cfg.Port), &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // only to read the certificate
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	cert := conn.ConnectionState().PeerCertificates[0]
	var h hash.Hash
	switch cert.SignatureAlgorithm {
	case x509.SHA384WithRSA, x509.ECDSAWithSHA384, x509.SHA384WithRSAPSS:
		h = sha512.New384()
	case x509.SHA512WithRSA, x509.ECDSAWithSHA512, x509.SHA512WithRSAPSS:
		h = sha512.New()
	default:
		h = sha256.New()
	}
	h.Write(cert.Raw)
	return append([]byte("tls-server-end-point:"), h.Sum(nil)...)
}

func TestE2EKerberosFailures(t *testing.T) {
	const host = "hv01.lab.example"
	const wrong = "Wrong-Horse-8"
	tests := []struct {
		name     string
		mod      func(c *hyperv.Config)
		acceptor []krb5.AcceptorOption
		kdc      func(k *krbtest.KDC) // after the host has its keys
		kind     error
		notKind  error    // a sentinel the error must not match
		want     []string // substrings of the message
		bad      int      // failed pre-authentications the KDC logged: what a domain counts toward a lockout
	}{
		{"wrong password", func(c *hyperv.Config) { c.Password = wrong }, nil, nil,
			hyperv.ErrUnauthorized, hyperv.ErrClockSkew,
			[]string{"the KDC refused the password or key of hvbalancer@LAB.EXAMPLE", "KDC_ERR_PREAUTH_FAILED"}, 1},
		{"spn not registered", nil, nil, func(k *krbtest.KDC) { k.DeletePrincipal("HTTP/" + host) },
			hyperv.ErrUnknownPrincipal, hyperv.ErrUnauthorized,
			[]string{"the KDC has no principal HTTP/hv01.lab.example", "setspn -S HTTP/hv01.lab.example HV01", "KDC_ERR_S_PRINCIPAL_UNKNOWN"}, 0},
		{"spn of an ip address", func(c *hyperv.Config) { c.Kerberos.SPN = "" }, nil, nil, // HTTP/127.0.0.1, from the host's address
			hyperv.ErrUnknownPrincipal, hyperv.ErrUnauthorized,
			[]string{"kerberos principal unknown: the SPN HTTP/127.0.0.1 names an IP address", "set tls_server_name or kerberos.spn", "the KDC has no principal HTTP/127.0.0.1"}, 0},
		{"unknown user", func(c *hyperv.Config) { c.Username = "nobody" }, nil, nil,
			hyperv.ErrUnknownPrincipal, hyperv.ErrUnauthorized,
			[]string{"the KDC has no user principal nobody@LAB.EXAMPLE"}, 0},
		{"kdc stopped before the first login", nil, nil, func(k *krbtest.KDC) { k.Stop() },
			hyperv.ErrKDCUnreachable, hyperv.ErrUnauthorized,
			[]string{"no KDC of realm LAB.EXAMPLE answered (tried udp 127.0.0.1:"}, 0},
		{"host clock skewed", nil, []krb5.AcceptorOption{krb5.WithClock(func() time.Time { return time.Now().Add(time.Hour) })}, nil,
			hyperv.ErrClockSkew, hyperv.ErrUnauthorized,
			[]string{"the clocks of this machine and the host differ by more than the allowed skew", "KRB_AP_ERR_SKEW"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k := krbtest.Start(t, krbRealm, krbtest.Options{Hosts: []string{host}})
			f := newKerberosHost(t, k, host, hostOpts{}, tc.acceptor...)
			if tc.kdc != nil {
				tc.kdc(k)
			}
			c := f.client(t, tc.mod)
			defer c.Close()
			_, err := c.Host(t.Context())
			if !errors.Is(err, tc.kind) || errors.Is(err, tc.notKind) {
				t.Fatalf("got %v\nwant %v and not %v", err, tc.kind, tc.notKind)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), k.Password()) || strings.Contains(err.Error(), wrong) {
				t.Errorf("error holds the password: %v", err)
			}
			if !errors.Is(err, hyperv.ErrKDCUnreachable) { // a stopped KDC logs nothing more
				bad := 0
				for _, line := range k.LogLines() {
					if strings.Contains(line, "PREAUTH_FAILED") {
						bad++
					}
				}
				if bad != tc.bad {
					t.Errorf("the KDC logged %d failed pre-authentications for one call, want %d", bad, tc.bad)
				}
			}
			t.Log(err)
		})
	}
}
