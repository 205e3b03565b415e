package ntlm

import (
	"testing"
)

// FuzzNegotiate feeds NEGOTIATE_MESSAGEs to Challenge: it must refuse or
// answer, never panic.
func FuzzNegotiate(f *testing.F) {
	f.Add([]byte("NTLMSSP\x00\x01\x00\x00\x00\x35\x82\x08\xe2" + "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
	f.Add([]byte("NTLMSSP\x00\x01\x00\x00\x00"))
	srv, err := NewServer(Config{Computer: "HV01", Domain: "lab.example", Password: func(string, string) (string, bool) { return "", false }})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		h, challenge, err := srv.Challenge(msg)
		if err == nil && (h == nil || len(challenge) < 56) {
			t.Fatalf("no handshake or a short challenge without an error")
		}
	})
}

// FuzzAuthenticate feeds AUTHENTICATE_MESSAGEs and AV pairs to the parsers
// and the verifier: they must refuse or accept, never panic, and never
// accept anything but the right proof.
func FuzzAuthenticate(f *testing.F) {
	f.Add(specAuthenticate(f).marshal())
	m := specAuthenticate(f)
	m.omitVersionAndMIC = true
	f.Add(m.marshal())
	f.Add([]byte("NTLMSSP\x00\x03\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		_, _ = parseAVPairs(msg)
		sess, _, err := specHandshake(t).Authenticate(msg, []byte("tls-server-end-point:x"))
		if err == nil && sess == nil {
			t.Fatal("no session without an error")
		}
	})
}
