package hyperv

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseChallenges(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		want   []challenge
	}{
		{"windows 401", []string{"Negotiate", `Basic realm="WSMAN"`},
			[]challenge{{scheme: "Negotiate"}, {scheme: "Basic", params: []string{`realm="WSMAN"`}}}},
		{"token", []string{"Negotiate TlRMTVNTUAACAAAADAAMADgAAAA1gonigg=="},
			[]challenge{{scheme: "Negotiate", token: "TlRMTVNTUAACAAAADAAMADgAAAA1gonigg=="}}},
		{"one header", []string{`Negotiate, Basic realm="a, b", charset="UTF-8", Kerberos`},
			[]challenge{{scheme: "Negotiate"}, {scheme: "Basic", params: []string{`realm="a, b"`, `charset="UTF-8"`}}, {scheme: "Kerberos"}}},
		{"token then scheme", []string{"Negotiate YQ==, Basic"},
			[]challenge{{scheme: "Negotiate", token: "YQ=="}, {scheme: "Basic"}}},
		{"escaped quote", []string{`Basic realm="a\", b"`},
			[]challenge{{scheme: "Basic", params: []string{`realm="a\", b"`}}}},
		{"empty", []string{"", " , "}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := parseChallenges(tc.values)
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(challenge{})); diff != "" {
				t.Errorf("parseChallenges(%q) (-want +got):\n%s", tc.values, diff)
			}
		})
	}
}

func TestFindChallenge(t *testing.T) {
	tests := []struct {
		name        string
		values      []string
		wantToken   []byte
		wantOffered bool
		wantErr     bool
	}{
		{"bare", []string{"Negotiate", "Basic"}, nil, true, false},
		{"case", []string{"negotiate YWJj"}, []byte("abc"), true, false},
		{"unpadded", []string{"Negotiate YWI"}, []byte("ab"), true, false},
		{"absent", []string{`Basic realm="WSMAN"`}, nil, false, false},
		{"garbage", []string{"Negotiate !!!"}, nil, true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok, offered, err := findChallenge(tc.values, "Negotiate")
			if !bytes.Equal(tok, tc.wantToken) || offered != tc.wantOffered || (err != nil) != tc.wantErr {
				t.Errorf("findChallenge = %q, %t, %v", tok, offered, err)
			}
		})
	}
	if got := offeredSchemes([]string{"Negotiate", `Basic realm="x"`}); got != "Negotiate, Basic" {
		t.Errorf("offeredSchemes = %q", got)
	}
	if got := offeredSchemes(nil); got != "none" {
		t.Errorf("offeredSchemes(nil) = %q", got)
	}
}

func TestSplitNTLMUser(t *testing.T) {
	tests := []struct{ in, user, domain string }{
		{`LAB\svc-hv`, "svc-hv", "LAB"},
		{"svc-hv@lab.example", "svc-hv@lab.example", ""},
		{"Administrator", "Administrator", ""},
	}
	for _, tc := range tests {
		if u, d := splitNTLMUser(tc.in); u != tc.user || d != tc.domain {
			t.Errorf("splitNTLMUser(%q) = %q, %q", tc.in, u, d)
		}
	}
}

func TestChannelBindings(t *testing.T) {
	raw := []byte("certificate bytes")
	s256, s512 := sha256.Sum256(raw), sha512.Sum512(raw)
	tests := []struct {
		alg  x509.SignatureAlgorithm
		hash []byte
	}{
		{x509.SHA1WithRSA, s256[:]}, // RFC 5929: SHA-1 and MD5 become SHA-256
		{x509.MD5WithRSA, s256[:]},
		{x509.ECDSAWithSHA256, s256[:]},
		{x509.SHA512WithRSA, s512[:]},
		{x509.PureEd25519, s256[:]},
	}
	for _, tc := range tests {
		cb := channelBindings(&x509.Certificate{Raw: raw, SignatureAlgorithm: tc.alg})
		want := append([]byte("tls-server-end-point:"), tc.hash...)
		if !bytes.Equal(cb.ApplicationData, want) || cb.InitiatorAddrtype != 0 || cb.AcceptorAddress != nil {
			t.Errorf("%s: bindings %x, want %x", tc.alg, cb.ApplicationData, want)
		}
	}
}

func TestNTLMAuthSequence(t *testing.T) {
	a, err := newNTLMAuth(`LAB\svc`, testPassword, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Wrap([]byte("x")); err == nil {
		t.Error("Wrap before the handshake succeeded")
	}
	if err := a.finish(nil); err == nil {
		t.Error("finish before AUTHENTICATE succeeded")
	}
	neg, err := a.start()
	if err != nil || !bytes.HasPrefix(neg, []byte("NTLMSSP\x00\x01\x00\x00\x00")) {
		t.Fatalf("start = %x, %v; want a NEGOTIATE message", neg, err)
	}
	if _, err := a.next([]byte("not a challenge")); err == nil || errors.Is(err, errHandshakeDone) {
		t.Errorf("next(garbage) = %v", err)
	}
}
