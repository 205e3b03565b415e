package wsman

import (
	"bytes"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hvbalancer/hvbalancer/hyperv/internal/wsmv"
)

// fakeKerberos stands in for a real acceptor (a keytab and RFC 4121): it
// accepts a GSS-API Kerberos token around "AP-REQ <principal>" and answers
// "AP-REP". The point is the service's plumbing, not Kerberos.
type fakeKerberos struct{}

func (fakeKerberos) Accept(tok []byte) (SecurityContext, []byte, string, error) {
	_, inner, err := gssToken(tok)
	principal, ok := strings.CutPrefix(string(inner), "AP-REQ ")
	switch {
	case err != nil || !ok:
		return nil, nil, "", errors.New("bad ticket")
	case strings.HasPrefix(principal, "skewed@"):
		return nil, gssWrap(oidKrb5, []byte("KRB-ERROR skew")), "", errors.New("clock skew too great")
	}
	return &xorContext{}, gssWrap(oidKrb5, []byte("AP-REP")), principal, nil
}

// xorContext is a toy context, the same on both ends: XOR with a counter
// and a SHA-256 signature.
type xorContext struct{ seq byte }

func (x *xorContext) Wrap(plain []byte) ([]byte, []byte, error) {
	x.seq++
	sum := sha256.Sum256(append([]byte{x.seq}, plain...))
	out := bytes.Clone(plain)
	for i := range out {
		out[i] ^= x.seq
	}
	return sum[:16], out, nil
}

func (x *xorContext) Unwrap(sig, sealed []byte) ([]byte, error) {
	x.seq++
	out := bytes.Clone(sealed)
	for i := range out {
		out[i] ^= x.seq
	}
	if sum := sha256.Sum256(append([]byte{x.seq}, out...)); !bytes.Equal(sum[:16], sig) {
		return nil, errors.New("bad signature")
	}
	return out, nil
}

func krbToken(principal string) []byte { return gssWrap(oidKrb5, []byte("AP-REQ "+principal)) }

func TestKerberos(t *testing.T) {
	create := soapEnvelope(hdr{Action: actionCreate}, createBody)
	apReq := krbToken(testUser + "@LAB.EXAMPLE")
	spnegoInit := func() []byte {
		type init struct {
			MechTypes []asn1.ObjectIdentifier `asn1:"explicit,tag:0"`
			MechToken []byte                  `asn1:"explicit,tag:2"`
		}
		inner, _ := asn1.MarshalWithParams(init{[]asn1.ObjectIdentifier{oidMSKrb5, oidKrb5, oidNTLM}, apReq}, "explicit,tag:0")
		return gssWrap(oidSPNEGO, inner)
	}()
	for _, tc := range []struct {
		name     string
		scheme   string
		token    []byte
		protocol string
		spnego   bool
	}{
		{"kerberos scheme", "Kerberos", apReq, wsmv.ProtocolKerberos, false},
		{"raw kerberos in negotiate", "Negotiate", apReq, wsmv.ProtocolSPNEGO, false},
		{"spnego", "Negotiate", spnegoInit, wsmv.ProtocolSPNEGO, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			accounts := &recordingAccounts{user: testUser, password: testPassword}
			_, ts := newAuthServer(t, Auth{Accounts: accounts, Kerberos: fakeKerberos{}}, false, exitRunner("", "", 0))
			c := dialRaw(t, ts)
			resp, body := c.post(nil, "", tc.scheme+" "+base64.StdEncoding.EncodeToString(tc.token))
			if resp.StatusCode != http.StatusOK || len(body) != 0 {
				t.Fatalf("status %d %q", resp.StatusCode, body)
			}
			reply := serverToken(t, resp, tc.scheme)
			if tc.spnego {
				nt, err := parseNegTokenResp(reply)
				if err != nil || nt.NegState != acceptCompleted || !nt.SupportedMech.Equal(oidMSKrb5) {
					t.Fatalf("spnego reply %+v, %v", nt, err)
				}
				reply = nt.ResponseToken
			}
			if _, inner, _ := gssToken(reply); string(inner) != "AP-REP" {
				t.Errorf("mutual authentication token %q", reply)
			}
			ctx := &xorContext{}
			sealed, _ := wsmv.Encrypt(ctx, tc.protocol, []byte(create))
			resp, body = c.post(sealed, wsmv.ContentType(tc.protocol), "")
			if p, _ := wsmv.Protocol(resp.Header.Get("Content-Type")); resp.StatusCode != http.StatusOK || p != tc.protocol {
				t.Fatalf("sealed Create: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			if out, err := wsmv.Decrypt(ctx, body); err != nil || !bytes.Contains(out, []byte("ShellId")) {
				t.Errorf("answer %q, %v", out, err)
			}
			if diff := cmp.Diff([]string{testUser + "/LAB.EXAMPLE/good"}, accounts.recorded()); diff != "" {
				t.Errorf("logons (-want +got):\n%s", diff)
			}
		})
	}
}

