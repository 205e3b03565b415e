package ntlm

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rc4"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/hvbalancer/hvbalancer/hyperv/internal/wsmv"
	//lint:ignore SA1019 NTOWF is MD4 by definition (MS-NLMP 3.3.2): compatibility, not security
	"golang.org/x/crypto/md4"
)

// SignatureSize is the size of an NTLMSSP_MESSAGE_SIGNATURE.
const SignatureSize = 16

// ErrSignature marks a message whose signature or sequence number is wrong.
var ErrSignature = errors.New("ntlm message signature does not match")

// Key derivation constants (MS-NLMP 3.4.5.2 and 3.4.5.3).
const (
	clientSigning = "session key to client-to-server signing key magic constant\x00"
	serverSigning = "session key to server-to-client signing key magic constant\x00"
	clientSealing = "session key to client-to-server sealing key magic constant\x00"
	serverSealing = "session key to server-to-client sealing key magic constant\x00"
)

// Session is the server side of an established NTLM security context:
// it signs and seals what the server sends (server-to-client keys) and
// checks and opens what the client sends (client-to-server keys), each
// direction with its own sequence number, as MS-NLMP 3.4 describes for
// connection-oriented NTLM with extended session security.
//
// It implements the Sealer of MS-WSMV message encryption. A Session is not
// safe for concurrent use: every call advances the RC4 streams.
type Session struct {
	flags           uint32
	user, domain    string
	signOut, signIn []byte
	sealOut, sealIn *rc4.Cipher
	seqOut, seqIn   uint32
}

var _ wsmv.Sealer = (*Session)(nil)

// newSession derives the keys of a server-side session (MS-NLMP 3.4.5).
func newSession(flags uint32, exportedKey []byte, user, domain string) *Session {
	sealBase := exportedKey
	switch {
	case flags&flag128 != 0:
	case flags&flag56 != 0:
		sealBase = exportedKey[:7]
	default:
		sealBase = exportedKey[:5]
	}
	derive := func(base []byte, magic string) []byte {
		h := md5.New()
		h.Write(base)
		h.Write([]byte(magic))
		return h.Sum(nil)
	}
	out, _ := rc4.NewCipher(derive(sealBase, serverSealing))
	in, _ := rc4.NewCipher(derive(sealBase, clientSealing))
	return &Session{
		flags:   flags,
		user:    user,
		domain:  domain,
		signOut: derive(exportedKey, serverSigning),
		signIn:  derive(exportedKey, clientSigning),
		sealOut: out,
		sealIn:  in,
	}
}

// User returns the user and domain names the client authenticated as,
// as it sent them.
func (s *Session) User() (user, domain string) { return s.user, s.domain }

// Sealing reports whether the client negotiated confidentiality
// (NTLMSSP_NEGOTIATE_SEAL): without it, Wrap and Unwrap fail.
func (s *Session) Sealing() bool { return s.flags&flagSeal != 0 }

// Wrap seals plain for the client and returns the signature and the
// sealed bytes (MS-NLMP 3.4.3: RC4 over the message, then the MAC of the
// plain message with the same RC4 stream).
func (s *Session) Wrap(plain []byte) (sig, sealed []byte, err error) {
	if !s.Sealing() {
		return nil, nil, errors.New("seal ntlm message: confidentiality was not negotiated")
	}
	sealed = make([]byte, len(plain))
	s.sealOut.XORKeyStream(sealed, plain)
	sig = s.mac(s.sealOut, s.signOut, s.seqOut, plain)
	s.seqOut++
	return sig, sealed, nil
}

// Unwrap opens what the client sealed and checks its signature and
// sequence number. After a failure the context is out of step for good.
func (s *Session) Unwrap(sig, sealed []byte) ([]byte, error) {
	if !s.Sealing() {
		return nil, errors.New("open ntlm message: confidentiality was not negotiated")
	}
	if len(sig) != SignatureSize {
		return nil, fmt.Errorf("open ntlm message: signature of %d bytes, want %d", len(sig), SignatureSize)
	}
	plain := make([]byte, len(sealed))
	s.sealIn.XORKeyStream(plain, sealed)
	if err := s.check(plain, sig); err != nil {
		return nil, fmt.Errorf("open ntlm message: %w", err)
	}
	return plain, nil
}

// MakeSignature returns the signature of msg without sealing it
// (GSS_GetMIC, as SPNEGO's mechListMIC uses it).
func (s *Session) MakeSignature(msg []byte) []byte {
	sig := s.mac(s.sealOut, s.signOut, s.seqOut, msg)
	s.seqOut++
	return sig
}

// VerifySignature checks the client's signature of msg (GSS_VerifyMIC).
func (s *Session) VerifySignature(msg, sig []byte) error {
	if len(sig) != SignatureSize {
		return fmt.Errorf("%w: %d bytes, want %d", ErrSignature, len(sig), SignatureSize)
	}
	return s.check(msg, sig)
}

// check compares sig with the MAC the client must have made of plain
// under the next incoming sequence number, and advances it.
func (s *Session) check(plain, sig []byte) error {
	want := s.mac(s.sealIn, s.signIn, s.seqIn, plain)
	s.seqIn++
	if subtle.ConstantTimeCompare(want, sig) != 1 {
		return ErrSignature
	}
	return nil
}

// mac computes an NTLMSSP_MESSAGE_SIGNATURE with extended session
// security (MS-NLMP 3.4.4.2): version 1, the first 8 bytes of
// HMAC-MD5(signing key, seq ‖ message), RC4-encrypted when keys were
// exchanged, and the sequence number.
func (s *Session) mac(handle *rc4.Cipher, key []byte, seq uint32, msg []byte) []byte {
	var seqBytes [4]byte
	binary.LittleEndian.PutUint32(seqBytes[:], seq)
	h := hmac.New(md5.New, key)
	h.Write(seqBytes[:])
	h.Write(msg)
	checksum := h.Sum(nil)[:8]
	if s.flags&flagKeyExch != 0 {
		handle.XORKeyStream(checksum, checksum)
	}
	sig := make([]byte, 0, SignatureSize)
	sig = binary.LittleEndian.AppendUint32(sig, 1)
	sig = append(sig, checksum...)
	return append(sig, seqBytes[:]...)
}

// ntowfv2 is NTOWFv2 (MS-NLMP 3.3.2): HMAC-MD5 keyed with the MD4 of the
// UTF-16 password, over the upper-cased user name and the domain as sent.
func ntowfv2(password, user, domain string) []byte {
	h := md4.New()
	h.Write(toUTF16(password))
	return hmacMD5(h.Sum(nil), toUTF16(strings.ToUpper(user)+domain))
}

func hmacMD5(key []byte, parts ...[]byte) []byte {
	h := hmac.New(md5.New, key)
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}
