package ntlm_test

import (
	"bytes"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/bodgit/ntlmssp"
	"github.com/hvbalancer/hvbalancer/hyperv/internal/wsmv"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/wsman/ntlm"
)

const (
	password = "S3cret-pass"
	user     = "hvadmin"
	domain   = "LAB"
)

func newServer(t *testing.T) *ntlm.Server {
	t.Helper()
	srv, err := ntlm.NewServer(ntlm.Config{Computer: "HV01", Domain: "lab.example", Password: func(u, d string) (string, bool) {
		return password, strings.EqualFold(u, user) && (d == "" || strings.EqualFold(d, domain))
	}})
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

// logon runs a handshake with a real NTLM client library and returns both
// ends.
func logon(t *testing.T, srv *ntlm.Server, clientPassword string, clientBindings *ntlmssp.ChannelBindings, serverBindings []byte, tamper func([]byte)) (*ntlm.Session, *ntlmssp.SecuritySession, ntlm.Identity, error) {
	t.Helper()
	c, err := ntlmssp.NewClient(ntlmssp.SetUserInfo(user, clientPassword), ntlmssp.SetDomain(domain), ntlmssp.SetWorkstation("ADMIN-PC"))
	if err != nil {
		t.Fatal(err)
	}
	negotiate, err := c.Authenticate(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	h, challenge, err := srv.Challenge(negotiate)
	if err != nil {
		t.Fatalf("Challenge: %v", err)
	}
	authenticate, err := c.Authenticate(challenge, clientBindings)
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	if tamper != nil {
		tamper(authenticate)
	}
	sess, id, err := h.Authenticate(authenticate, serverBindings)
	return sess, c.SecuritySession(), id, err
}

func TestLogonAndSealBothWays(t *testing.T) {
	sess, client, id, err := logon(t, newServer(t), password, nil, nil, nil)
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	if id.User != user || id.Domain != domain || id.Workstation != "ADMIN-PC" {
		t.Errorf("identity %+v", id)
	}
	if u, d := sess.User(); u != user || d != domain || !sess.Sealing() {
		t.Errorf("session of %s\\%s, sealing %v", d, u, sess.Sealing())
	}
	for i := range 5 {
		msg := fmt.Appendf(nil, "<env:Envelope>request %d %s</env:Envelope>", i, strings.Repeat("x", i*1000))
		sealed, sig, err := client.Wrap(msg)
		if err != nil {
			t.Fatal(err)
		}
		got, err := sess.Unwrap(sig, sealed)
		if err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("server opened message %d: %q, %v", i, got, err)
		}
		reply := fmt.Appendf(nil, "<env:Envelope>response %d</env:Envelope>", i)
		sig, sealed, err = sess.Wrap(reply)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(sealed, []byte("response")) {
			t.Fatal("the reply is not sealed")
		}
		got, err = client.Unwrap(sealed, sig)
		if err != nil || !bytes.Equal(got, reply) {
			t.Fatalf("client opened reply %d: %q, %v", i, got, err)
		}
	}
	// A message changed in transit is refused.
	sealed, sig, _ := client.Wrap([]byte("<env:Envelope/>"))
	sealed[3] ^= 0x20
	if _, err := sess.Unwrap(sig, sealed); !errors.Is(err, ntlm.ErrSignature) {
		t.Errorf("tampered message: got %v, want ErrSignature", err)
	}
}

func TestLogonRefusals(t *testing.T) {
	cert := &x509.Certificate{Raw: []byte("certificate"), SignatureAlgorithm: x509.ECDSAWithSHA256}
	other := &x509.Certificate{Raw: []byte("another certificate"), SignatureAlgorithm: x509.ECDSAWithSHA256}
	ours := wsmv.TLSServerEndPoint(cert)
	bindings := func(c *x509.Certificate) *ntlmssp.ChannelBindings {
		return &ntlmssp.ChannelBindings{ApplicationData: wsmv.TLSServerEndPoint(c)}
	}
	for _, tc := range []struct {
		name           string
		password       string
		clientBindings *ntlmssp.ChannelBindings
		serverBindings []byte
		tamper         func([]byte)
		want           error
	}{
		{name: "right password", password: password},
		{name: "wrong password", password: password + "x", want: ntlm.ErrWrongPassword},
		{name: "bindings match", password: password, clientBindings: bindings(cert), serverBindings: ours},
		{name: "no bindings over tls (relaxed)", password: password, serverBindings: ours},
		{name: "bindings of another certificate", password: password, clientBindings: bindings(other), serverBindings: ours, want: ntlm.ErrChannelBindings},
		{name: "bindings with no channel to check", password: password, clientBindings: bindings(cert)},
		{name: "changed flags break the mic", password: password, tamper: func(m []byte) { m[60] ^= 0x10 }, want: ntlm.ErrMIC},
		{name: "changed workstation breaks the mic", password: password, tamper: func(m []byte) { m[bytes.Index(m, utf16le("ADMIN-PC"))] ^= 1 }, want: ntlm.ErrMIC},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sess, _, _, err := logon(t, newServer(t), tc.password, tc.clientBindings, tc.serverBindings, tc.tamper)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if (err == nil) != (sess != nil) {
				t.Errorf("session %v with error %v", sess, err)
			}
		})
	}
}

func TestChallengeMessage(t *testing.T) {
	c, _ := ntlmssp.NewClient(ntlmssp.SetUserInfo(user, password))
	negotiate, _ := c.Authenticate(nil, nil)
	_, challenge, err := newServer(t).Challenge(negotiate)
	if err != nil {
		t.Fatal(err)
	}
	flags := binary.LittleEndian.Uint32(challenge[20:])
	// Unicode, request target, sign, seal, NTLM, always sign, target type
	// domain, extended session security, target info, 128, key exchange, 56;
	// not version, which this client does not ask for.
	if want := uint32(0xe0898235); flags != want {
		t.Errorf("flags %#x, want %#x", flags, want)
	}
	for _, name := range []string{"LAB", "HV01", "lab.example", "hv01.lab.example"} {
		if !bytes.Contains(challenge, utf16le(name)) {
			t.Errorf("challenge does not name %q", name)
		}
	}
	for _, bad := range []struct {
		name string
		msg  []byte
		want error
	}{
		{"empty", nil, ntlm.ErrMalformed},
		{"authenticate instead", append([]byte("NTLMSSP\x00\x03\x00\x00\x00"), make([]byte, 8)...), ntlm.ErrMalformed},
		{"no character set", negotiateWith(0x00080000), ntlm.ErrUnsupported},
		{"no extended session security", negotiateWith(0x00000001), ntlm.ErrUnsupported},
	} {
		if _, _, err := newServer(t).Challenge(bad.msg); !errors.Is(err, bad.want) {
			t.Errorf("%s: got %v, want %v", bad.name, err, bad.want)
		}
	}
}

func negotiateWith(flags uint32) []byte {
	b := append([]byte("NTLMSSP\x00\x01\x00\x00\x00"), make([]byte, 24)...)
	binary.LittleEndian.PutUint32(b[12:], flags)
	return b
}

func utf16le(s string) []byte {
	var b []byte
	for _, r := range s {
		b = append(b, byte(r), 0)
	}
	return b
}
