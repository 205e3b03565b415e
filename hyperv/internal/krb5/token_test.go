package krb5

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/iana/flags"
	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/spnego"
	"github.com/jcmturner/gokrb5/v8/types"
)

func TestParseToken(t *testing.T) {
	raw := frameKRB5(tokAPReq, []byte{0x6e, 0x00})
	init, err := spnegoInit(raw)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := spnegoResp(negAcceptCompleted, oidMSKRB5, frameKRB5(tokAPRep, []byte{0x6f, 0x00}))
	if err != nil {
		t.Fatal(err)
	}
	reject, err := spnegoResp(negReject, oidKRB5, nil)
	if err != nil {
		t.Fatal(err)
	}
	ntlmFirst, err := (&spnego.SPNEGOToken{Init: true, NegTokenInit: spnego.NegTokenInit{
		MechTypes:      []asn1.ObjectIdentifier{{1, 3, 6, 1, 4, 1, 311, 2, 2, 10}, oidKRB5},
		MechTokenBytes: []byte("NTLMSSP\x00\x01\x00\x00\x00"),
	}}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		token    []byte
		id       uint16
		spnego   bool
		kerberos bool
	}{
		{"krb5 AP-REQ", raw, tokAPReq, false, true},
		{"spnego NegTokenInit", init, tokAPReq, true, true},
		{"spnego NegTokenResp", resp, tokAPRep, true, false},
		{"spnego reject without token", reject, 0, true, false},
		{"krb5 KRB-ERROR", frameKRB5(tokError, []byte{0x7e, 0x00}), tokError, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ct, err := parseToken(tc.token)
			if err != nil {
				t.Fatal(err)
			}
			if ct.id != tc.id || ct.spnego != tc.spnego {
				t.Fatalf("parsed %+v", ct)
			}
			if got := IsKerberosToken(tc.token); got != tc.kerberos {
				t.Fatalf("IsKerberosToken = %t", got)
			}
		})
	}
	for name, b := range map[string][]byte{
		"empty":             nil,
		"raw ntlm":          []byte("NTLMSSP\x00\x01\x00\x00\x00"),
		"spnego ntlm first": ntlmFirst,
		"truncated":         raw[:len(raw)-1],
		"trailing bytes":    append(bytes.Clone(raw), 0),
		"other mechanism":   appendTLV(nil, 0x60, append([]byte{0x06, 0x03, 0x2a, 0x03, 0x04}, 1, 0)),
		"long length":       {0x60, 0x84, 0xff, 0xff, 0xff, 0xff},
	} {
		if _, err := parseToken(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: parseToken = %v, want ErrMalformed", name, err)
		}
		if IsKerberosToken(b) {
			t.Errorf("%s: IsKerberosToken = true", name)
		}
	}
}

func TestTLVLengths(t *testing.T) {
	for _, n := range []int{0, 1, 127, 128, 255, 256, 65535, 65536} {
		v := bytes.Repeat([]byte{7}, n)
		tag, got, rest, err := readTLV(appendTLV(nil, 0x30, v))
		if err != nil || tag != 0x30 || !bytes.Equal(got, v) || len(rest) != 0 {
			t.Fatalf("%d bytes: %v", n, err)
		}
	}
}

