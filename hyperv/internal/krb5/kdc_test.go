package krb5_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv/internal/krb5"
	"github.com/hvbalancer/hvbalancer/hyperv/internal/wsmv"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/krbtest"
)

const (
	realm = "HVLAB.TEST"
	host  = "hv01.hvlab.test"
	spn   = "HTTP/" + host
)

// startKDC starts a realm with the user and hv01's principals.
func startKDC(t *testing.T) *krbtest.KDC {
	t.Helper()
	return krbtest.Start(t, realm, krbtest.Options{Hosts: []string{host}})
}

func passwordConfig(k *krbtest.KDC) krb5.Config {
	return krb5.Config{Realm: k.Realm(), ConfigFile: k.ConfigPath(), Username: k.User(), Password: k.Password()}
}

func newInitiator(t *testing.T, cfg krb5.Config) *krb5.Initiator {
	t.Helper()
	i, err := krb5.NewInitiator(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return i
}

// acceptorFor makes the Acceptor of host from the KDC's service keytab.
func acceptorFor(t *testing.T, k *krbtest.KDC, host string, opts ...krb5.AcceptorOption) *krb5.Acceptor {
	t.Helper()
	kt, err := os.ReadFile(k.ServiceKeytab(host))
	if err != nil {
		t.Fatal(err)
	}
	a, err := krb5.NewAcceptor(kt, []string{"HTTP/" + host, "WSMAN/" + host}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// handshake runs the AP exchange between a new client context and a.
func handshake(t *testing.T, i *krb5.Initiator, a *krb5.Acceptor, spn string, useSPNEGO bool) (*krb5.ClientContext, *krb5.ServerContext) {
	t.Helper()
	c, err := i.InitSecContext(context.Background(), spn, nil)
	if err != nil {
		t.Fatal(err)
	}
	tok := c.Token()
	if useSPNEGO {
		if tok, err = c.SPNEGOToken(); err != nil {
			t.Fatal(err)
		}
	}
	s, reply, err := a.Accept(tok)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Complete(reply); err != nil {
		t.Fatal(err)
	}
	return c, s
}

func TestLoginAndSealBothWays(t *testing.T) {
	k := startKDC(t)
	for _, tc := range []struct {
		name   string
		cfg    func() krb5.Config
		spnego bool
	}{
		{"password, krb5 token", func() krb5.Config { return passwordConfig(k) }, false},
		{"password, spnego token", func() krb5.Config { return passwordConfig(k) }, true},
		{"keytab", func() krb5.Config {
			return krb5.Config{Realm: k.Realm(), ConfigFile: k.ConfigPath(), Username: k.User(), Keytab: k.UserKeytab()}
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			i := newInitiator(t, tc.cfg())
			c, s := handshake(t, i, acceptorFor(t, k, host), spn, tc.spnego)
			if got, want := s.Client(), k.User()+"@"+realm; got != want {
				t.Errorf("the acceptor authenticated %q, want %q", got, want)
			}
			exchange(t, c, s, 3)
		})
	}
}

// exchange seals n requests and answers each way and checks they open.
func exchange(t *testing.T, c *krb5.ClientContext, s *krb5.ServerContext, n int) {
	t.Helper()
	for m := range n {
		req := []byte(fmt.Sprintf("<s:Envelope>request %d %s</s:Envelope>", m, strings.Repeat("x", m*1000)))
		body, err := wsmv.Encrypt(c, wsmv.ProtocolSPNEGO, req)
		if err != nil {
			t.Fatal(err)
		}
		got, err := wsmv.Decrypt(s, body)
		if err != nil || !bytes.Equal(got, req) {
			t.Fatalf("request %d: %v, %q", m, err, got)
		}
		resp := []byte(fmt.Sprintf("<s:Envelope>response %d</s:Envelope>", m))
		if body, err = wsmv.Encrypt(s, wsmv.ProtocolSPNEGO, resp); err != nil {
			t.Fatal(err)
		}
		if got, err = wsmv.Decrypt(c, body); err != nil || !bytes.Equal(got, resp) {
			t.Fatalf("response %d: %v, %q", m, err, got)
		}
	}
}

func TestErrorsFromTheKDC(t *testing.T) {
	k := startKDC(t)
	wrong := passwordConfig(k)
	wrong.Password = "not-the-password"
	unknownUser := passwordConfig(k)
	unknownUser.Username = "nobody"
	for _, tc := range []struct {
		name string
		cfg  krb5.Config
		spn  string
		want error
		text string
	}{
		{"wrong password", wrong, spn, krb5.ErrPreauthFailed, "wrong password"},
		{"unknown user", unknownUser, spn, krb5.ErrUnknownPrincipal, "the KDC has no user principal nobody@" + realm},
		{"unknown spn", passwordConfig(k), "HTTP/hv99.hvlab.test", krb5.ErrUnknownPrincipal,
			"the KDC has no principal HTTP/hv99.hvlab.test: register the host's SPN (setspn -S HTTP/hv99.hvlab.test HV99)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			i := newInitiator(t, tc.cfg)
			_, err := i.InitSecContext(context.Background(), tc.spn, nil)
			if !errors.Is(err, tc.want) || !strings.Contains(fmt.Sprint(err), tc.text) {
				t.Fatalf("InitSecContext = %v, want %v saying %q", err, tc.want, tc.text)
			}
		})
	}
}

func TestTwentyContextsCostOneLogin(t *testing.T) {
	k := startKDC(t)
	i := newInitiator(t, passwordConfig(k))
	a := acceptorFor(t, k, host)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			c, err := i.InitSecContext(context.Background(), spn, nil)
			if err != nil {
				errs <- err
				return
			}
			s, reply, err := a.Accept(c.Token())
			if err == nil {
				err = c.Complete(reply)
			}
			if err == nil {
				exchange(t, c, s, 1)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	r := k.Requests()
	// One AS exchange (two AS-REQs: the first is answered "pre-
	// authentication required") and one TGS exchange, by the KDC's log.
	if r.AS != 2 || r.TGS != 1 {
		t.Errorf("the KDC logged %+v for 20 contexts, want 2 AS-REQs and 1 TGS-REQ", r)
	}
	if got := i.KDCRequests(); got != uint64(r.AS+r.TGS) {
		t.Errorf("KDCRequests = %d, the KDC logged %d", got, r.AS+r.TGS)
	}
	for _, ti := range i.Tickets() {
		if !ti.Forwardable {
			t.Errorf("ticket %s is not forwardable", ti.Server)
		}
	}
	if n := len(i.Tickets()); n != 2 {
		t.Errorf("%d tickets held, want the TGT and one service ticket", n)
	}
}

func TestServiceTicketRenewedOnExpiry(t *testing.T) {
	k := startKDC(t)
	k.Kadmin(`modprinc -maxlife "2 minutes" ` + spn)
	var ahead atomic.Int64
	cfg := passwordConfig(k)
	cfg.Now = func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }
	i := newInitiator(t, cfg)
	a := acceptorFor(t, k, host)
	handshake(t, i, a, spn, false)
	handshake(t, i, a, spn, false)
	if r := k.Requests(); r.TGS != 1 {
		t.Fatalf("two contexts within the ticket's life: the KDC logged %+v, want 1 TGS-REQ", r)
	}
	// 90 s later the 2-minute ticket has less than the minute of margin
	// left: the next context gets a new one, with the same TGT.
	ahead.Store(int64(90 * time.Second))
	c, s := handshake(t, i, a, spn, false)
	exchange(t, c, s, 1)
	if r := k.Requests(); r.AS != 2 || r.TGS != 2 {
		t.Fatalf("after the service ticket expired: the KDC logged %+v, want 2 AS-REQs (one login) and 2 TGS-REQs", r)
	}
}

func TestLoginFromCredentialCache(t *testing.T) {
	k := startKDC(t)
	cc := filepath.Join(t.TempDir(), "ccache")
	k.Kinit(t, cc)
	before := k.Requests()
	i := newInitiator(t, krb5.Config{ConfigFile: k.ConfigPath(), CCache: cc})
	if got, want := i.Principal(), k.User()+"@"+realm; got != want {
		t.Fatalf("Principal = %q, want %q", got, want)
	}
	c, s := handshake(t, i, acceptorFor(t, k, host), spn, false)
	exchange(t, c, s, 1)
	if after := k.Requests(); after.AS != before.AS || after.TGS != before.TGS+1 || i.KDCRequests() != 1 {
		t.Fatalf("from a cache: the KDC logged %+v then %+v, KDCRequests %d; want one TGS-REQ and no login", before, after, i.KDCRequests())
	}

	// Eleven hours on, the cache's 10-hour TGT has expired and there is
	// no password to get another.
	late := newInitiator(t, krb5.Config{ConfigFile: k.ConfigPath(), CCache: cc, Now: skewed(11 * time.Hour)})
	if err := late.Login(context.Background()); !errors.Is(err, krb5.ErrExpired) || !strings.Contains(err.Error(), "log in again (kinit)") {
		t.Fatalf("Login from an expired cache = %v, want ErrExpired", err)
	}
}

func TestLoginRenewedOnExpiry(t *testing.T) {
	k := startKDC(t)
	k.Kadmin(`modprinc -maxlife "2 minutes" ` + k.User())
	var ahead atomic.Int64
	cfg := passwordConfig(k)
	cfg.Now = func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }
	i := newInitiator(t, cfg)
	a := acceptorFor(t, k, host)
	handshake(t, i, a, spn, false)
	ahead.Store(int64(90 * time.Second))
	c, s := handshake(t, i, a, spn, false)
	exchange(t, c, s, 1)
	// The second login pre-authenticates at once with what the first
	// learnt: one AS-REQ, not two.
	if r := k.Requests(); r.AS != 3 || r.TGS != 2 {
		t.Fatalf("after the TGT expired: the KDC logged %+v, want 3 AS-REQs (two logins) and 2 TGS-REQs", r)
	}
}

func TestHostKeyChanged(t *testing.T) {
	k := startKDC(t)
	i := newInitiator(t, passwordConfig(k))
	handshake(t, i, acceptorFor(t, k, host), spn, false)
	// The host's account gets new keys (a machine password change): the
	// ticket the client holds no longer opens with the host's keytab.
	k.Kadmin("cpw -randkey " + spn)
	a := acceptorFor(t, k, host)
	c, err := i.InitSecContext(context.Background(), spn, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, reply, err := a.Accept(c.Token())
	if err == nil {
		t.Fatal("the host accepted a ticket encrypted with its old key")
	}
	if err := c.Complete(reply); err == nil || !strings.Contains(err.Error(), "does not open with the keys of the service's keytab") {
		t.Fatalf("Complete(KRB-ERROR) = %v", err)
	}
	// The client dropped the ticket: the next context gets a new one.
	handshake(t, i, a, spn, false)
	if r := k.Requests(); r.TGS != 2 {
		t.Fatalf("the KDC logged %+v, want a second TGS-REQ", r)
	}
}
