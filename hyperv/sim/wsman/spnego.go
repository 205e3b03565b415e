package wsman

import (
	"bytes"
	"encoding/asn1"
	"errors"
	"fmt"
)

// Mechanism OIDs (RFC 4178, MS-SPNG 2.2, RFC 4121).
var (
	oidSPNEGO = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 2}
	oidNTLM   = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 2, 2, 10}
	oidKrb5   = asn1.ObjectIdentifier{1, 2, 840, 113554, 1, 2, 2}
	oidMSKrb5 = asn1.ObjectIdentifier{1, 2, 840, 48018, 1, 2, 2} // what Windows lists first
)

// tokenKind is what a Negotiate or Kerberos token carries.
type tokenKind int

const (
	tokenUnknown  tokenKind = iota
	tokenNTLM               // a raw NTLMSSP message, as pywinrm sends it
	tokenKerberos           // a GSS-API Kerberos token around an AP-REQ
	tokenNegInit            // SPNEGO's first token, around a mechanism's first token
	tokenNegResp            // SPNEGO's later tokens
)

// negotiation states of a NegTokenResp (RFC 4178 section 4.2.2).
const (
	acceptCompleted  = 0
	acceptIncomplete = 1
	reject           = 2
)

// classify tells what tok is.
func classify(tok []byte) (tokenKind, asn1.ObjectIdentifier) {
	switch {
	case bytes.HasPrefix(tok, []byte("NTLMSSP\x00")):
		return tokenNTLM, oidNTLM
	case len(tok) > 0 && tok[0] == 0xa1:
		return tokenNegResp, oidSPNEGO
	}
	oid, _, err := gssToken(tok)
	switch {
	case err != nil:
		return tokenUnknown, nil
	case oid.Equal(oidSPNEGO):
		return tokenNegInit, oid
	case oid.Equal(oidKrb5), oid.Equal(oidMSKrb5):
		return tokenKerberos, oid
	}
	return tokenUnknown, nil
}

// gssToken splits a GSS-API InitialContextToken (RFC 2743 section 3.1)
// into its mechanism and inner token.
func gssToken(tok []byte) (asn1.ObjectIdentifier, []byte, error) {
	var outer asn1.RawValue
	if rest, err := asn1.Unmarshal(tok, &outer); err != nil || len(rest) > 0 {
		return nil, nil, errors.New("not a GSS-API token")
	}
	if outer.Class != asn1.ClassApplication || outer.Tag != 0 || !outer.IsCompound {
		return nil, nil, errors.New("not a GSS-API token")
	}
	var oid asn1.ObjectIdentifier
	inner, err := asn1.Unmarshal(outer.Bytes, &oid)
	if err != nil {
		return nil, nil, errors.New("a GSS-API token without a mechanism")
	}
	return oid, inner, nil
}

// negTokenInit is SPNEGO's NegTokenInit (RFC 4178 section 4.2.1).
type negTokenInit struct {
	MechTypes   []asn1.ObjectIdentifier `asn1:"explicit,tag:0"`
	ReqFlags    asn1.BitString          `asn1:"explicit,optional,tag:1"`
	MechToken   []byte                  `asn1:"explicit,optional,tag:2"`
	MechListMIC []byte                  `asn1:"explicit,optional,tag:3"`
}

// parseNegTokenInit reads a NegTokenInit and returns it with the DER of
// its mechanism list, which a mechListMIC signs.
func parseNegTokenInit(tok []byte) (*negTokenInit, []byte, error) {
	_, inner, err := gssToken(tok)
	if err != nil {
		return nil, nil, err
	}
	var init negTokenInit
	if _, err := asn1.UnmarshalWithParams(inner, &init, "explicit,tag:0"); err != nil {
		return nil, nil, fmt.Errorf("malformed spnego NegTokenInit: %w", err)
	}
	mechTypes, err := asn1.Marshal(init.MechTypes)
	if err != nil {
		return nil, nil, fmt.Errorf("malformed spnego NegTokenInit: %w", err)
	}
	return &init, mechTypes, nil
}

// negTokenResp is SPNEGO's NegTokenResp (RFC 4178 section 4.2.2).
type negTokenResp struct {
	NegState      asn1.Enumerated       `asn1:"explicit,optional,tag:0"`
	SupportedMech asn1.ObjectIdentifier `asn1:"explicit,optional,tag:1"`
	ResponseToken []byte                `asn1:"explicit,optional,tag:2"`
	MechListMIC   []byte                `asn1:"explicit,optional,tag:3"`
}

func parseNegTokenResp(tok []byte) (*negTokenResp, error) {
	var resp negTokenResp
	rest, err := asn1.UnmarshalWithParams(tok, &resp, "explicit,tag:1")
	if err != nil || len(rest) > 0 {
		return nil, fmt.Errorf("malformed spnego NegTokenResp: %v", err)
	}
	return &resp, nil
}

// marshalNegTokenResp writes a NegTokenResp. It is written by hand because
// encoding/asn1 leaves out an optional zero, and accept-completed is 0.
// mech, token and mic are left out when nil.
func marshalNegTokenResp(state int, mech asn1.ObjectIdentifier, token, mic []byte) []byte {
	var fields []byte
	add := func(tag int, v any) {
		inner, _ := asn1.Marshal(v)
		b, _ := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: tag, IsCompound: true, Bytes: inner})
		fields = append(fields, b...)
	}
	add(0, asn1.Enumerated(state))
	if mech != nil {
		add(1, mech)
	}
	if token != nil {
		add(2, token)
	}
	if mic != nil {
		add(3, mic)
	}
	seq, _ := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: fields})
	out, _ := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 1, IsCompound: true, Bytes: seq})
	return out
}
