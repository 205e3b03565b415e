package krb5

import (
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/crypto/etype"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/types"
)

// Wrap token layout (RFC 4121 section 4.2.6.2) and flags (section 4.2.2).
const (
	wrapHeaderLen      = 16
	flagSentByAcceptor = 0x01
	flagSealed         = 0x02
	flagAcceptorSubkey = 0x04
)

// sealer seals and opens the messages of one established context with
// RFC 4121 wrap tokens in the layout Windows expects for MS-WSMV
// (2.2.9.1.2.2): the "signature" is the 16-byte token header followed by
// the first RRC+confounder bytes of the right-rotated ciphertext, and the
// sealed data has the plaintext's length.
//
// For AES the token is header | E(confounder | plaintext | header) | HMAC
// with EC = 0 (AES-CTS needs no padding) and RRC = 16 + 12 = 28, so the
// encrypted header copy and the checksum come first after rotation and
// the signature is 16 + 28 + 16 = 60 bytes. This is what MIT's
// gss_wrap_iov writes for HEADER | DATA | PADDING without a TRAILER
// (k5sealv3iov.c, gss_krb5int_make_seal_token_v3_iov: rrc = 16 +
// k5_trailerlen, the header copy placed right after the token header),
// what pyspnego's wrap_winrm and pykerberos' authGSSWinRMEncryptMessage
// ask it for, and what MS-KILE 3.4.5.4.1 describes for GSS_WrapEx ("the
// token buffer contains the header with the rotated H1 that is placed
// before the encrypted confounder"). Windows clients set EC = 0 although
// MS-KILE says 16; a peer's EC is honoured on opening, rotated by RRC as
// RFC 4121 says or by RRC+EC as MS-KILE says.
type sealer struct {
	mu       sync.Mutex
	acceptor bool // this side is the acceptor
	// initiatorKey is the initiator's subkey, or the ticket's session key
	// when it sent none; acceptorKey is the acceptor's subkey from the
	// AP-REP, when there is one, and then both sides seal with it.
	initiatorKey types.EncryptionKey
	acceptorKey  *types.EncryptionKey
	sendSeq      uint64
	recvSeq      uint64
}

// sealable reports whether messages can be sealed with keys of keyType:
// RFC 4121 tokens need a "newer" encryption type. aes256-cts-hmac-sha384-192
// is left out: gokrb5 v8.4.4 gives its key size as 24 bytes instead of 32,
// so its subkeys would be wrong; Windows does not use it.
func sealable(keyType int32) bool {
	switch keyType {
	case 17, 18, 19: // aes128/256-cts-hmac-sha1-96, aes128-cts-hmac-sha256-128
		return true
	}
	return false
}

// sendKey is the key this side seals with and the token's flags.
func (s *sealer) sendKey() (types.EncryptionKey, byte, uint32) {
	var f byte = flagSealed
	usage := uint32(keyusage.GSSAPI_INITIATOR_SEAL)
	if s.acceptor {
		f |= flagSentByAcceptor
		usage = keyusage.GSSAPI_ACCEPTOR_SEAL
	}
	if s.acceptorKey != nil {
		return *s.acceptorKey, f | flagAcceptorSubkey, usage
	}
	return s.initiatorKey, f, usage
}

// Wrap seals plain and returns the signature and the sealed data.
func (s *sealer) Wrap(plain []byte) (signature, sealed []byte, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key, f, usage := s.sendKey()
	et, err := sealEtype(key.KeyType)
	if err != nil {
		return nil, nil, err
	}
	hdr := make([]byte, wrapHeaderLen)
	binary.BigEndian.PutUint16(hdr, 0x0504)
	hdr[2], hdr[3] = f, 0xff
	// EC = 0 and RRC = 0 in the header copy that is encrypted.
	binary.BigEndian.PutUint64(hdr[8:], s.sendSeq)
	msg := make([]byte, 0, len(plain)+wrapHeaderLen)
	msg = append(append(msg, plain...), hdr...)
	_, ct, err := et.EncryptMessage(key.KeyValue, msg, usage)
	if err != nil {
		return nil, nil, fmt.Errorf("seal: %w", err)
	}
	rrc := wrapHeaderLen + et.GetHMACBitLength()/8
	binary.BigEndian.PutUint16(hdr[6:], uint16(rrc))
	rotated := rotateRight(ct, rrc)
	cut := rrc + et.GetConfounderByteSize()
	signature = append(hdr, rotated[:cut]...)
	sealed = rotated[cut:]
	s.sendSeq++
	return signature, sealed, nil
}

