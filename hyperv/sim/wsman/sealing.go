package wsman

import (
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"

	"github.com/hvbalancer/hvbalancer/hyperv/internal/wsmv"
)

// sealingOverhead is what MS-WSMV framing and a signature add to an
// envelope; a sealed body may exceed MaxEnvelopeSize by this much.
const sealingOverhead = 4096

// readBody reads a request body of at most MaxEnvelopeSize bytes, plus the
// sealing's overhead when it is sealed. It answers 413 itself.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	limit := int64(s.cfg.MaxEnvelopeSize)
	if _, sealed := wsmv.Protocol(r.Header.Get("Content-Type")); sealed {
		limit += sealingOverhead
	}
	if r.ContentLength > limit {
		bare(w, http.StatusRequestEntityTooLarge)
		return nil, false
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		s.log.Debug("wsman read request", "err", err)
		return nil, false
	}
	if int64(len(data)) > limit {
		bare(w, http.StatusRequestEntityTooLarge)
		return nil, false
	}
	return data, true
}

// openBody returns the SOAP envelope of an authenticated request and
// prepares rp to answer in kind. It answers the request itself, and
// returns false, when the body is refused or the request only completed a
// handshake.
//
// A sealed body (MS-WSMV 2.2.9.1) is opened with the login's security
// context and the answer is sealed. An unsealed one is taken over HTTPS
// or when AllowUnencrypted is set; otherwise Windows answers HTTP 500 with
// an empty body (pywinrm issue 129 and winrm4j issue 151: the service
// logs that it received unencrypted traffic). On the NTLM leg that
// completes the login it answers 401 instead, as clients that send the
// message along with the AUTHENTICATE see (packer issue 6205, masterzen
// winrm issue 140; Ansible's Windows guide lists unencrypted HTTP under
// "HTTP 401/Credentials Rejected"), and the login does not stand.
func (s *Server) openBody(rp *responder, r *http.Request, cs *connState, lg *login, data []byte) ([]byte, bool) {
	if protocol, sealed := wsmv.Protocol(r.Header.Get("Content-Type")); sealed {
		return s.openSealed(rp, cs, lg, protocol, data)
	}
	switch {
	case lg.handshake && len(data) == 0:
		// The handshake on an empty POST, as pywinrm and this project's
		// client make it before they seal messages.
		bare(rp.w, http.StatusOK)
		return nil, false
	case r.TLS != nil || s.auth.AllowUnencrypted:
	case lg.handshake && lg.ntlm:
		s.log.Debug("wsman login refused", "scheme", lg.scheme, "user", lg.user, "err", "unencrypted message on the AUTHENTICATE leg")
		cs.mu.Lock()
		cs.reset()
		cs.mu.Unlock()
		rp.w.Header().Del("WWW-Authenticate")
		s.unauthorized(rp.w)
		return nil, false
	default:
		s.log.Debug("wsman unencrypted message refused", "user", lg.user)
		bare(rp.w, http.StatusInternalServerError)
		return nil, false
	}
	utf16, ok := requestCharset(r.Header.Get("Content-Type"))
	if !ok {
		bare(rp.w, http.StatusUnsupportedMediaType)
		return nil, false
	}
	if utf16 {
		decoded, err := decodeUTF16(data)
		if err != nil {
			s.writeFault(rp, "", faultInvalidXML())
			return nil, false
		}
		data = decoded
	}
	rp.utf16 = utf16
	return data, true
}

// openSealed opens a sealed body.
func (s *Server) openSealed(rp *responder, cs *connState, lg *login, protocol string, data []byte) ([]byte, bool) {
	if protocol != wsmv.ProtocolSPNEGO && protocol != wsmv.ProtocolKerberos {
		bare(rp.w, http.StatusUnsupportedMediaType)
		return nil, false
	}
	if lg.ctx == nil {
		s.log.Debug("wsman sealed message without a security context", "user", lg.user)
		bare(rp.w, http.StatusBadRequest)
		return nil, false
	}
	cs.mu.Lock()
	envelope, err := wsmv.Decrypt(lg.ctx, data)
	if err != nil {
		cs.reset() // the context's sequence numbers are out of step now
	}
	cs.mu.Unlock()
	if err != nil {
		s.log.Debug("wsman cannot open message", "user", lg.user, "err", err)
		bare(rp.w, http.StatusBadRequest)
		return nil, false
	}
	if len(envelope) > s.cfg.MaxEnvelopeSize {
		bare(rp.w, http.StatusRequestEntityTooLarge)
		return nil, false
	}
	rp.seal, rp.protocol, rp.mu = lg.ctx, protocol, &cs.mu
	return envelope, true
}

// responder answers one request: in the request's character set, and
// sealed when the request was.
type responder struct {
	w        http.ResponseWriter
	log      *slog.Logger
	utf16    bool
	seal     SecurityContext // nil: unsealed
	protocol string
	mu       *sync.Mutex // the connection's, held while sealing
}

// envelope answers with a SOAP envelope.
func (rp *responder) envelope(status int, text string) {
	data, contentType := []byte(text), "application/soap+xml;charset=UTF-8"
	switch {
	case rp.seal != nil:
		rp.mu.Lock()
		sealed, err := wsmv.Encrypt(rp.seal, rp.protocol, data)
		rp.mu.Unlock()
		if err != nil {
			rp.log.Error("wsman seal response", "err", err)
			bare(rp.w, http.StatusInternalServerError)
			return
		}
		data, contentType = sealed, wsmv.ContentType(rp.protocol)
	case rp.utf16:
		data, contentType = encodeUTF16(text), "application/soap+xml;charset=UTF-16"
	}
	rp.w.Header().Set("Content-Type", contentType)
	rp.w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	rp.w.WriteHeader(status)
	if _, err := rp.w.Write(data); err != nil {
		rp.log.Debug("wsman write response", "err", err)
	}
}