func TestKerberosRefusals(t *testing.T) {
	create := []byte(soapEnvelope(hdr{Action: actionCreate}, createBody))
	kerb := func(principal string) string {
		return "Kerberos " + base64.StdEncoding.EncodeToString(krbToken(principal))
	}
	for _, tc := range []struct {
		name          string
		auth          Auth
		authorization string
		body          []byte
		want          int
		locked        bool
	}{
		{"no acceptor", Auth{}, kerb(testUser + "@LAB.EXAMPLE"), nil, http.StatusUnauthorized, false},
		{"scheme disabled", Auth{Schemes: []Scheme{Negotiate}, Kerberos: fakeKerberos{}}, kerb(testUser + "@LAB.EXAMPLE"), nil, http.StatusUnauthorized, false},
		{"bad ticket", Auth{Kerberos: fakeKerberos{}}, "Kerberos " + base64.StdEncoding.EncodeToString(gssWrap(oidKrb5, []byte("junk"))), nil, http.StatusUnauthorized, false},
		{"ntlm in the kerberos scheme", Auth{Kerberos: fakeKerberos{}}, "Kerberos " + base64.StdEncoding.EncodeToString([]byte("NTLMSSP\x00\x01\x00\x00\x00")), nil, http.StatusUnauthorized, false},
		{"not base64", Auth{Kerberos: fakeKerberos{}}, "Kerberos !!!", nil, http.StatusUnauthorized, false},
		{"clock skew", Auth{Kerberos: fakeKerberos{}}, kerb("skewed@LAB.EXAMPLE"), nil, http.StatusUnauthorized, false},
		{"locked account", Auth{Kerberos: fakeKerberos{}}, kerb(testUser + "@LAB.EXAMPLE"), nil, http.StatusUnauthorized, true},
		{"unencrypted message on the ticket's request", Auth{Kerberos: fakeKerberos{}}, kerb(testUser + "@LAB.EXAMPLE"), create, http.StatusInternalServerError, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			accounts := &recordingAccounts{user: testUser, password: testPassword, locked: tc.locked}
			tc.auth.Accounts = accounts
			_, ts := newAuthServer(t, tc.auth, false, exitRunner("", "", 0))
			resp, body := dialRaw(t, ts).post(tc.body, soapType, tc.authorization)
			if resp.StatusCode != tc.want || len(body) != 0 {
				t.Errorf("status %d %q, want %d and no body", resp.StatusCode, body, tc.want)
			}
			// The acceptor's error token goes back with the refusal; other
			// refusals carry the service's challenges.
			if _, inner, _ := gssToken(serverToken(t, resp, "Kerberos")); tc.name == "clock skew" && string(inner) != "KRB-ERROR skew" {
				t.Errorf("refusal headers %q, want the KRB-ERROR", resp.Header.Values("WWW-Authenticate"))
			}
		})
	}
}
