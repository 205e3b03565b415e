package hyperv

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"

	"github.com/bodgit/ntlmssp"
	"github.com/hvbalancer/hvbalancer/hyperv/internal/wsmv"
)

// ntlmAuth is NTLM (MS-NLMP) in the Negotiate scheme, raw as Windows
// accepts it and pywinrm sends it: NEGOTIATE, CHALLENGE, AUTHENTICATE.
// Over HTTPS the AUTHENTICATE carries the TLS channel bindings, which a
// host with CbtHardeningLevel Strict requires.
type ntlmAuth struct {
	client   *ntlmssp.Client
	bindings *ntlmssp.ChannelBindings // nil over HTTP
	session  *ntlmssp.SecuritySession // after AUTHENTICATE
}

var _ authenticator = (*ntlmAuth)(nil)

// newNTLMAuth makes the NTLM context of one connection; state is its TLS
// state, nil over HTTP.
func newNTLMAuth(username, password string, state *tls.ConnectionState) (*ntlmAuth, error) {
	user, domain := splitNTLMUser(username)
	c, err := ntlmssp.NewClient(ntlmssp.SetUserInfo(user, password), ntlmssp.SetDomain(domain))
	if err != nil {
		return nil, fmt.Errorf("new ntlm client: %w", err)
	}
	a := &ntlmAuth{client: c}
	if state != nil && len(state.PeerCertificates) > 0 {
		a.bindings = channelBindings(state.PeerCertificates[0])
	}
	return a, nil
}

// splitNTLMUser splits DOMAIN\user into its parts. A user principal name
// (user@domain) is sent whole with no domain, as Windows accepts it; a
// bare name has no domain (a local account of the host).
func splitNTLMUser(username string) (user, domain string) {
	if d, u, ok := strings.Cut(username, `\`); ok {
		return u, d
	}
	return username, ""
}

func (a *ntlmAuth) scheme() string   { return "Negotiate" }
func (a *ntlmAuth) protocol() string { return wsmv.ProtocolSPNEGO }

// start returns the NEGOTIATE message.
func (a *ntlmAuth) start() ([]byte, error) { return a.client.Authenticate(nil, nil) }

// next answers the CHALLENGE with the AUTHENTICATE message.
func (a *ntlmAuth) next(in []byte) ([]byte, error) {
	if a.client.Complete() {
		return nil, errHandshakeDone
	}
	out, err := a.client.Authenticate(in, a.bindings)
	if err != nil {
		return nil, fmt.Errorf("answer ntlm challenge: %w", err)
	}
	a.session = a.client.SecuritySession()
	return out, nil
}

// finish checks the host accepted the AUTHENTICATE. NTLM does not
// authenticate the host; a token in the success response is ignored.
func (a *ntlmAuth) finish([]byte) error {
	if !a.client.Complete() || a.session == nil {
		return errors.New("the host accepted the login before the ntlm handshake finished")
	}
	return nil
}

// ntlmSignatureSize is the size of an NTLMSSP_MESSAGE_SIGNATURE.
const ntlmSignatureSize = 16

// Wrap seals plain: the signature is the token header of MS-WSMV's framing.
func (a *ntlmAuth) Wrap(plain []byte) (signature, sealed []byte, err error) {
	if a.session == nil {
		return nil, nil, errors.New("seal message: no ntlm session")
	}
	sealed, signature, err = a.session.Wrap(plain)
	return signature, sealed, err
}

// Unwrap checks the signature and opens sealed.
func (a *ntlmAuth) Unwrap(signature, sealed []byte) ([]byte, error) {
	if a.session == nil {
		return nil, errors.New("open message: no ntlm session")
	}
	if len(signature) != ntlmSignatureSize {
		return nil, fmt.Errorf("open message: ntlm signature of %d bytes, want %d", len(signature), ntlmSignatureSize)
	}
	return a.session.Unwrap(sealed, signature)
}

// channelBindings returns the tls-server-end-point bindings of the
// host's certificate (RFC 5929 section 4).
func channelBindings(cert *x509.Certificate) *ntlmssp.ChannelBindings {
	return &ntlmssp.ChannelBindings{ApplicationData: wsmv.TLSServerEndPoint(cert)}
}
