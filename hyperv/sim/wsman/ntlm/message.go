package ntlm

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf16"
)

// signature starts every NTLM message (MS-NLMP 2.2.1).
const signature = "NTLMSSP\x00"

// Message types.
const (
	typeNegotiate    = 1
	typeChallenge    = 2
	typeAuthenticate = 3
)

// Negotiate flags (MS-NLMP 2.2.2.5).
const (
	flagUnicode                 uint32 = 0x00000001
	flagOEM                     uint32 = 0x00000002
	flagRequestTarget           uint32 = 0x00000004
	flagSign                    uint32 = 0x00000010
	flagSeal                    uint32 = 0x00000020
	flagDatagram                uint32 = 0x00000040
	flagNTLM                    uint32 = 0x00000200
	flagAnonymous               uint32 = 0x00000800
	flagAlwaysSign              uint32 = 0x00008000
	flagTargetTypeDomain        uint32 = 0x00010000
	flagExtendedSessionSecurity uint32 = 0x00080000
	flagTargetInfo              uint32 = 0x00800000
	flagVersion                 uint32 = 0x02000000
	flag128                     uint32 = 0x20000000
	flagKeyExch                 uint32 = 0x40000000
	flag56                      uint32 = 0x80000000
)

// echoed are the flags a CHALLENGE_MESSAGE grants when the client asks for
// them; the others it sets itself (see Server.Challenge). The character
// set is chosen apart.
const echoed = flagSign | flagSeal | flagAlwaysSign | flagExtendedSessionSecurity | flagVersion | flag128 | flagKeyExch | flag56

// AV_PAIR identifiers (MS-NLMP 2.2.2.1).
const (
	avEOL             = 0
	avNbComputerName  = 1
	avNbDomainName    = 2
	avDNSComputerName = 3
	avDNSDomainName   = 4
	avFlags           = 6
	avTimestamp       = 7
	avChannelBindings = 10
)

// avFlagMIC is the MsvAvFlags bit saying the AUTHENTICATE_MESSAGE carries
// a MIC.
const avFlagMIC = 0x2

// Offsets in an AUTHENTICATE_MESSAGE: the fixed header, then Version (8
// bytes) and the MIC (16 bytes) when the client sends one.
const (
	micOffset  = 72
	micEnd     = micOffset + 16
	authHeader = 64
)

// ErrMalformed marks a message that cannot be parsed.
var ErrMalformed = errors.New("malformed ntlm message")

// le32 reads a little-endian uint32 at off; the caller checked the length.
func le32(b []byte, off int) uint32 { return binary.LittleEndian.Uint32(b[off:]) }

// header checks a message's signature and type.
func header(msg []byte, want uint32, minLen int) error {
	if len(msg) < minLen || string(msg[:8]) != signature {
		return fmt.Errorf("%w: not an ntlm message", ErrMalformed)
	}
	if t := le32(msg, 8); t != want {
		return fmt.Errorf("%w: message type %d, want %d", ErrMalformed, t, want)
	}
	return nil
}

// field returns the bytes a (length, max length, offset) descriptor at off
// points to.
func field(msg []byte, off int) ([]byte, error) {
	n := int(binary.LittleEndian.Uint16(msg[off:]))
	start := uint64(le32(msg, off+4))
	if n == 0 {
		return nil, nil
	}
	if start > uint64(len(msg)) || uint64(n) > uint64(len(msg))-start {
		return nil, fmt.Errorf("%w: field at offset %d points outside the message", ErrMalformed, off)
	}
	return msg[start : start+uint64(n)], nil
}

// parseNegotiate returns the flags of a NEGOTIATE_MESSAGE (MS-NLMP 2.2.1.1).
// The domain and workstation it may carry are not used.
func parseNegotiate(msg []byte) (uint32, error) {
	if err := header(msg, typeNegotiate, 16); err != nil {
		return 0, err
	}
	return le32(msg, 12), nil
}

// avPairs is a parsed AV_PAIR list, in order.
type avPairs []avPair

type avPair struct {
	id    uint16
	value []byte
}

// get returns the value of the first pair with id.
func (p avPairs) get(id uint16) ([]byte, bool) {
	for _, a := range p {
		if a.id == id {
			return a.value, true
		}
	}
	return nil, false
}

