package krb5

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/spnego"
)

// Mechanism OIDs.
var (
	oidKRB5   = asn1.ObjectIdentifier{1, 2, 840, 113554, 1, 2, 2} // RFC 1964
	oidMSKRB5 = asn1.ObjectIdentifier{1, 2, 840, 48018, 1, 2, 2}  // Microsoft's, as Windows lists it first
	oidSPNEGO = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 2}        // RFC 4178
)

// Token IDs of krb5 context tokens (RFC 4121 section 4.1).
const (
	tokAPReq uint16 = 0x0100
	tokAPRep uint16 = 0x0200
	tokError uint16 = 0x0300
)

// SPNEGO negotiation states (RFC 4178 section 4.2.2).
const (
	negAcceptCompleted = 0
	negReject          = 2
)

// contextToken is a krb5 context token taken out of its framing.
type contextToken struct {
	id  uint16
	msg []byte // the Kerberos message: AP-REQ, AP-REP or KRB-ERROR
	// spnego is set when the token came inside SPNEGO; mech is then the
	// mechanism to name in the answer (the initiator's first), and state
	// the acceptor's negState.
	spnego bool
	mech   asn1.ObjectIdentifier
	state  int
}

// frameKRB5 puts a Kerberos message in the GSS-API framing of a krb5
// context token: [APPLICATION 0] { krb5 OID, token ID, message } (RFC
// 2743 section 3.1, RFC 4121 section 4.1).
func frameKRB5(id uint16, msg []byte) []byte {
	oid, _ := asn1.Marshal(oidKRB5)
	inner := make([]byte, 0, len(oid)+2+len(msg))
	inner = append(inner, oid...)
	inner = binary.BigEndian.AppendUint16(inner, id)
	inner = append(inner, msg...)
	return appendTLV(nil, 0x60, inner)
}

// spnegoInit wraps an AP-REQ token in an SPNEGO NegTokenInit that offers
// krb5 only, with the token as the optimistic mechToken.
func spnegoInit(krb5Token []byte) ([]byte, error) {
	t := spnego.SPNEGOToken{Init: true, NegTokenInit: spnego.NegTokenInit{
		MechTypes:      []asn1.ObjectIdentifier{oidKRB5},
		MechTokenBytes: krb5Token,
	}}
	return t.Marshal()
}

// spnegoResp wraps an acceptor's krb5 token in an SPNEGO NegTokenResp.
func spnegoResp(state int, mech asn1.ObjectIdentifier, krb5Token []byte) ([]byte, error) {
	t := spnego.SPNEGOToken{Resp: true, NegTokenResp: spnego.NegTokenResp{
		NegState:      asn1.Enumerated(state),
		SupportedMech: mech,
		ResponseToken: krb5Token,
	}}
	return t.Marshal()
}

// parseToken takes a krb5 context token out of its framing: a GSS krb5
// token, or one inside an SPNEGO NegTokenInit (an initiator's) or
// NegTokenResp (an acceptor's).
func parseToken(b []byte) (contextToken, error) {
	if len(b) == 0 {
		return contextToken{}, fmt.Errorf("%w: empty token", ErrMalformed)
	}
	if b[0] == 0xa1 { // NegTokenResp, which has no GSS framing
		return parseSPNEGO(b)
	}
	oid, inner, err := parseFraming(b)
	if err != nil {
		return contextToken{}, err
	}
	switch {
	case oid.Equal(oidSPNEGO):
		return parseSPNEGO(b)
	case oid.Equal(oidKRB5), oid.Equal(oidMSKRB5):
		if len(inner) < 2 {
			return contextToken{}, fmt.Errorf("%w: krb5 token without a token id", ErrMalformed)
		}
		return contextToken{id: binary.BigEndian.Uint16(inner), msg: inner[2:]}, nil
	}
	return contextToken{}, fmt.Errorf("%w: mechanism %s is not Kerberos", ErrMalformed, oid)
}

// parseSPNEGO takes the krb5 token out of an SPNEGO token.
func parseSPNEGO(b []byte) (ct contextToken, err error) {
	defer func() {
		// The ASN.1 decoder of the SPNEGO types has panicked on hostile
		// input; a token from the network must not stop the process.
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: spnego token: %v", ErrMalformed, r)
		}
	}()
	var t spnego.SPNEGOToken
	if err := t.Unmarshal(b); err != nil {
		return contextToken{}, fmt.Errorf("%w: spnego token: %v", ErrMalformed, err)
	}
	var mt []byte
	ct.spnego = true
	switch {
	case t.Init:
		if len(t.NegTokenInit.MechTypes) == 0 {
			return contextToken{}, fmt.Errorf("%w: spnego token offers no mechanism", ErrMalformed)
		}
		first := t.NegTokenInit.MechTypes[0]
		if !first.Equal(oidKRB5) && !first.Equal(oidMSKRB5) {
			return contextToken{}, fmt.Errorf("%w: spnego token prefers mechanism %s, not Kerberos", ErrMalformed, first)
		}
		ct.mech, mt = first, t.NegTokenInit.MechTokenBytes
	case t.Resp:
		ct.state = int(t.NegTokenResp.NegState)
		ct.mech, mt = t.NegTokenResp.SupportedMech, t.NegTokenResp.ResponseToken
		if len(mt) == 0 {
			return ct, nil
		}
	}
	if len(mt) == 0 {
		return contextToken{}, fmt.Errorf("%w: spnego token without a Kerberos token", ErrMalformed)
	}
	inner, err := parseToken(mt)
	if err != nil {
		return contextToken{}, err
	}
	if inner.spnego {
		return contextToken{}, fmt.Errorf("%w: spnego token inside spnego", ErrMalformed)
	}
	ct.id, ct.msg = inner.id, inner.msg
	return ct, nil
}

