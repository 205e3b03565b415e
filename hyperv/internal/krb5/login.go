package krb5

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana"
	"github.com/jcmturner/gokrb5/v8/iana/errorcode"
	"github.com/jcmturner/gokrb5/v8/iana/flags"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/iana/msgtype"
	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/iana/patype"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

// ticket is a ticket with its session key and what the KDC said of it.
type ticket struct {
	ticket    messages.Ticket
	key       types.EncryptionKey
	flags     asn1.BitString
	start     time.Time
	end       time.Time
	renewTill time.Time
	server    string // principal, e.g. HTTP/hv01@CORP.EXAMPLE
}

// renewBefore is how long before its end a ticket is replaced, so that a
// ticket never expires between the request and the host's check.
const renewBefore = time.Minute

// valid reports whether t can still be used at now.
func (t *ticket) valid(now time.Time) bool {
	return t != nil && now.Add(renewBefore).Before(t.end)
}

// preauth is how the KDC wants the user's key made (ETYPE-INFO2): kept
// after a login so that the next one pre-authenticates at once.
type preauth struct {
	etype     int32
	salt      string
	s2kparams string
}

// asExchange logs the user in (RFC 4120 section 3.1): an AS-REQ without
// pre-authentication, which the KDC answers with the salt and encryption
// type it wants, then one with an encrypted timestamp. A refusal without
// pre-authentication data does not count as a bad password in Active
// Directory; only a wrong timestamp does.
func (i *Initiator) asExchange(ctx context.Context) (*ticket, error) {
	c := i.cred
	op := "log in as " + c.principal()
	tgs := types.PrincipalName{NameType: nametype.KRB_NT_SRV_INST, NameString: []string{"krbtgt", c.realm}}
	req, err := i.newKDCReq(msgtype.KRB_AS_REQ, c.realm, tgs, i.etypes(i.conf.LibDefaults.DefaultTktEnctypeIDs))
	if err != nil {
		return nil, &Error{Op: op, Err: ErrRejected, Msg: err.Error()}
	}
	req.ReqBody.CName = c.cname
	pa := i.lastPreauth
	for attempt := 0; ; attempt++ {
		var key types.EncryptionKey
		if pa != nil {
			if key, err = i.userKey(*pa); err != nil {
				return nil, &Error{Op: op, Err: ErrUnsupported, Msg: err.Error()}
			}
			if err := i.setEncTimestamp(&req, key); err != nil {
				return nil, &Error{Op: op, Err: ErrRejected, Msg: err.Error()}
			}
		}
		b, err := (&messages.ASReq{KDCReqFields: req}).Marshal()
		if err != nil {
			return nil, &Error{Op: op, Err: ErrMalformed, Msg: err.Error()}
		}
		reply, err := i.kdc.exchange(ctx, c.realm, b)
		var ke messages.KRBError
		if errors.As(err, &ke) {
			if ke.ErrorCode == errorcode.KDC_ERR_PREAUTH_REQUIRED && attempt == 0 {
				if pa, err = i.choosePreauth(ke.EData); err != nil {
					return nil, &Error{Op: op, Err: ErrUnsupported, Code: ke.ErrorCode, Msg: err.Error()}
				}
				continue
			}
			return nil, fromKRBError(op, ke, c.principal(), tgs.PrincipalNameString()+"@"+c.realm)
		}
		if err != nil {
			return nil, withOp(op, err)
		}
		t, err := i.readASRep(reply, req, key, pa)
		if err != nil {
			return nil, withOp(op, err)
		}
		return t, nil
	}
}

