package ntlm

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/rc4"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Errors of Authenticate. A client is refused for each; only
// ErrWrongPassword says its password was wrong.
var (
	ErrUnsupported     = errors.New("ntlm variant not supported")
	ErrUnknownUser     = errors.New("no such account")
	ErrWrongPassword   = errors.New("wrong password")
	ErrMIC             = errors.New("ntlm message integrity code does not match")
	ErrChannelBindings = errors.New("ntlm channel bindings do not match the TLS channel")
)

// Config names the service to clients and finds passwords.
type Config struct {
	// Computer is the NetBIOS name of the host, e.g. "HV01".
	Computer string
	// Domain is the DNS name of its domain, e.g. "lab.example"; its first
	// label, upper-cased, is the NetBIOS domain name. Empty: a workgroup
	// host, which names itself.
	Domain string
	// Password returns the password of an account, by the user and domain
	// names exactly as the client sent them, and whether it exists.
	Password func(user, domain string) (password string, ok bool)
	// Now is the clock of the CHALLENGE's timestamp; nil is time.Now.
	Now func() time.Time
	// Rand is the source of server challenges; nil is crypto/rand.
	Rand io.Reader
}

// Server accepts NTLM logons for one service. It holds no per-client
// state and is safe for concurrent use.
type Server struct {
	cfg Config
}