func TestGSSChecksum(t *testing.T) {
	c := gssChecksum{flags: contextFlags, bindings: ChannelBindingsHash([]byte("tls-server-end-point:x"))}
	got, err := parseGSSChecksum(c.marshal())
	if err != nil || got != c || !got.hasBindings() {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	if (gssChecksum{}).hasBindings() {
		t.Fatal("zero bindings count as bindings")
	}
	if _, err := parseGSSChecksum(make([]byte, 23)); !errors.Is(err, ErrMalformed) {
		t.Fatalf("short checksum: %v", err)
	}
}

// offlineRealm is a service keytab and a ticket made from it without a
// KDC, for tests of the AP exchange alone.
type offlineRealm struct {
	keytab []byte
	tkt    *ticket
	init   *Initiator
}

func newOfflineRealm(t testing.TB) offlineRealm {
	t.Helper()
	kt := keytab.New()
	now := time.Now()
	if err := kt.AddEntry("HTTP/hv01.offline.test", "OFFLINE.TEST", "service secret", now, 3, 18); err != nil {
		t.Fatal(err)
	}
	ktb, err := kt.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	cname := types.NewPrincipalName(nametype.KRB_NT_PRINCIPAL, "alice")
	sname := types.NewPrincipalName(nametype.KRB_NT_SRV_INST, "HTTP/hv01.offline.test")
	f := types.NewKrbFlags()
	types.SetFlag(&f, flags.Forwardable)
	tkt, key, err := messages.NewTicket(cname, "OFFLINE.TEST", sname, "OFFLINE.TEST", f, kt, 18, 3, now, now, now.Add(time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return offlineRealm{
		keytab: ktb,
		tkt:    &ticket{ticket: tkt, key: key, flags: f, start: now, end: now.Add(time.Hour)},
		init:   &Initiator{cred: &credential{realm: "OFFLINE.TEST", cname: cname}, now: time.Now},
	}
}

// TestHandshakeWithoutKDC runs the AP exchange and seals both ways with a
// ticket made from the service's keytab.
func TestHandshakeWithoutKDC(t *testing.T) {
	r := newOfflineRealm(t)
	a, err := NewAcceptor(r.keytab, []string{"HTTP/hv01.offline.test"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := newClientContext(r.init, r.tkt, "HTTP/hv01.offline.test", nil)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := c.SPNEGOToken()
	if err != nil {
		t.Fatal(err)
	}
	s, reply, err := a.Accept(tok)
	if err != nil {
		t.Fatal(err)
	}
	if ct, _ := parseToken(reply); !ct.spnego || ct.id != tokAPRep || !ct.mech.Equal(oidKRB5) {
		t.Fatalf("the reply to SPNEGO is %+v, want a NegTokenResp with the AP-REP", ct)
	}
	if err := c.Complete(reply); err != nil {
		t.Fatal(err)
	}
	if s.Client() != "alice@OFFLINE.TEST" || !s.Forwardable() || !s.Sealing() {
		t.Fatalf("accepted %s, forwardable %t, sealing %t", s.Client(), s.Forwardable(), s.Sealing())
	}
	sig, sealed, err := c.Wrap([]byte("ping"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.Unwrap(sig, sealed); err != nil || string(got) != "ping" {
		t.Fatalf("%q, %v", got, err)
	}
	if sig, sealed, err = s.Wrap([]byte("pong")); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Unwrap(sig, sealed); err != nil || string(got) != "pong" {
		t.Fatalf("%q, %v", got, err)
	}
	if _, err := NewAcceptor(r.keytab, []string{"WSMAN/hv01.offline.test"}); !errors.Is(err, ErrConfig) {
		t.Fatalf("NewAcceptor for an SPN the keytab lacks = %v", err)
	}
}

func FuzzParseToken(f *testing.F) {
	raw := frameKRB5(tokAPReq, []byte{0x6e, 0x03, 0x02, 0x01, 0x05})
	init, _ := spnegoInit(raw)
	resp, _ := spnegoResp(negAcceptCompleted, oidKRB5, frameKRB5(tokAPRep, []byte{0x6f, 0x00}))
	for _, s := range [][]byte{raw, init, resp, []byte("NTLMSSP\x00")} {
		f.Add(s)
	}
	// Windows lists Microsoft's krb5 OID first.
	if b, err := (&spnego.SPNEGOToken{Init: true, NegTokenInit: spnego.NegTokenInit{
		MechTypes: []asn1.ObjectIdentifier{oidMSKRB5, oidKRB5}, MechTokenBytes: raw,
	}}).Marshal(); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ct, err := parseToken(b)
		if err == nil && IsKerberosToken(b) != (ct.id == tokAPReq) {
			t.Fatal("IsKerberosToken disagrees with parseToken")
		}
	})
}

func FuzzAccept(f *testing.F) {
	r := newOfflineRealm(f)
	a, err := NewAcceptor(r.keytab, []string{"HTTP/hv01.offline.test"})
	if err != nil {
		f.Fatal(err)
	}
	c, err := newClientContext(r.init, r.tkt, "HTTP/hv01.offline.test", nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(c.Token())
	f.Fuzz(func(t *testing.T, b []byte) {
		s, _, err := a.Accept(b)
		if (s == nil) == (err == nil) {
			t.Fatalf("Accept returned context %v and error %v", s, err)
		}
	})
}

func FuzzUnwrap(f *testing.F) {
	c, _ := sealerPair(18, true)
	sig, sealed, _ := c.Wrap([]byte("<s:Envelope/>"))
	f.Add(sig, sealed)
	f.Fuzz(func(t *testing.T, sig, sealed []byte) {
		_, s := sealerPair(18, true)
		_, _ = s.Unwrap(sig, sealed)
	})
}