// readASRep opens and checks the KDC's AS-REP: it must answer this request
// (nonce, names) and open with the user's key.
func (i *Initiator) readASRep(reply []byte, req messages.KDCReqFields, key types.EncryptionKey, pa *preauth) (*ticket, error) {
	var rep messages.ASRep
	if err := rep.Unmarshal(reply); err != nil {
		return nil, &Error{Err: ErrMalformed, Msg: "the KDC's reply cannot be parsed: " + err.Error()}
	}
	if key.KeyType != rep.EncPart.EType || len(key.KeyValue) == 0 {
		// The KDC did not ask for pre-authentication, or chose another
		// encryption type: make the key its reply says.
		info := replyPreauth(rep.PAData, rep.EncPart.EType, i.cred)
		if pa != nil && pa.etype == rep.EncPart.EType && info.salt == "" {
			info = *pa
		}
		var err error
		if key, err = i.userKey(info); err != nil {
			return nil, &Error{Err: ErrUnsupported, Msg: err.Error()}
		}
		pa = &info
	}
	plain, err := crypto.DecryptEncPart(rep.EncPart, key, keyusage.AS_REP_ENCPART)
	if err != nil {
		return nil, &Error{Err: ErrPreauthFailed, Msg: fmt.Sprintf("the KDC's reply does not open with the password or key of %s: wrong password, or a keytab with old keys", i.cred.principal())}
	}
	var enc messages.EncKDCRepPart
	if err := enc.Unmarshal(plain); err != nil {
		return nil, &Error{Err: ErrMalformed, Msg: "the KDC's reply cannot be parsed: " + err.Error()}
	}
	if enc.Nonce != req.ReqBody.Nonce || !enc.SName.Equal(req.ReqBody.SName) || !strings.EqualFold(rep.CRealm, i.cred.realm) {
		return nil, &Error{Err: ErrRejected, Msg: "the KDC's reply does not answer the request (nonce or names differ)"}
	}
	i.lastPreauth = pa
	return &ticket{
		ticket: rep.Ticket, key: enc.Key, flags: enc.Flags,
		start: firstTime(enc.StartTime, enc.AuthTime), end: enc.EndTime, renewTill: enc.RenewTill,
		server: enc.SName.PrincipalNameString() + "@" + enc.SRealm,
	}, nil
}

// newKDCReq makes the body every KDC request shares: forwardable tickets
// (a host that migrates a VM delegates the user's ticket to the
// destination), renewable when krb5.conf asks, a fresh nonce.
func (i *Initiator) newKDCReq(msgType int, realm string, sname types.PrincipalName, etypes []int32) (messages.KDCReqFields, error) {
	nonce, err := rand.Int(rand.Reader, big.NewInt(1<<31-1))
	if err != nil {
		return messages.KDCReqFields{}, err
	}
	now := i.now().UTC()
	opts := types.NewKrbFlags()
	types.SetFlag(&opts, flags.Forwardable)
	types.SetFlag(&opts, flags.RenewableOK)
	life := i.conf.LibDefaults.TicketLifetime
	if life <= 0 {
		life = 10 * time.Hour
	}
	body := messages.KDCReqBody{
		KDCOptions: opts,
		Realm:      realm,
		SName:      sname,
		Till:       now.Add(life).Truncate(time.Second),
		Nonce:      int(nonce.Int64()),
		EType:      etypes,
	}
	if r := i.conf.LibDefaults.RenewLifetime; r > 0 {
		types.SetFlag(&body.KDCOptions, flags.Renewable)
		body.RTime = now.Add(r).Truncate(time.Second)
	}
	return messages.KDCReqFields{PVNO: iana.PVNO, MsgType: msgType, ReqBody: body}, nil
}

