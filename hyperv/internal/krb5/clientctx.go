package krb5

import (
	"crypto/md5"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv/internal/wsmv"
	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana"
	"github.com/jcmturner/gokrb5/v8/iana/chksumtype"
	"github.com/jcmturner/gokrb5/v8/iana/flags"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

// ClientContext is the client side of one connection's security context.
// Token is sent first; Complete takes the host's answer; then Wrap and
// Unwrap seal and open that connection's messages. A context must not be
// used from two goroutines at once.
type ClientContext struct {
	sealer
	init        *Initiator
	spn         string
	token       []byte
	sessionKey  types.EncryptionKey
	ctime       time.Time
	cusec       int
	seq         uint64
	established bool
}

var _ wsmv.Sealer = (*ClientContext)(nil)

// contextFlags are the GSS-API flags asked of every context, as SSPI asks
// them for WinRM: mutual authentication, replay and sequence detection,
// confidentiality and integrity.
const contextFlags = flagMutual | flagReplay | flagSequence | flagConf | flagInteg

// newClientContext makes the AP-REQ for t (RFC 4121 section 4.1): an
// authenticator with the GSS-API checksum, a fresh subkey of the session
// key's type, and the initiator's first sequence number, and asks for
// mutual authentication. gokrb5's spnego.NewKRB5TokenAPREQ sets none of
// the subkey, the sequence number and mutual-required.
func newClientContext(i *Initiator, t *ticket, spn string, bindings []byte) (*ClientContext, error) {
	op := "authenticate to " + spn
	if _, err := crypto.GetEtype(t.key.KeyType); err != nil {
		return nil, &Error{Op: op, Err: ErrUnsupported, Msg: fmt.Sprintf("the ticket's session key is %s", etypeName(t.key.KeyType))}
	}
	subkey, err := randomKey(t.key.KeyType)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	seq, err := randomSeq()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	sum := gssChecksum{flags: contextFlags}
	if bindings != nil {
		sum.bindings = ChannelBindingsHash(bindings)
	}
	now := i.now().UTC()
	auth := types.Authenticator{
		AVNO:      iana.PVNO,
		CRealm:    i.cred.realm,
		CName:     i.cred.cname,
		Cksum:     types.Checksum{CksumType: chksumtype.GSSAPI, Checksum: sum.marshal()},
		CTime:     now.Truncate(time.Second),
		Cusec:     now.Nanosecond() / 1000,
		SubKey:    subkey,
		SeqNumber: int64(seq),
	}
	ap, err := messages.NewAPReq(t.ticket, t.key, auth)
	if err != nil {
		return nil, &Error{Op: op, Err: ErrMalformed, Msg: err.Error()}
	}
	types.SetFlag(&ap.APOptions, flags.APOptionMutualRequired)
	b, err := ap.Marshal()
	if err != nil {
		return nil, &Error{Op: op, Err: ErrMalformed, Msg: err.Error()}
	}
	return &ClientContext{
		sealer:     sealer{initiatorKey: subkey, sendSeq: seq},
		init:       i,
		spn:        spn,
		token:      frameKRB5(tokAPReq, b),
		sessionKey: t.key,
		ctime:      auth.CTime,
		cusec:      auth.Cusec,
		seq:        seq,
	}, nil
}

// Token is the first token as a GSS-API krb5 token (the AP-REQ), as MIT's
// gss_init_sec_context with the krb5 mechanism and requests_kerberos send
// it in "Authorization: Negotiate" and "Authorization: Kerberos".
func (c *ClientContext) Token() []byte { return c.token }

// SPNEGOToken is the first token wrapped in an SPNEGO NegTokenInit that
// offers krb5, as Windows' Negotiate package and pyspnego send it.
func (c *ClientContext) SPNEGOToken() ([]byte, error) { return spnegoInit(c.token) }

// SPN is the service the context is for.
func (c *ClientContext) SPN() string { return c.spn }

// Established reports whether Complete accepted the host's answer.
func (c *ClientContext) Established() bool { return c.established }

// Complete takes the host's answer (a krb5 token or an SPNEGO
// NegTokenResp, as the WWW-Authenticate header carries it): it checks the
// AP-REP (the host proves it opened the ticket), takes the host's subkey
// and first sequence number, and makes the context ready to seal. A
// KRB-ERROR answer (e.g. clock skew) becomes an *Error; when it says the
// ticket expired or does not open with the host's key, the Initiator
// drops the ticket so that the next context gets a new one.
func (c *ClientContext) Complete(reply []byte) error {
	op := "authenticate to " + c.spn
	if c.established {
		return nil
	}
	if len(reply) == 0 {
		return &Error{Op: op, Err: ErrMutualAuth, Msg: "the host answered without an AP-REP, so it did not prove it holds the service key"}
	}
	ct, err := parseToken(reply)
	if err != nil {
		return withOp(op, err)
	}
	if ct.spnego && ct.state == negReject && ct.msg == nil {
		return &Error{Op: op, Err: ErrRejected, Msg: "the host rejected the Kerberos login"}
	}
	switch ct.id {
	case tokError:
		var ke messages.KRBError
		if err := ke.Unmarshal(ct.msg); err != nil {
			return &Error{Op: op, Err: ErrMalformed, Msg: "the host's KRB-ERROR cannot be parsed"}
		}
		e := apError(op, ke.ErrorCode, c.spn, "the host")
		if staleTicket(e) {
			c.init.forget(c.spn)
		}
		return e
	case tokAPRep:
	default:
		return &Error{Op: op, Err: ErrMalformed, Msg: fmt.Sprintf("the host answered a token of type %#04x, not an AP-REP", ct.id)}
	}
	var rep messages.APRep
	if err := rep.Unmarshal(ct.msg); err != nil {
		return &Error{Op: op, Err: ErrMalformed, Msg: "the host's AP-REP cannot be parsed"}
	}
	plain, err := crypto.DecryptEncPart(rep.EncPart, c.sessionKey, keyusage.AP_REP_ENCPART)
	if err != nil {
		return &Error{Op: op, Err: ErrMutualAuth, Msg: "the host's AP-REP does not open with the session key: it is not the service the ticket is for"}
	}
	var enc messages.EncAPRepPart
	if err := enc.Unmarshal(plain); err != nil {
		return &Error{Op: op, Err: ErrMalformed, Msg: "the host's AP-REP cannot be parsed"}
	}
	if !enc.CTime.Equal(c.ctime) || enc.Cusec != c.cusec {
		return &Error{Op: op, Err: ErrMutualAuth, Msg: "the host's AP-REP answers another authenticator"}
	}
	if len(enc.Subkey.KeyValue) > 0 {
		if _, err := crypto.GetEtype(enc.Subkey.KeyType); err != nil {
			return &Error{Op: op, Err: ErrUnsupported, Msg: fmt.Sprintf("the host's subkey is %s", etypeName(enc.Subkey.KeyType))}
		}
		k := enc.Subkey
		c.acceptorKey = &k
	}
	// Windows has sent sequence numbers as negative ASN.1 integers; the
	// low 32 bits are the number.
	c.recvSeq = uint64(uint32(enc.SequenceNumber))
	c.established = true
	return nil
}

// Wrap seals a message to the host (wsmv.Sealer).
func (c *ClientContext) Wrap(plain []byte) ([]byte, []byte, error) {
	if !c.established {
		return nil, nil, ErrNotEstablished
	}
	return c.sealer.Wrap(plain)
}

// Unwrap opens a message from the host (wsmv.Sealer).
func (c *ClientContext) Unwrap(signature, sealed []byte) ([]byte, error) {
	if !c.established {
		return nil, ErrNotEstablished
	}
	return c.sealer.Unwrap(signature, sealed)
}

// ChannelBindingsHash is the Bnd field of the authenticator checksum for
// TLS channel bindings whose application data is appData (RFC 4121
// section 4.1.1.2): MD5 of the gss_channel_bindings_struct with no
// addresses.
func ChannelBindingsHash(appData []byte) [16]byte {
	b := make([]byte, 20, 20+len(appData))
	binary.LittleEndian.PutUint32(b[16:], uint32(len(appData)))
	return md5.Sum(append(b, appData...))
}

// randomKey makes a random key of keyType, for a subkey.
func randomKey(keyType int32) (types.EncryptionKey, error) {
	et, err := crypto.GetEtype(keyType)
	if err != nil {
		return types.EncryptionKey{}, err
	}
	seed := make([]byte, et.GetKeySeedBitLength()/8)
	if _, err := rand.Read(seed); err != nil {
		return types.EncryptionKey{}, err
	}
	return types.EncryptionKey{KeyType: keyType, KeyValue: et.RandomToKey(seed)}, nil
}

// randomSeq makes a first sequence number: 30 bits, so that no
// implementation reads it as negative.
func randomSeq() (uint64, error) {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return 0, err
	}
	return uint64(binary.BigEndian.Uint32(b[:]) & 0x3fffffff), nil
}
