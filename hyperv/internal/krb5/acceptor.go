package krb5

import (
	"fmt"
	"strings"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/asn1tools"
	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana"
	"github.com/jcmturner/gokrb5/v8/iana/asnAppTag"
	"github.com/jcmturner/gokrb5/v8/iana/chksumtype"
	"github.com/jcmturner/gokrb5/v8/iana/errorcode"
	"github.com/jcmturner/gokrb5/v8/iana/flags"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/iana/msgtype"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

// DefaultMaxSkew is the clock skew an Acceptor allows, as Windows and MIT do.
const DefaultMaxSkew = 5 * time.Minute

// Acceptor is a Kerberos service: the host side of WinRM's
// authentication. It checks a client's AP-REQ with the host's keytab and
// makes the connection's security context. It is safe for concurrent use.
type Acceptor struct {
	kt      *keytab.Keytab
	spns    []acceptedSPN
	maxSkew time.Duration
	now     func() time.Time
	replay  *replayCache
}

// acceptedSPN is a service name of this host; realm "" accepts any realm
// the keytab has a key for.
type acceptedSPN struct {
	name  types.PrincipalName
	realm string
}

// AcceptorOption sets an optional Acceptor setting.
type AcceptorOption func(*Acceptor)

// WithClock sets the Acceptor's clock (default time.Now), to test skew.
func WithClock(now func() time.Time) AcceptorOption { return func(a *Acceptor) { a.now = now } }

// WithMaxSkew sets the clock skew allowed (default DefaultMaxSkew).
func WithMaxSkew(d time.Duration) AcceptorOption { return func(a *Acceptor) { a.maxSkew = d } }

// NewAcceptor makes an Acceptor for the host's service principals (e.g.
// "HTTP/hv01.corp.example", "WSMAN/hv01.corp.example", with or without
// "@REALM") whose keys keytab (a keytab file's bytes) holds.
func NewAcceptor(keytabData []byte, spns []string, opts ...AcceptorOption) (*Acceptor, error) {
	kt := keytab.New()
	if err := kt.Unmarshal(keytabData); err != nil {
		return nil, fmt.Errorf("%w: keytab: %v", ErrConfig, err)
	}
	if len(spns) == 0 {
		return nil, fmt.Errorf("%w: no service principal to accept", ErrConfig)
	}
	a := &Acceptor{kt: kt, maxSkew: DefaultMaxSkew, now: time.Now}
	for _, s := range spns {
		name, realm, err := parseSPN(s)
		if err != nil {
			return nil, err
		}
		if !keytabHasName(kt, name, realm) {
			return nil, fmt.Errorf("%w: the keytab holds no key of %s", ErrConfig, s)
		}
		a.spns = append(a.spns, acceptedSPN{name: name, realm: realm})
	}
	for _, o := range opts {
		o(a)
	}
	a.replay = newReplayCache(2 * a.maxSkew)
	return a, nil
}

func keytabHasName(kt *keytab.Keytab, name types.PrincipalName, realm string) bool {
	for _, e := range kt.Entries {
		if (realm == "" || e.Principal.Realm == realm) && strings.EqualFold(strings.Join(e.Principal.Components, "/"), name.PrincipalNameString()) {
			return true
		}
	}
	return false
}

// accepts reports whether the ticket's service is one of this host's.
func (a *Acceptor) accepts(name types.PrincipalName, realm string) bool {
	for _, s := range a.spns {
		if (s.realm == "" || s.realm == realm) && strings.EqualFold(s.name.PrincipalNameString(), name.PrincipalNameString()) {
			return true
		}
	}
	return false
}

// Accept checks a client's first token: a GSS-API krb5 token with an
// AP-REQ, or an SPNEGO NegTokenInit carrying one. It decrypts the ticket
// with the keytab, refuses a ticket for a service that is not this host's,
// checks the authenticator (client names, clock skew, replay) and returns
// the connection's context and the reply token: the AP-REP, in an SPNEGO
// NegTokenResp when the request was SPNEGO. On failure the reply token,
// when not nil, is the KRB-ERROR to send back with the refusal (Windows
// sends KRB_AP_ERR_SKEW that way) and the error is an *Error.
func (a *Acceptor) Accept(token []byte) (*ServerContext, []byte, error) {
	const op = "accept kerberos login"
	ct, err := parseToken(token)
	if err != nil {
		return nil, nil, withOp(op, err)
	}
	if ct.id != tokAPReq {
		return nil, nil, &Error{Op: op, Err: ErrMalformed, Msg: fmt.Sprintf("token of type %#04x, not an AP-REQ", ct.id)}
	}
	var ap messages.APReq
	if err := ap.Unmarshal(ct.msg); err != nil {
		return nil, nil, &Error{Op: op, Err: ErrMalformed, Msg: "the AP-REQ cannot be parsed"}
	}
	sc, code, err := a.verify(&ap)
	if err != nil {
		if code == 0 {
			return nil, nil, withOp(op, err)
		}
		return nil, a.errorToken(ct, ap.Ticket, code), withOp(op, err)
	}
	reply, err := a.reply(ct, sc)
	if err != nil {
		return nil, nil, withOp(op, err)
	}
	return sc, reply, nil
}

// verify checks an AP-REQ (RFC 4120 section 3.2.3, RFC 4121 section 4.1)
// and makes the context. On failure it returns the Kerberos error code to
// answer, 0 when there is none to send.
func (a *Acceptor) verify(ap *messages.APReq) (*ServerContext, int32, error) {
	tkt := &ap.Ticket
	spn := tkt.SName.PrincipalNameString()
	if types.IsFlagSet(&ap.APOptions, flags.APOptionUseSessionKey) {
		return nil, errorcode.KDC_ERR_BADOPTION, &Error{Err: ErrUnsupported, Msg: "user-to-user tickets are not supported"}
	}
	if !a.accepts(tkt.SName, tkt.Realm) {
		return nil, errorcode.KRB_AP_ERR_NOT_US, &Error{Code: errorcode.KRB_AP_ERR_NOT_US, Err: ErrWrongService,
			Msg: fmt.Sprintf("the ticket is for %s@%s, which is not one of this host's service principals", spn, tkt.Realm)}
	}
	key, code := a.serviceKey(tkt)
	if code == 0 && tkt.Decrypt(key) != nil {
		code = errorcode.KRB_AP_ERR_MODIFIED
	}
	if code != 0 {
		return nil, code, apError("", code, spn, "the client")
	}
	now := a.now().UTC()
	enc := &tkt.DecryptedEncPart
	if types.IsFlagSet(&enc.Flags, flags.Invalid) || firstTime(enc.StartTime, enc.AuthTime).Sub(now) > a.maxSkew {
		return nil, errorcode.KRB_AP_ERR_TKT_NYV, apError("", errorcode.KRB_AP_ERR_TKT_NYV, spn, "the client")
	}
	if now.Sub(enc.EndTime) > a.maxSkew {
		return nil, errorcode.KRB_AP_ERR_TKT_EXPIRED, apError("", errorcode.KRB_AP_ERR_TKT_EXPIRED, spn, "the client")
	}
	if err := ap.DecryptAuthenticator(enc.Key); err != nil {
		return nil, errorcode.KRB_AP_ERR_BAD_INTEGRITY, apError("", errorcode.KRB_AP_ERR_BAD_INTEGRITY, spn, "the client")
	}
	auth := &ap.Authenticator
	if !auth.CName.Equal(enc.CName) || auth.CRealm != enc.CRealm {
		return nil, errorcode.KRB_AP_ERR_BADMATCH, apError("", errorcode.KRB_AP_ERR_BADMATCH, spn, "the client")
	}
	ctime := auth.CTime.Add(time.Duration(auth.Cusec) * time.Microsecond)
	if d := now.Sub(ctime); d > a.maxSkew || -d > a.maxSkew {
		return nil, errorcode.KRB_AP_ERR_SKEW, apError("", errorcode.KRB_AP_ERR_SKEW, spn, "the client")
	}
	if auth.Cksum.CksumType != chksumtype.GSSAPI {
		return nil, errorcode.KRB_AP_ERR_INAPP_CKSUM, &Error{Code: errorcode.KRB_AP_ERR_INAPP_CKSUM, Err: ErrMalformed, Msg: fmt.Sprintf("authenticator checksum of type %d, not the GSS-API's", auth.Cksum.CksumType)}
	}
	sum, err := parseGSSChecksum(auth.Cksum.Checksum)
	if err != nil {
		return nil, errorcode.KRB_AP_ERR_INAPP_CKSUM, err
	}
	client := enc.CName.PrincipalNameString() + "@" + enc.CRealm
	if !a.replay.add(fmt.Sprintf("%s|%s@%s|%d|%d", client, spn, tkt.Realm, auth.CTime.Unix(), auth.Cusec), now) {
		return nil, errorcode.KRB_AP_ERR_REPEAT, apError("", errorcode.KRB_AP_ERR_REPEAT, spn, "the client")
	}
	initKey := enc.Key
	if len(auth.SubKey.KeyValue) > 0 {
		initKey = auth.SubKey
	}
	sc := &ServerContext{
		sealer:      sealer{acceptor: true, initiatorKey: initKey, recvSeq: uint64(uint32(auth.SeqNumber))},
		client:      client,
		spn:         spn,
		flags:       sum.flags,
		bindings:    sum.bindings,
		forwardable: types.IsFlagSet(&enc.Flags, flags.Forwardable),
		sessionKey:  enc.Key,
		ctime:       auth.CTime,
		cusec:       auth.Cusec,
	}
	sc.sendSeq = sc.recvSeq
	if sum.flags&flagMutual != 0 || types.IsFlagSet(&ap.APOptions, flags.APOptionMutualRequired) {
		sub, err := randomKey(initKey.KeyType)
		if err != nil {
			return nil, 0, err
		}
		seq, err := randomSeq()
		if err != nil {
			return nil, 0, err
		}
		sc.acceptorKey, sc.sendSeq, sc.mutual = &sub, seq, true
	}
	return sc, 0, nil
}

// serviceKey finds the keytab's key for the ticket: the service's name
// compared without case, as Windows compares SPNs, and the key version
// and type the KDC encrypted the ticket with. Otherwise it returns the
// error code to answer.
func (a *Acceptor) serviceKey(tkt *messages.Ticket) (types.EncryptionKey, int32) {
	name := tkt.SName.PrincipalNameString()
	code := errorcode.KRB_AP_ERR_NOKEY
	for _, e := range a.kt.Entries {
		if e.Principal.Realm != tkt.Realm || !strings.EqualFold(strings.Join(e.Principal.Components, "/"), name) || e.Key.KeyType != tkt.EncPart.EType {
			continue
		}
		if tkt.EncPart.KVNO != 0 && int(e.KVNO) != tkt.EncPart.KVNO {
			code = errorcode.KRB_AP_ERR_BADKEYVER
			continue
		}
		return e.Key, 0
	}
	return types.EncryptionKey{}, code
}

// reply makes the AP-REP token (RFC 4120 section 5.5.2), nil when the
// client did not ask for mutual authentication.
func (a *Acceptor) reply(ct contextToken, sc *ServerContext) ([]byte, error) {
	if !sc.mutual {
		if ct.spnego {
			return spnegoResp(negAcceptCompleted, ct.mech, nil)
		}
		return nil, nil
	}
	encPart := messages.EncAPRepPart{CTime: sc.ctime, Cusec: sc.cusec, Subkey: *sc.acceptorKey, SequenceNumber: int64(sc.sendSeq)}
	b, err := asn1.Marshal(encPart)
	if err != nil {
		return nil, fmt.Errorf("marshal AP-REP: %w", err)
	}
	ed, err := crypto.GetEncryptedData(asn1tools.AddASNAppTag(b, asnAppTag.EncAPRepPart), sc.sessionKey, keyusage.AP_REP_ENCPART, 0)
	if err != nil {
		return nil, fmt.Errorf("encrypt AP-REP: %w", err)
	}
	rb, err := asn1.Marshal(messages.APRep{PVNO: iana.PVNO, MsgType: msgtype.KRB_AP_REP, EncPart: ed})
	if err != nil {
		return nil, fmt.Errorf("marshal AP-REP: %w", err)
	}
	tok := frameKRB5(tokAPRep, asn1tools.AddASNAppTag(rb, asnAppTag.APREP))
	if ct.spnego {
		return spnegoResp(negAcceptCompleted, ct.mech, tok)
	}
	return tok, nil
}

// errorToken makes the KRB-ERROR token that answers a refused AP-REQ.
func (a *Acceptor) errorToken(ct contextToken, tkt messages.Ticket, code int32) []byte {
	ke := messages.NewKRBError(tkt.SName, tkt.Realm, code, codeName(code))
	ke.STime = a.now().UTC().Truncate(time.Second)
	b, err := ke.Marshal()
	if err != nil {
		return nil
	}
	tok := frameKRB5(tokError, b)
	if ct.spnego {
		if tok, err = spnegoResp(negReject, ct.mech, tok); err != nil {
			return nil
		}
	}
	return tok
}