// etypes keeps the encryption types this package can use, in krb5.conf's
// order (never aes256-cts-hmac-sha384-192, see sealable); AES-SHA1 only
// when krb5.conf names none it can.
func (i *Initiator) etypes(want []int32) []int32 {
	var out []int32
	for _, e := range want {
		if _, err := crypto.GetEtype(e); err == nil && e != 20 {
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		out = []int32{18, 17}
	}
	return out
}

// choosePreauth picks, from the KDC's PREAUTH_REQUIRED e-data, the first
// encryption type this client has a key for and its salt.
func (i *Initiator) choosePreauth(edata []byte) (*preauth, error) {
	var pas types.PADataSequence
	if err := pas.Unmarshal(edata); err != nil {
		return nil, fmt.Errorf("the KDC's pre-authentication request cannot be parsed: %v", err)
	}
	var offered []preauth
	for _, pa := range pas {
		switch pa.PADataType {
		case patype.PA_ETYPE_INFO2:
			info, err := pa.GetETypeInfo2()
			if err != nil {
				continue
			}
			for _, e := range info {
				offered = append(offered, preauth{etype: e.EType, salt: e.Salt, s2kparams: hex.EncodeToString(e.S2KParams)})
			}
		case patype.PA_ETYPE_INFO:
			info, err := pa.GetETypeInfo()
			if err != nil {
				continue
			}
			for _, e := range info {
				offered = append(offered, preauth{etype: e.EType, salt: string(e.Salt)})
			}
		}
	}
	for _, p := range offered {
		if p.salt == "" {
			p.salt = i.cred.cname.GetSalt(i.cred.realm)
		}
		if _, err := i.userKey(p); err == nil {
			return &p, nil
		}
	}
	return nil, fmt.Errorf("the KDC wants pre-authentication with encryption types %v, and this client has no key of any", etypesOf(offered))
}

// replyPreauth reads the salt of etype from an AS-REP's padata, else the
// principal's default salt.
func replyPreauth(pas types.PADataSequence, etype int32, c *credential) preauth {
	p := preauth{etype: etype}
	for _, pa := range pas {
		switch pa.PADataType {
		case patype.PA_ETYPE_INFO2:
			if info, err := pa.GetETypeInfo2(); err == nil {
				for _, e := range info {
					if e.EType == etype {
						p.salt, p.s2kparams = e.Salt, hex.EncodeToString(e.S2KParams)
					}
				}
			}
		case patype.PA_PW_SALT:
			p.salt = string(pa.PADataValue)
		}
	}
	if p.salt == "" {
		p.salt = c.cname.GetSalt(c.realm)
	}
	return p
}

// userKey makes the user's key of p's type: from the password with p's
// salt, or from the keytab.
func (i *Initiator) userKey(p preauth) (types.EncryptionKey, error) {
	et, err := crypto.GetEtype(p.etype)
	if err != nil {
		return types.EncryptionKey{}, fmt.Errorf("encryption type %d is not supported", p.etype)
	}
	if kt := i.cred.keytab; kt != nil {
		k, _, err := kt.GetEncryptionKey(i.cred.cname, i.cred.realm, 0, p.etype)
		if err != nil {
			return k, fmt.Errorf("the keytab has no %s key of %s", etypeName(p.etype), i.cred.principal())
		}
		return k, nil
	}
	s2k := p.s2kparams
	if s2k == "" {
		s2k = et.GetDefaultStringToKeyParams()
	}
	kv, err := et.StringToKey(i.cred.password, p.salt, s2k)
	if err != nil {
		return types.EncryptionKey{}, fmt.Errorf("make the %s key: %v", etypeName(p.etype), err)
	}
	return types.EncryptionKey{KeyType: p.etype, KeyValue: kv}, nil
}

// setEncTimestamp sets the request's PA-ENC-TIMESTAMP: the client's time
// encrypted with the user's key.
func (i *Initiator) setEncTimestamp(req *messages.KDCReqFields, key types.EncryptionKey) error {
	now := i.now().UTC()
	ts, err := asn1.Marshal(types.PAEncTSEnc{PATimestamp: now.Truncate(time.Second), PAUSec: now.Nanosecond() / 1000})
	if err != nil {
		return err
	}
	ed, err := crypto.GetEncryptedData(ts, key, keyusage.AS_REQ_PA_ENC_TIMESTAMP, 0)
	if err != nil {
		return err
	}
	eb, err := ed.Marshal()
	if err != nil {
		return err
	}
	req.PAData = types.PADataSequence{{PADataType: patype.PA_ENC_TIMESTAMP, PADataValue: eb}}
	return nil
}

func etypesOf(ps []preauth) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = etypeName(p.etype)
	}
	return out
}

func firstTime(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

// withOp puts op in front of an *Error's message, or wraps any other error.
func withOp(op string, err error) error {
	var e *Error
	if errors.As(err, &e) && e.Op == "" {
		c := *e
		c.Op = op
		return &c
	}
	return fmt.Errorf("%s: %w", op, err)
}