// IsKerberosToken reports whether an HTTP Negotiate token carries Kerberos
// (a krb5 token, or SPNEGO preferring krb5 with its token) rather than NTLM.
func IsKerberosToken(b []byte) bool {
	ct, err := parseToken(b)
	return err == nil && ct.id == tokAPReq
}

// parseFraming reads [APPLICATION 0] { OID, inner } (RFC 2743 section 3.1).
func parseFraming(b []byte) (asn1.ObjectIdentifier, []byte, error) {
	tag, body, rest, err := readTLV(b)
	if err != nil || tag != 0x60 || len(rest) != 0 {
		return nil, nil, fmt.Errorf("%w: not a GSS-API token", ErrMalformed)
	}
	tag, oidBytes, inner, err := readTLV(body)
	if err != nil || tag != 0x06 {
		return nil, nil, fmt.Errorf("%w: GSS-API token without a mechanism", ErrMalformed)
	}
	var oid asn1.ObjectIdentifier
	if _, err := asn1.Unmarshal(appendTLV(nil, 0x06, oidBytes), &oid); err != nil {
		return nil, nil, fmt.Errorf("%w: mechanism: %v", ErrMalformed, err)
	}
	return oid, inner, nil
}

// readTLV reads one DER tag-length-value with a one-byte tag.
func readTLV(b []byte) (tag byte, value, rest []byte, err error) {
	if len(b) < 2 {
		return 0, nil, nil, ErrMalformed
	}
	tag, n := b[0], int(b[1])
	b = b[2:]
	if n&0x80 != 0 {
		k := n & 0x7f
		if k == 0 || k > 4 || len(b) < k {
			return 0, nil, nil, ErrMalformed
		}
		n = 0
		for _, c := range b[:k] {
			n = n<<8 | int(c)
		}
		b = b[k:]
	}
	if n < 0 || n > len(b) {
		return 0, nil, nil, ErrMalformed
	}
	return tag, b[:n], b[n:], nil
}

// appendTLV appends a DER tag-length-value.
func appendTLV(dst []byte, tag byte, value []byte) []byte {
	dst = append(dst, tag)
	n := len(value)
	switch {
	case n < 0x80:
		dst = append(dst, byte(n))
	case n < 0x100:
		dst = append(dst, 0x81, byte(n))
	case n < 0x10000:
		dst = append(dst, 0x82, byte(n>>8), byte(n))
	default:
		dst = append(dst, 0x84, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(dst, value...)
}

// GSS-API context flags (RFC 2744), as the authenticator checksum carries them.
const (
	flagDeleg    = 1
	flagMutual   = 2
	flagReplay   = 4
	flagSequence = 8
	flagConf     = 16
	flagInteg    = 32
)

// gssChecksum is the authenticator checksum of type 0x8003 (RFC 4121
// section 4.1.1): the channel bindings' MD5 and the context flags.
type gssChecksum struct {
	bindings [16]byte
	flags    uint32
}

// marshal writes the checksum: Lgth 16, Bnd, Flags. Delegation is never
// asked for, so there is no KRB-CRED.
func (c gssChecksum) marshal() []byte {
	b := make([]byte, 24)
	binary.LittleEndian.PutUint32(b, 16)
	copy(b[4:20], c.bindings[:])
	binary.LittleEndian.PutUint32(b[20:], c.flags)
	return b
}

// parseGSSChecksum reads a 0x8003 checksum; what follows the flags
// (a delegated credential, extensions) is not used.
func parseGSSChecksum(b []byte) (gssChecksum, error) {
	if len(b) < 24 || binary.LittleEndian.Uint32(b) != 16 {
		return gssChecksum{}, fmt.Errorf("%w: authenticator checksum of %d bytes", ErrMalformed, len(b))
	}
	var c gssChecksum
	copy(c.bindings[:], b[4:20])
	c.flags = binary.LittleEndian.Uint32(b[20:24])
	return c, nil
}

// noBindings is the Bnd of a context without channel bindings.
var noBindings [16]byte

func (c gssChecksum) hasBindings() bool { return !bytes.Equal(c.bindings[:], noBindings[:]) }
