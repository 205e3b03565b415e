package wsmv

import (
	"bytes"
	"crypto"
	_ "crypto/sha256" // registers SHA-256 for crypto.SHA256.New
	_ "crypto/sha512" // registers SHA-384 and SHA-512
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"mime"
	"strconv"
	"strings"
)

// Protocols name the security context that sealed a message, as the
// protocol parameter of the Content-Type.
const (
	// ProtocolSPNEGO is used for the Negotiate scheme (NTLM, or Kerberos through SPNEGO).
	ProtocolSPNEGO = "application/HTTP-SPNEGO-session-encrypted"
	// ProtocolKerberos is used for the Kerberos scheme.
	ProtocolKerberos = "application/HTTP-Kerberos-session-encrypted"
)

// MediaType is the Content-Type media type of an encrypted body.
const MediaType = "multipart/encrypted"

const (
	boundary    = "Encrypted Boundary"
	delimiter   = "--" + boundary
	octetStream = "\tContent-Type: application/octet-stream\r\n"
	// SOAPContentType is the original content of every message.
	SOAPContentType = "application/soap+xml;charset=UTF-8"
)

// Sealer seals and opens the messages of one security context. Wrap and
// Unwrap each advance the context's sequence numbers, so one context must
// not be used from two goroutines at once.
type Sealer interface {
	// Wrap seals plain and returns the signature (the token header) and
	// the sealed data.
	Wrap(plain []byte) (signature, sealed []byte, err error)
	// Unwrap checks signature and opens sealed.
	Unwrap(signature, sealed []byte) ([]byte, error)
}

// ErrMalformed marks an encrypted body that cannot be parsed.
var ErrMalformed = errors.New("malformed encrypted message")

// ContentType returns the HTTP Content-Type of a body sealed for protocol.
func ContentType(protocol string) string {
	return fmt.Sprintf(`%s;protocol="%s";boundary="%s"`, MediaType, protocol, boundary)
}

// Encrypt seals a SOAP envelope (UTF-8) with s and returns the HTTP body.
func Encrypt(s Sealer, protocol string, envelope []byte) ([]byte, error) {
	sig, sealed, err := s.Wrap(envelope)
	if err != nil {
		return nil, fmt.Errorf("seal message: %w", err)
	}
	var b bytes.Buffer
	b.Grow(len(sealed) + len(sig) + 256)
	b.WriteString(delimiter + "\r\n")
	b.WriteString("\tContent-Type: " + protocol + "\r\n")
	b.WriteString("\tOriginalContent: type=" + SOAPContentType + ";Length=" + strconv.Itoa(len(envelope)) + "\r\n")
	b.WriteString(delimiter + "\r\n")
	b.WriteString(octetStream)
	var n [4]byte
	binary.LittleEndian.PutUint32(n[:], uint32(len(sig)))
	b.Write(n[:])
	b.Write(sig)
	b.Write(sealed)
	b.WriteString(delimiter + "--\r\n")
	return b.Bytes(), nil
}

// Protocol returns the protocol parameter of an encrypted body's
// Content-Type, and whether contentType is one.
func Protocol(contentType string) (string, bool) {
	media, params, err := mime.ParseMediaType(contentType)
	if err != nil || !strings.EqualFold(media, MediaType) {
		return "", false
	}
	return params["protocol"], true
}

// Decrypt opens an HTTP body sealed with s and returns the SOAP envelope.
// It checks the length the sender declared against what was opened.
func Decrypt(s Sealer, body []byte) ([]byte, error) {
	rest, ok := bytes.CutPrefix(body, []byte(delimiter+"\r\n"))
	if !ok {
		return nil, fmt.Errorf("%w: no leading boundary", ErrMalformed)
	}
	header, rest, ok := bytes.Cut(rest, []byte(delimiter+"\r\n"))
	if !ok {
		return nil, fmt.Errorf("%w: no second part", ErrMalformed)
	}
	length, err := originalLength(header)
	if err != nil {
		return nil, err
	}
	rest, ok = bytes.CutPrefix(rest, []byte(octetStream))
	if !ok {
		return nil, fmt.Errorf("%w: the second part is not application/octet-stream", ErrMalformed)
	}
	if len(rest) < 4 {
		return nil, fmt.Errorf("%w: no signature length", ErrMalformed)
	}
	sigLen := int(binary.LittleEndian.Uint32(rest))
	rest = rest[4:]
	if sigLen > len(rest) || sigLen > 1024 {
		return nil, fmt.Errorf("%w: signature length %d", ErrMalformed, sigLen)
	}
	sig, rest := rest[:sigLen], rest[sigLen:]
	end := bytes.LastIndex(rest, []byte(delimiter+"--"))
	if end < 0 {
		return nil, fmt.Errorf("%w: no closing boundary", ErrMalformed)
	}
	plain, err := s.Unwrap(sig, rest[:end])
	if err != nil {
		return nil, fmt.Errorf("open message: %w", err)
	}
	if len(plain) != length {
		return nil, fmt.Errorf("%w: %d bytes opened, %d declared", ErrMalformed, len(plain), length)
	}
	return plain, nil
}

// originalLength reads Length= from the first part's OriginalContent line.
func originalLength(header []byte) (int, error) {
	for line := range strings.SplitSeq(string(header), "\r\n") {
		v, ok := strings.CutPrefix(strings.TrimSpace(line), "OriginalContent:")
		if !ok {
			continue
		}
		for param := range strings.SplitSeq(v, ";") {
			if n, ok := strings.CutPrefix(strings.TrimSpace(param), "Length="); ok {
				length, err := strconv.Atoi(n)
				if err != nil || length < 0 {
					return 0, fmt.Errorf("%w: length %q", ErrMalformed, n)
				}
				return length, nil
			}
		}
	}
	return 0, fmt.Errorf("%w: no OriginalContent length", ErrMalformed)
}

// TLSServerEndPoint returns the tls-server-end-point channel binding
// application data of a server certificate (RFC 5929 section 4.1), which
// binds an NTLM or Kerberos login to the TLS connection it travels in: the
// prefix and the certificate's hash, with the hash of its signature
// algorithm, SHA-256 in place of MD5 or SHA-1 or when it names none
// (Ed25519).
func TLSServerEndPoint(cert *x509.Certificate) []byte {
	h := crypto.SHA256
	switch cert.SignatureAlgorithm {
	case x509.SHA384WithRSA, x509.ECDSAWithSHA384, x509.SHA384WithRSAPSS:
		h = crypto.SHA384
	case x509.SHA512WithRSA, x509.ECDSAWithSHA512, x509.SHA512WithRSAPSS:
		h = crypto.SHA512
	}
	d := h.New()
	d.Write(cert.Raw)
	return append([]byte("tls-server-end-point:"), d.Sum(nil)...)
}
