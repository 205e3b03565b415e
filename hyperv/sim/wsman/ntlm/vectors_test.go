package ntlm

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"
)

// The NTLMv2 example of MS-NLMP section 4.2.4: user "User" in domain
// "Domain" with password "Password", server challenge 0123456789abcdef,
// client challenge aa×8, time 0, random session key 55×16, and a server
// whose target information names domain "Domain" and computer "Server".
var (
	specServerChallenge = [8]byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef}
	specFlags           = uint32(0xe28a8233)
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// specTemp is the example's NTLMv2 client "temp": the response header, a
// zero timestamp, the client challenge and the server's AV pairs.
func specTemp(t testing.TB) []byte {
	temp := unhex(t, "0101000000000000"+"0000000000000000"+"aaaaaaaaaaaaaaaa"+"00000000")
	pairs := avPairs{{avNbDomainName, toUTF16("Domain")}, {avNbComputerName, toUTF16("Server")}}
	temp = append(temp, pairs.marshal()...)
	return append(temp, 0, 0, 0, 0)
}

// authenticateMsg writes an AUTHENTICATE_MESSAGE with Version and room for
// a MIC, as test clients of this package need.
type authenticateMsg struct {
	flags                   uint32
	lm, nt, encryptedKey    []byte
	domain, user, computer  string
	mic                     []byte // nil: zeros
	omitVersionAndMIC       bool
	badOffset, oddUTF16User bool
	oem                     bool // strings in OEM, flags without Unicode
}

func (m authenticateMsg) marshal() []byte {
	head := micEnd
	if m.omitVersionAndMIC {
		head = authHeader
	}
	enc := toUTF16
	if m.oem {
		enc, m.flags = toOEM, m.flags&^flagUnicode|flagOEM
	}
	user := enc(m.user)
	if m.oddUTF16User {
		user = append(user, 'x')
	}
	parts := [][]byte{m.lm, m.nt, enc(m.domain), user, enc(m.computer), m.encryptedKey}
	b := make([]byte, head)
	copy(b, signature)
	b[8] = typeAuthenticate
	off := head
	for i, p := range parts {
		putField(b[12+8*i:], len(p), off)
		off += len(p)
	}
	if m.badOffset {
		putField(b[20:], len(m.nt), off+100)
	}
	b[60], b[61], b[62], b[63] = byte(m.flags), byte(m.flags>>8), byte(m.flags>>16), byte(m.flags>>24)
	if !m.omitVersionAndMIC {
		copy(b[authHeader:], version[:])
		copy(b[micOffset:], m.mic)
	}
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// specHandshake is a handshake that sent the example's challenge.
func specHandshake(t testing.TB) *Handshake {
	srv, err := NewServer(Config{Computer: "Server", Domain: "", Password: func(user, domain string) (string, bool) {
		return "Password", user == "User" && domain == "Domain"
	}})
	if err != nil {
		t.Fatal(err)
	}
	return &Handshake{srv: srv, serverChallenge: specServerChallenge, flags: specFlags}
}

func specAuthenticate(t testing.TB) authenticateMsg {
	return authenticateMsg{
		flags:        specFlags,
		lm:           unhex(t, "86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa"),
		nt:           append(unhex(t, "68cd0ab851e51c96aabc927bebef6a1c"), specTemp(t)...),
		encryptedKey: unhex(t, "c5dad2544fc9799094ce1ce90bc9d03e"),
		domain:       "Domain", user: "User", computer: "COMPUTER",
	}
}

func TestSpecExample(t *testing.T) {
	if got, want := ntowfv2("Password", "User", "Domain"), unhex(t, "0c868a403bfd7a93a3001ef22ef02e3f"); !bytes.Equal(got, want) {
		t.Fatalf("NTOWFv2 = %x, want %x", got, want)
	}
	h := specHandshake(t)
	sess, id, err := h.Authenticate(specAuthenticate(t).marshal(), nil)
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	if id != (Identity{User: "User", Domain: "Domain", Workstation: "COMPUTER"}) {
		t.Errorf("identity %+v", id)
	}
	// The example's client sealed "Plaintext" (UTF-16) as the first
	// message with the random session key 55×16 (MS-NLMP 4.2.4.4).
	plain, err := sess.Unwrap(unhex(t, "010000007fb38ec5c55d497600000000"), unhex(t, "54e50165bf1936dc996020c1811b0f06fb5f"))
	if err != nil {
		t.Fatalf("Unwrap: %v", err)
	}
	if !bytes.Equal(plain, toUTF16("Plaintext")) {
		t.Errorf("opened %q", plain)
	}
	// The same bytes again carry the wrong sequence number.
	if _, err := sess.Unwrap(unhex(t, "010000007fb38ec5c55d497600000000"), unhex(t, "54e50165bf1936dc996020c1811b0f06fb5f")); !errors.Is(err, ErrSignature) {
		t.Errorf("replayed message: got %v, want ErrSignature", err)
	}
}

func TestSpecExampleInOEM(t *testing.T) {
	m := specAuthenticate(t)
	m.oem = true
	h := specHandshake(t)
	h.flags = h.flags&^flagUnicode | flagOEM
	sess, id, err := h.Authenticate(m.marshal(), nil)
	if err != nil || id.User != "User" || id.Workstation != "COMPUTER" {
		t.Fatalf("Authenticate: %+v, %v", id, err)
	}
	if _, err := sess.Unwrap(unhex(t, "010000007fb38ec5c55d497600000000"), unhex(t, "54e50165bf1936dc996020c1811b0f06fb5f")); err != nil {
		t.Errorf("Unwrap: %v", err)
	}
}

func TestSpecExampleRefusals(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(*authenticateMsg)
		want error
	}{
		{"wrong proof", func(m *authenticateMsg) { m.nt[0] ^= 1 }, ErrWrongPassword},
		{"changed temp", func(m *authenticateMsg) { m.nt[len(m.nt)-5] ^= 1 }, ErrWrongPassword},
		{"unknown user", func(m *authenticateMsg) { m.user = "Other" }, ErrUnknownUser},
		{"other domain", func(m *authenticateMsg) { m.domain = "DOMAIN2" }, ErrUnknownUser},
		{"ntlmv1", func(m *authenticateMsg) { m.nt = m.nt[:24] }, ErrUnsupported},
		{"anonymous", func(m *authenticateMsg) { m.nt = nil }, ErrUnsupported},
		{"oem strings read as oem", func(m *authenticateMsg) { m.flags &^= flagUnicode }, ErrUnknownUser},
		{"short session key", func(m *authenticateMsg) { m.encryptedKey = m.encryptedKey[:8] }, ErrMalformed},
		{"field out of bounds", func(m *authenticateMsg) { m.badOffset = true }, ErrMalformed},
		{"odd utf-16", func(m *authenticateMsg) { m.oddUTF16User = true }, ErrMalformed},
		{"not ntlmv2", func(m *authenticateMsg) { m.nt[16] = 2 }, ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := specAuthenticate(t)
			tc.mod(&m)
			sess, _, err := specHandshake(t).Authenticate(m.marshal(), nil)
			if !errors.Is(err, tc.want) || sess != nil {
				t.Errorf("got %v, %v; want %v", sess, err, tc.want)
			}
		})
	}
}
