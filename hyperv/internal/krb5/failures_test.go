package krb5_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv/internal/krb5"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/krbtest"
)

// skewed is a clock d ahead of the real one.
func skewed(d time.Duration) func() time.Time { return func() time.Time { return time.Now().Add(d) } }

func TestKDCUnreachable(t *testing.T) {
	k := startKDC(t)
	k.Stop()
	i := newInitiator(t, passwordConfig(k))
	_, err := i.InitSecContext(context.Background(), spn, nil)
	if !errors.Is(err, krb5.ErrKDCUnreachable) {
		t.Fatalf("InitSecContext with the KDC stopped = %v, want ErrKDCUnreachable", err)
	}
	for _, want := range []string{"no KDC of realm " + realm + " answered", "udp " + k.Addr(), "tcp " + k.Addr()} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not say %q", err, want)
		}
	}

	conf := filepath.Join(t.TempDir(), "krb5.conf")
	if err := os.WriteFile(conf, []byte("[libdefaults]\n default_realm = NOWHERE.TEST\n dns_lookup_kdc = false\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	i = newInitiator(t, krb5.Config{ConfigFile: conf, Username: "alice", Password: "x"})
	if err := i.Login(context.Background()); !errors.Is(err, krb5.ErrKDCUnreachable) || !strings.Contains(err.Error(), "no KDC of realm NOWHERE.TEST is known") {
		t.Fatalf("Login with no KDC configured = %v", err)
	}
}

func TestClockSkew(t *testing.T) {
	k := startKDC(t)

	// The KDC refuses a pre-authentication timestamp 10 minutes ahead.
	cfg := passwordConfig(k)
	cfg.Now = skewed(10 * time.Minute)
	err := newInitiator(t, cfg).Login(context.Background())
	if !errors.Is(err, krb5.ErrClockSkew) || !strings.Contains(err.Error(), "KRB_AP_ERR_SKEW") {
		t.Fatalf("login with the clock 10 minutes ahead = %v, want ErrClockSkew", err)
	}

	// The host refuses an authenticator 10 minutes behind its clock, and
	// says so in a KRB-ERROR the client reads.
	a := acceptorFor(t, k, host, krb5.WithClock(skewed(10*time.Minute)))
	for _, useSPNEGO := range []bool{false, true} {
		c, err := newInitiator(t, passwordConfig(k)).InitSecContext(context.Background(), spn, nil)
		if err != nil {
			t.Fatal(err)
		}
		tok := c.Token()
		if useSPNEGO {
			tok, _ = c.SPNEGOToken()
		}
		_, reply, err := a.Accept(tok)
		if !errors.Is(err, krb5.ErrClockSkew) || reply == nil {
			t.Fatalf("Accept with the host's clock 10 minutes ahead = %v (reply %d bytes), want ErrClockSkew and a KRB-ERROR", err, len(reply))
		}
		if err := c.Complete(reply); !errors.Is(err, krb5.ErrClockSkew) || !strings.Contains(err.Error(), "the clocks of this machine and the host differ") {
			t.Fatalf("Complete(KRB-ERROR) = %v, want ErrClockSkew", err)
		}
	}
}

func TestUnregisteredSPN(t *testing.T) {
	k := startKDC(t)
	k.DeletePrincipal(spn)
	_, err := newInitiator(t, passwordConfig(k)).InitSecContext(context.Background(), spn, nil)
	want := "get a ticket for HTTP/hv01.hvlab.test: the KDC has no principal HTTP/hv01.hvlab.test: register the host's SPN (setspn -S HTTP/hv01.hvlab.test HV01) (KDC_ERR_S_PRINCIPAL_UNKNOWN)"
	if !errors.Is(err, krb5.ErrUnknownPrincipal) || err.Error() != want {
		t.Fatalf("InitSecContext for a deleted SPN = %v\nwant %s", err, want)
	}
	// The host's other SPN still works.
	if _, err := newInitiator(t, passwordConfig(k)).InitSecContext(context.Background(), "WSMAN/"+host, nil); err != nil {
		t.Fatal(err)
	}
}

func TestAcceptorRefuses(t *testing.T) {
	k := krbtest.Start(t, realm, krbtest.Options{Hosts: []string{host, "hv02.hvlab.test"}})
	i := newInitiator(t, passwordConfig(k))
	a := acceptorFor(t, k, host)

	t.Run("a ticket for another host", func(t *testing.T) {
		c, err := i.InitSecContext(context.Background(), "HTTP/hv02.hvlab.test", nil)
		if err != nil {
			t.Fatal(err)
		}
		_, reply, err := a.Accept(c.Token())
		if !errors.Is(err, krb5.ErrWrongService) || !strings.Contains(err.Error(), "HTTP/hv02.hvlab.test@"+realm) {
			t.Fatalf("Accept(ticket for hv02) = %v", err)
		}
		if err := c.Complete(reply); !errors.Is(err, krb5.ErrWrongService) {
			t.Fatalf("Complete(KRB-ERROR) = %v", err)
		}
	})
	t.Run("a replayed AP-REQ", func(t *testing.T) {
		c, err := i.InitSecContext(context.Background(), spn, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := a.Accept(c.Token()); err != nil {
			t.Fatal(err)
		}
		if _, _, err := a.Accept(c.Token()); !errors.Is(err, krb5.ErrReplay) {
			t.Fatalf("Accept of the same AP-REQ again = %v, want ErrReplay", err)
		}
	})
	t.Run("an AP-REP from another context", func(t *testing.T) {
		c1, _ := i.InitSecContext(context.Background(), spn, nil)
		c2, _ := i.InitSecContext(context.Background(), spn, nil)
		_, reply, err := a.Accept(c1.Token())
		if err != nil {
			t.Fatal(err)
		}
		if err := c2.Complete(reply); !errors.Is(err, krb5.ErrMutualAuth) {
			t.Fatalf("Complete(another context's AP-REP) = %v, want ErrMutualAuth", err)
		}
		if err := c2.Complete(nil); !errors.Is(err, krb5.ErrMutualAuth) {
			t.Fatalf("Complete(no AP-REP) = %v, want ErrMutualAuth", err)
		}
		if _, _, err := c2.Wrap([]byte("x")); !errors.Is(err, krb5.ErrNotEstablished) {
			t.Fatalf("Wrap before Complete = %v", err)
		}
	})
	t.Run("a garbage token", func(t *testing.T) {
		if _, _, err := a.Accept([]byte("NTLMSSP\x00\x01\x00\x00\x00")); !errors.Is(err, krb5.ErrMalformed) {
			t.Fatalf("Accept(NTLM) = %v", err)
		}
	})
}

func TestChannelBindings(t *testing.T) {
	k := startKDC(t)
	i := newInitiator(t, passwordConfig(k))
	a := acceptorFor(t, k, host)
	cb := []byte("tls-server-end-point:\x01\x02\x03")
	c, err := i.InitSecContext(context.Background(), spn, cb)
	if err != nil {
		t.Fatal(err)
	}
	s, _, err := a.Accept(c.Token())
	if err != nil {
		t.Fatal(err)
	}
	if !s.HasChannelBindings() || !s.ChannelBindingsMatch(cb) || s.ChannelBindingsMatch([]byte("tls-server-end-point:other")) {
		t.Fatal("the acceptor does not see the client's channel bindings")
	}
	_, s2 := handshake(t, i, a, spn, false)
	if s2.HasChannelBindings() {
		t.Fatal("a context without channel bindings has some")
	}
	if !s2.Forwardable() {
		t.Error("the ticket the host got is not forwardable")
	}
}

func TestErrorsNameTheirCause(t *testing.T) {
	// Each sentinel's *Error reads as one line an administrator can act on.
	k := startKDC(t)
	cfg := passwordConfig(k)
	cfg.Password = "wrong"
	err := newInitiator(t, cfg).Login(context.Background())
	want := fmt.Sprintf("log in as %s@%s: the KDC refused the password or key of %[1]s@%[2]s: wrong password, or a keytab with old keys (KDC_ERR_PREAUTH_FAILED)", k.User(), realm)
	if err == nil || err.Error() != want {
		t.Fatalf("wrong password:\n got %v\nwant %s", err, want)
	}
	var ke *krb5.Error
	if !errors.As(err, &ke) || ke.Code != 24 {
		t.Fatalf("errors.As(*krb5.Error) = %+v", ke)
	}
}
