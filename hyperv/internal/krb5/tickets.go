package krb5

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jcmturner/gokrb5/v8/credentials"
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

// maxReferrals bounds the cross-realm referrals one ticket request follows.
const maxReferrals = 5

// ticketSlot holds the service ticket of one SPN; its mutex makes
// concurrent callers wait for one TGS exchange instead of each making one.
type ticketSlot struct {
	mu sync.Mutex
	t  *ticket
}

// tgt returns a valid ticket-granting ticket, logging in (or re-reading
// the credential cache) when there is none or it expires.
func (i *Initiator) tgt(ctx context.Context) (*ticket, error) {
	i.loginMu.Lock()
	defer i.loginMu.Unlock()
	if i.tgtCache.valid(i.now()) {
		return i.tgtCache, nil
	}
	var t *ticket
	var err error
	if i.cred.ccache != "" {
		t, err = i.readCCache()
	} else {
		t, err = i.asExchange(ctx)
	}
	if err != nil {
		return nil, err
	}
	i.tgtCache = t
	return t, nil
}

// serviceTicket returns a valid ticket for spn, from the cache or from one
// TGS exchange.
func (i *Initiator) serviceTicket(ctx context.Context, spn string) (*ticket, error) {
	sname, realm, err := parseSPN(spn)
	if err != nil {
		return nil, err
	}
	if realm == "" {
		realm = i.cred.realm
	}
	id := sname.PrincipalNameString() + "@" + realm
	i.mu.Lock()
	slot := i.tickets[id]
	if slot == nil {
		slot = &ticketSlot{}
		i.tickets[id] = slot
	}
	i.mu.Unlock()

	slot.mu.Lock()
	defer slot.mu.Unlock()
	if slot.t.valid(i.now()) {
		return slot.t, nil
	}
	if i.cred.ccache != "" && slot.t == nil {
		if t := i.cachedServiceTicket(sname, realm); t != nil {
			slot.t = t
			return t, nil
		}
	}
	tgt, err := i.tgt(ctx)
	if err != nil {
		return nil, err
	}
	t, err := i.tgsExchange(ctx, tgt, realm, sname)
	if staleTicket(err) && i.cred.ccache == "" {
		// The KDC no longer takes the TGT (it expired by the KDC's
		// clock, or the realm's keys changed): log in again, once.
		i.dropTGT(tgt)
		if tgt, err = i.tgt(ctx); err != nil {
			return nil, err
		}
		t, err = i.tgsExchange(ctx, tgt, realm, sname)
	}
	if err != nil {
		return nil, err
	}
	slot.t = t
	return t, nil
}

// staleTicket reports whether a KDC or a host refused a ticket because it
// expired or no longer opens with the service's key: a new ticket may
// succeed where this one failed.
func staleTicket(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code {
	case errorcode.KRB_AP_ERR_TKT_EXPIRED, errorcode.KRB_AP_ERR_MODIFIED, errorcode.KRB_AP_ERR_BADKEYVER, errorcode.KRB_AP_ERR_NOKEY:
		return true
	}
	return false
}

// dropTGT forgets the TGT t, unless another login already replaced it.
func (i *Initiator) dropTGT(t *ticket) {
	i.loginMu.Lock()
	defer i.loginMu.Unlock()
	if i.tgtCache == t {
		i.tgtCache = nil
	}
}

// forget drops the service ticket of spn, so the next context gets a new
// one: the host refused it as expired or unreadable.
func (i *Initiator) forget(spn string) {
	sname, realm, err := parseSPN(spn)
	if err != nil {
		return
	}
	if realm == "" {
		realm = i.cred.realm
	}
	i.mu.Lock()
	slot := i.tickets[sname.PrincipalNameString()+"@"+realm]
	i.mu.Unlock()
	if slot != nil {
		slot.mu.Lock()
		slot.t = nil
		slot.mu.Unlock()
	}
}

// tgsExchange asks the KDC of realm for a ticket to sname (RFC 4120
// section 3.3), following cross-realm referrals.
func (i *Initiator) tgsExchange(ctx context.Context, tgt *ticket, realm string, sname types.PrincipalName) (*ticket, error) {
	spn := sname.PrincipalNameString()
	op := "get a ticket for " + spn
	for referrals := 0; ; referrals++ {
		req, err := i.newTGSReq(tgt, realm, sname)
		if err != nil {
			return nil, &Error{Op: op, Err: ErrRejected, Msg: err.Error()}
		}
		b, err := req.Marshal()
		if err != nil {
			return nil, &Error{Op: op, Err: ErrMalformed, Msg: err.Error()}
		}
		reply, err := i.kdc.exchange(ctx, realm, b)
		var ke messages.KRBError
		if errors.As(err, &ke) {
			return nil, fromKRBError(op, ke, i.cred.principal(), spn)
		}
		if err != nil {
			return nil, withOp(op, err)
		}
		var rep messages.TGSRep
		if err := rep.Unmarshal(reply); err != nil {
			return nil, &Error{Op: op, Err: ErrMalformed, Msg: "the KDC's reply cannot be parsed: " + err.Error()}
		}
		if err := rep.DecryptEncPart(tgt.key); err != nil {
			return nil, &Error{Op: op, Err: ErrRejected, Msg: "the KDC's reply does not open with the session key"}
		}
		enc := rep.DecryptedEncPart
		if enc.Nonce != req.ReqBody.Nonce {
			return nil, &Error{Op: op, Err: ErrRejected, Msg: "the KDC's reply does not answer the request (nonce differs)"}
		}
		t := &ticket{
			ticket: rep.Ticket, key: enc.Key, flags: enc.Flags,
			start: firstTime(enc.StartTime, enc.AuthTime), end: enc.EndTime, renewTill: enc.RenewTill,
			server: enc.SName.PrincipalNameString() + "@" + enc.SRealm,
		}
		next := enc.SName.NameString
		if len(next) == 2 && next[0] == "krbtgt" && sname.NameString[0] != "krbtgt" && next[1] != realm {
			if referrals >= maxReferrals {
				return nil, &Error{Op: op, Err: ErrRejected, Msg: fmt.Sprintf("more than %d cross-realm referrals", maxReferrals)}
			}
			tgt, realm = t, next[1]
			continue
		}
		return t, nil
	}
}