// Unwrap checks a peer's wrap token (signature and sealed data) and
// returns the plaintext. It refuses a token sealed in this side's
// direction, unsealed, changed, or out of sequence.
func (s *sealer) Unwrap(signature, sealed []byte) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(signature) < wrapHeaderLen {
		return nil, fmt.Errorf("%w: wrap token of %d bytes", ErrMalformed, len(signature))
	}
	hdr := signature[:wrapHeaderLen]
	if binary.BigEndian.Uint16(hdr) != 0x0504 || hdr[3] != 0xff {
		return nil, fmt.Errorf("%w: not a wrap token", ErrMalformed)
	}
	f := hdr[2]
	if (f&flagSentByAcceptor != 0) == s.acceptor {
		return nil, fmt.Errorf("%w: the token was sealed in this side's direction", ErrIntegrity)
	}
	if f&flagSealed == 0 {
		return nil, fmt.Errorf("%w: the message is signed but not sealed", ErrIntegrity)
	}
	key := s.initiatorKey
	if f&flagAcceptorSubkey != 0 {
		if s.acceptorKey == nil {
			return nil, fmt.Errorf("%w: the token names an acceptor subkey the context does not have", ErrIntegrity)
		}
		key = *s.acceptorKey
	}
	usage := uint32(keyusage.GSSAPI_ACCEPTOR_SEAL)
	if s.acceptor {
		usage = keyusage.GSSAPI_INITIATOR_SEAL
	}
	et, err := sealEtype(key.KeyType)
	if err != nil {
		return nil, err
	}
	ec := int(binary.BigEndian.Uint16(hdr[4:]))
	rrc := int(binary.BigEndian.Uint16(hdr[6:]))
	seq := binary.BigEndian.Uint64(hdr[8:])
	body := make([]byte, 0, len(signature)-wrapHeaderLen+len(sealed))
	body = append(append(body, signature[wrapHeaderLen:]...), sealed...)
	min := et.GetConfounderByteSize() + ec + wrapHeaderLen + et.GetHMACBitLength()/8
	if len(body) < min {
		return nil, fmt.Errorf("%w: wrap token of %d bytes, want at least %d", ErrMalformed, len(body), min)
	}
	var plain []byte
	for _, r := range rotations(rrc, ec) {
		plain, err = et.DecryptMessage(key.KeyValue, rotateLeft(body, r), usage)
		if err == nil {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%w: the message was changed or sealed with another key", ErrIntegrity)
	}
	if len(plain) < ec+wrapHeaderLen {
		return nil, fmt.Errorf("%w: opened message too short", ErrMalformed)
	}
	copyHdr := plain[len(plain)-wrapHeaderLen:]
	if binary.BigEndian.Uint16(copyHdr) != 0x0504 || copyHdr[2] != f || copyHdr[3] != 0xff ||
		binary.BigEndian.Uint16(copyHdr[4:]) != uint16(ec) || binary.BigEndian.Uint64(copyHdr[8:]) != seq {
		return nil, fmt.Errorf("%w: the token header differs from its sealed copy", ErrIntegrity)
	}
	if seq != s.recvSeq {
		return nil, fmt.Errorf("%w: message %d, want %d", ErrSequence, seq, s.recvSeq)
	}
	s.recvSeq++
	return plain[:len(plain)-wrapHeaderLen-ec], nil
}

// rotations are the rotations to undo: RRC (RFC 4121), and RRC+EC as
// MS-KILE 3.4.5.4.1 says Windows rotates when EC is not zero.
func rotations(rrc, ec int) []int {
	if ec == 0 {
		return []int{rrc}
	}
	return []int{rrc, rrc + ec}
}

// sealEtype returns the encryption type of keys that can seal messages.
func sealEtype(keyType int32) (etype.EType, error) {
	if !sealable(keyType) {
		return nil, fmt.Errorf("%w: messages cannot be sealed with %s keys: allow aes256-cts-hmac-sha1-96 for the service account and the host (msDS-SupportedEncryptionTypes), or use HTTPS", ErrUnsupported, etypeName(keyType))
	}
	return crypto.GetEtype(keyType)
}

// rotateRight moves the last n bytes of b to its front (RFC 4121 4.2.5).
func rotateRight(b []byte, n int) []byte {
	if len(b) == 0 {
		return b
	}
	n %= len(b)
	out := make([]byte, 0, len(b))
	return append(append(out, b[len(b)-n:]...), b[:len(b)-n]...)
}

// rotateLeft undoes rotateRight.
func rotateLeft(b []byte, n int) []byte {
	if len(b) == 0 {
		return b
	}
	n %= len(b)
	out := make([]byte, 0, len(b))
	return append(append(out, b[n:]...), b[:n]...)
}

// etypeName names an encryption type, e.g. "aes256-cts-hmac-sha1-96".
func etypeName(id int32) string {
	switch id {
	case 17:
		return "aes128-cts-hmac-sha1-96"
	case 18:
		return "aes256-cts-hmac-sha1-96"
	case 19:
		return "aes128-cts-hmac-sha256-128"
	case 20:
		return "aes256-cts-hmac-sha384-192"
	case 23:
		return "rc4-hmac"
	case 24:
		return "rc4-hmac-exp"
	case 16:
		return "des3-cbc-sha1"
	case 1, 3:
		return "des-cbc"
	}
	return fmt.Sprintf("encryption type %d", id)
}