// NewServer checks cfg and returns a Server.
func NewServer(cfg Config) (*Server, error) {
	if cfg.Computer == "" || cfg.Password == nil {
		return nil, errors.New("new ntlm server: computer name and password lookup are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	return &Server{cfg: cfg}, nil
}

// version is the VERSION structure the service sends (MS-NLMP 2.2.2.10):
// Windows Server 2019, build 17763, NTLM revision 15.
var version = [8]byte{10, 0, 0x63, 0x45, 0, 0, 0, 15}

// Handshake is one logon in progress on one connection, between the
// CHALLENGE and the AUTHENTICATE.
type Handshake struct {
	srv                  *Server
	negotiate, challenge []byte
	serverChallenge      [8]byte
	flags                uint32
}

// Challenge reads the client's NEGOTIATE_MESSAGE and returns the
// handshake and the CHALLENGE_MESSAGE to send (MS-NLMP 3.2.5.1.1). It
// grants signing, sealing, key exchange and 128-bit keys when asked, and
// always the target information and the NTLM flag, as Windows does. It
// needs extended session security, which every NTLMv2 client asks for.
func (s *Server) Challenge(negotiate []byte) (*Handshake, []byte, error) {
	client, err := parseNegotiate(negotiate)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case client&(flagUnicode|flagOEM) == 0:
		return nil, nil, fmt.Errorf("%w: no character set (neither Unicode nor OEM)", ErrUnsupported)
	case client&flagExtendedSessionSecurity == 0:
		return nil, nil, fmt.Errorf("%w: NTLM without extended session security", ErrUnsupported)
	case client&flagDatagram != 0:
		return nil, nil, fmt.Errorf("%w: connectionless NTLM", ErrUnsupported)
	}
	h := &Handshake{srv: s, negotiate: bytes.Clone(negotiate)}
	if _, err := io.ReadFull(s.cfg.Rand, h.serverChallenge[:]); err != nil {
		return nil, nil, fmt.Errorf("ntlm server challenge: %w", err)
	}
	// Unicode when the client can, else OEM (MS-NLMP 2.2.2.5), as ntlm-auth
	// (pywinrm's) asks: it sends its NEGOTIATE in OEM only.
	charset := flagUnicode
	if client&flagUnicode == 0 {
		charset = flagOEM
	}
	h.flags = client&echoed | charset | flagRequestTarget | flagNTLM | flagTargetTypeDomain | flagTargetInfo
	target, info := s.targetInfo()
	ver := [8]byte{}
	if h.flags&flagVersion != 0 {
		ver = version
	}
	h.challenge = challengeMessage(h.flags, h.serverChallenge, target, info, ver)
	return h, bytes.Clone(h.challenge), nil
}

// targetInfo returns the target name and the AV pairs of a CHALLENGE, in
// the order Windows writes them.
func (s *Server) targetInfo() (string, []byte) {
	computer := strings.ToUpper(s.cfg.Computer)
	// A workgroup host names itself where a domain member names its domain.
	nbDomain, dnsDomain, dnsComputer := computer, strings.ToLower(computer), strings.ToLower(computer)
	if s.cfg.Domain != "" {
		dnsDomain = strings.ToLower(s.cfg.Domain)
		label, _, _ := strings.Cut(dnsDomain, ".")
		nbDomain = strings.ToUpper(label)
		dnsComputer += "." + dnsDomain
	}
	ts := make([]byte, 8)
	binary.LittleEndian.PutUint64(ts, filetime(s.cfg.Now()))
	pairs := avPairs{
		{avNbDomainName, toUTF16(nbDomain)},
		{avNbComputerName, toUTF16(computer)},
		{avDNSDomainName, toUTF16(dnsDomain)},
		{avDNSComputerName, toUTF16(dnsComputer)},
		{avTimestamp, ts},
	}
	return nbDomain, pairs.marshal()
}

// filetime is t in 100-nanosecond intervals since 1601-01-01 UTC.
func filetime(t time.Time) uint64 {
	const epochDelta = 116444736000000000 // 1601 to 1970
	return uint64(t.UnixNano()/100) + epochDelta
}

// Identity is who a client said it is, as it wrote it.
type Identity struct {
	User, Domain, Workstation string
}

// Authenticate verifies the client's AUTHENTICATE_MESSAGE (MS-NLMP
// 3.2.5.1.2 and 3.3.2): the NTLMv2 proof computed from the password of
// the user and domain the client named, the MIC when the client says it
// sent one, and, when the client bound the logon to a TLS channel, those
// bindings. tlsBindings is the channel's application data (see
// TLSServerEndPoint); nil when there is no TLS channel to compare with,
// and then bindings are not checked. A client that sent no bindings is
// accepted, as Windows does with CbtHardeningLevel Relaxed, its default;
// wrong ones are refused. The returned Identity is filled in as soon as
// the message can be read, even on failure.
func (h *Handshake) Authenticate(msg, tlsBindings []byte) (*Session, Identity, error) {
	a, err := parseAuthenticate(msg)
	if err != nil {
		return nil, Identity{}, err
	}
	id := Identity{User: a.user, Domain: a.domain, Workstation: a.workstation}
	if a.flags&flagAnonymous != 0 || len(a.nt) == 0 {
		return nil, id, fmt.Errorf("%w: anonymous logon", ErrUnsupported)
	}
	if len(a.nt) <= 24 {
		return nil, id, fmt.Errorf("%w: NTLMv1 or LM response", ErrUnsupported)
	}
	// NTLMv2_RESPONSE: NTProofStr (16), then the client's "temp": RespType,
	// HiRespType, 6 reserved, timestamp (8), client challenge (8), 4
	// reserved, the AV pairs.
	proof, temp := a.nt[:16], a.nt[16:]
	if len(temp) < 32 || temp[0] != 1 || temp[1] != 1 {
		return nil, id, fmt.Errorf("%w: not an NTLMv2 response", ErrMalformed)
	}
	pairs, err := parseAVPairs(temp[28:])
	if err != nil {
		return nil, id, err
	}
	password, ok := h.srv.cfg.Password(a.user, a.domain)
	if !ok {
		return nil, id, ErrUnknownUser
	}
	key := ntowfv2(password, a.user, a.domain)
	want := hmacMD5(key, h.serverChallenge[:], temp)
	if !hmac.Equal(want, proof) {
		return nil, id, ErrWrongPassword
	}
	flags := a.flags & h.flags
	exported := hmacMD5(key, proof) // SessionBaseKey, the KeyExchangeKey of NTLMv2
	if flags&flagKeyExch != 0 {
		if len(a.encryptedKey) != 16 {
			return nil, id, fmt.Errorf("%w: encrypted session key of %d bytes", ErrMalformed, len(a.encryptedKey))
		}
		c, _ := rc4.NewCipher(exported)
		exported = make([]byte, 16)
		c.XORKeyStream(exported, a.encryptedKey)
	}
	if err := h.checkMIC(msg, pairs, exported); err != nil {
		return nil, id, err
	}
	if err := checkBindings(pairs, tlsBindings); err != nil {
		return nil, id, err
	}
	return newSession(flags, exported, a.user, a.domain), id, nil
}

// checkMIC verifies the MIC over all three messages when MsvAvFlags says
// there is one (MS-NLMP 3.2.5.1.2).
func (h *Handshake) checkMIC(msg []byte, pairs avPairs, exported []byte) error {
	v, ok := pairs.get(avFlags)
	if !ok || len(v) != 4 || binary.LittleEndian.Uint32(v)&avFlagMIC == 0 {
		return nil
	}
	if len(msg) < micEnd {
		return fmt.Errorf("%w: no room for the MIC", ErrMalformed)
	}
	zeroed := bytes.Clone(msg)
	clear(zeroed[micOffset:micEnd])
	if !hmac.Equal(hmacMD5(exported, h.negotiate, h.challenge, zeroed), msg[micOffset:micEnd]) {
		return ErrMIC
	}
	return nil
}

// checkBindings compares the client's MsvAvChannelBindings, the MD5 of a
// gss_channel_bindings_struct, with the channel's. Sixteen zero bytes
// mean none.
func checkBindings(pairs avPairs, tlsBindings []byte) error {
	got, ok := pairs.get(avChannelBindings)
	if !ok || bytes.Equal(got, make([]byte, 16)) || tlsBindings == nil {
		return nil
	}
	if !hmac.Equal(got, bindingsHash(tlsBindings)) {
		return ErrChannelBindings
	}
	return nil
}

// bindingsHash is the MD5 of a gss_channel_bindings_struct (RFC 2744)
// with no addresses and appData as application data.
func bindingsHash(appData []byte) []byte {
	b := make([]byte, 16, 20+len(appData))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(appData)))
	b = append(b, appData...)
	sum := md5.Sum(b)
	return sum[:]
}