// newTGSReq makes a TGS-REQ whose PA-TGS-REQ authenticates with tgt and
// checksums the request body (RFC 4120 section 5.4.1).
func (i *Initiator) newTGSReq(tgt *ticket, realm string, sname types.PrincipalName) (*messages.TGSReq, error) {
	f, err := i.newKDCReq(msgtype.KRB_TGS_REQ, realm, sname, i.etypes(i.conf.LibDefaults.DefaultTGSEnctypeIDs))
	if err != nil {
		return nil, err
	}
	// Active Directory answers a service of another domain of the forest
	// with a referral only when the client asks for canonicalization.
	types.SetFlag(&f.ReqBody.KDCOptions, flags.Canonicalize)
	body, err := f.ReqBody.Marshal()
	if err != nil {
		return nil, err
	}
	et, err := crypto.GetEtype(tgt.key.KeyType)
	if err != nil {
		return nil, err
	}
	sum, err := et.GetChecksumHash(tgt.key.KeyValue, body, keyusage.TGS_REQ_PA_TGS_REQ_AP_REQ_AUTHENTICATOR_CHKSUM)
	if err != nil {
		return nil, err
	}
	now := i.now().UTC()
	auth := types.Authenticator{
		AVNO:   iana.PVNO,
		CRealm: i.cred.realm,
		CName:  i.cred.cname,
		Cksum:  types.Checksum{CksumType: et.GetHashID(), Checksum: sum},
		CTime:  now.Truncate(time.Second),
		Cusec:  now.Nanosecond() / 1000,
	}
	ap, err := messages.NewAPReq(tgt.ticket, tgt.key, auth)
	if err != nil {
		return nil, err
	}
	apb, err := ap.Marshal()
	if err != nil {
		return nil, err
	}
	f.PAData = types.PADataSequence{{PADataType: patype.PA_TGS_REQ, PADataValue: apb}}
	return &messages.TGSReq{KDCReqFields: f}, nil
}

// readCCache reads the TGT from the credential cache file. It is read
// again whenever the TGT it gave expires, so that a cache renewed outside
// (kinit -R, k5start) keeps working.
func (i *Initiator) readCCache() (*ticket, error) {
	op := "read credential cache " + i.cred.ccache
	cc, err := credentials.LoadCCache(i.cred.ccache)
	if err != nil {
		return nil, &Error{Op: op, Err: ErrExpired, Msg: err.Error()}
	}
	want := types.PrincipalName{NameType: nametype.KRB_NT_SRV_INST, NameString: []string{"krbtgt", i.cred.realm}}
	cred, ok := cc.GetEntry(want)
	if !ok {
		return nil, &Error{Op: op, Err: ErrExpired, Msg: fmt.Sprintf("no ticket-granting ticket of %s: log in again (kinit)", i.cred.principal())}
	}
	t, err := ccacheTicket(cred)
	if err != nil {
		return nil, &Error{Op: op, Err: ErrMalformed, Msg: err.Error()}
	}
	if !t.valid(i.now()) {
		return nil, &Error{Op: op, Err: ErrExpired, Msg: fmt.Sprintf("the ticket-granting ticket of %s expired at %s: log in again (kinit)", i.cred.principal(), t.end.Format(time.RFC3339))}
	}
	return t, nil
}

// cachedServiceTicket returns a valid ticket for sname from the credential
// cache file, or nil.
func (i *Initiator) cachedServiceTicket(sname types.PrincipalName, realm string) *ticket {
	cc, err := credentials.LoadCCache(i.cred.ccache)
	if err != nil {
		return nil
	}
	for _, cred := range cc.GetEntries() {
		if !strings.EqualFold(cred.Server.Realm, realm) || !cred.Server.PrincipalName.Equal(sname) {
			continue
		}
		if t, err := ccacheTicket(cred); err == nil && t.valid(i.now()) {
			return t
		}
	}
	return nil
}

func ccacheTicket(c *credentials.Credential) (*ticket, error) {
	var tkt messages.Ticket
	if err := tkt.Unmarshal(c.Ticket); err != nil {
		return nil, fmt.Errorf("a ticket in the cache cannot be parsed: %v", err)
	}
	return &ticket{
		ticket: tkt, key: c.Key, flags: c.TicketFlags,
		start: firstTime(c.StartTime, c.AuthTime), end: c.EndTime, renewTill: c.RenewTill,
		server: c.Server.PrincipalName.PrincipalNameString() + "@" + c.Server.Realm,
	}, nil
}