// marshal writes the pairs and the closing MsvAvEOL.
func (p avPairs) marshal() []byte {
	var b []byte
	for _, a := range p {
		b = binary.LittleEndian.AppendUint16(b, a.id)
		b = binary.LittleEndian.AppendUint16(b, uint16(len(a.value)))
		b = append(b, a.value...)
	}
	return append(b, 0, 0, 0, 0)
}

// parseAVPairs reads AV_PAIRs up to MsvAvEOL; what follows it (padding) is
// ignored.
func parseAVPairs(b []byte) (avPairs, error) {
	var out avPairs
	for {
		if len(b) < 4 {
			return nil, fmt.Errorf("%w: av pairs end without MsvAvEOL", ErrMalformed)
		}
		id, n := binary.LittleEndian.Uint16(b), int(binary.LittleEndian.Uint16(b[2:]))
		b = b[4:]
		if id == avEOL {
			return out, nil
		}
		if n > len(b) {
			return nil, fmt.Errorf("%w: av pair %d is longer than the message", ErrMalformed, id)
		}
		out = append(out, avPair{id: id, value: b[:n]})
		b = b[n:]
	}
}

// authenticateMessage is a parsed AUTHENTICATE_MESSAGE (MS-NLMP 2.2.1.3).
type authenticateMessage struct {
	lm, nt       []byte
	domain, user string
	workstation  string
	encryptedKey []byte
	flags        uint32
}

func parseAuthenticate(msg []byte) (*authenticateMessage, error) {
	if err := header(msg, typeAuthenticate, authHeader); err != nil {
		return nil, err
	}
	a := &authenticateMessage{flags: le32(msg, 60)}
	decode := fromUTF16
	if a.flags&flagUnicode == 0 {
		decode = fromOEM
	}
	var names [3][]byte
	var err error
	for i, dst := range []*[]byte{&a.lm, &a.nt, &names[0], &names[1], &names[2], &a.encryptedKey} {
		if *dst, err = field(msg, 12+8*i); err != nil {
			return nil, err
		}
	}
	for i, dst := range []*string{&a.domain, &a.user, &a.workstation} {
		if *dst, err = decode(names[i]); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// fromUTF16 decodes UTF-16LE.
func fromUTF16(b []byte) (string, error) {
	if len(b)%2 != 0 {
		return "", fmt.Errorf("%w: a UTF-16 string of odd length", ErrMalformed)
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u)), nil
}

// fromOEM decodes an OEM string. The code page is the client's; names in
// ASCII, as user and domain names are, read the same in all of them.
func fromOEM(b []byte) (string, error) {
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r), nil
}

// toOEM encodes s for a client that negotiated OEM strings.
func toOEM(s string) []byte {
	var b []byte
	for _, r := range s {
		if r > 0xff {
			r = '?'
		}
		b = append(b, byte(r))
	}
	return b
}

// toUTF16 encodes s as UTF-16LE.
func toUTF16(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	return b
}

// challengeMessage writes a CHALLENGE_MESSAGE (MS-NLMP 2.2.1.2): header,
// Version, then the target name and the target information.
func challengeMessage(flags uint32, serverChallenge [8]byte, targetName string, targetInfo []byte, version [8]byte) []byte {
	const payload = 56
	name := toUTF16(targetName)
	if flags&flagUnicode == 0 {
		name = toOEM(targetName)
	}
	b := make([]byte, payload, payload+len(name)+len(targetInfo))
	copy(b, signature)
	binary.LittleEndian.PutUint32(b[8:], typeChallenge)
	putField(b[12:], len(name), payload)
	binary.LittleEndian.PutUint32(b[20:], flags)
	copy(b[24:], serverChallenge[:])
	putField(b[40:], len(targetInfo), payload+len(name))
	copy(b[48:], version[:])
	b = append(b, name...)
	return append(b, targetInfo...)
}

// putField writes a (length, max length, offset) descriptor.
func putField(b []byte, n, offset int) {
	binary.LittleEndian.PutUint16(b, uint16(n))
	binary.LittleEndian.PutUint16(b[2:], uint16(n))
	binary.LittleEndian.PutUint32(b[4:], uint32(offset))
}
