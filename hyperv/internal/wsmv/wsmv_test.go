package wsmv

import (
	"bytes"
	"errors"
	"testing"
)

// xorSealer is a toy Sealer: it is enough to check the framing.
type xorSealer struct{ key byte }

func (x xorSealer) Wrap(p []byte) ([]byte, []byte, error) {
	out := make([]byte, len(p))
	for i, c := range p {
		out[i] = c ^ x.key
	}
	return []byte("SIGNATURE-16byte"), out, nil
}

func (x xorSealer) Unwrap(sig, s []byte) ([]byte, error) {
	if string(sig) != "SIGNATURE-16byte" {
		return nil, errors.New("bad signature")
	}
	_, p, _ := x.Wrap(s)
	return p, nil
}

func TestRoundTrip(t *testing.T) {
	env := []byte(`<s:Envelope>` + string(bytes.Repeat([]byte("x"), 5000)) + `--Encrypted Boundary</s:Envelope>`)
	body, err := Encrypt(xorSealer{0x5a}, ProtocolSPNEGO, env)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decrypt(xorSealer{0x5a}, body)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, env) {
		t.Fatal("round trip changed the envelope")
	}
	p, ok := Protocol(ContentType(ProtocolSPNEGO))
	if !ok || p != ProtocolSPNEGO {
		t.Fatalf("Protocol(ContentType) = %q, %t", p, ok)
	}
	if _, ok := Protocol("application/soap+xml;charset=UTF-8"); ok {
		t.Fatal("a plain SOAP content type was taken for an encrypted one")
	}
}

func TestDecryptRefusesMalformed(t *testing.T) {
	good, _ := Encrypt(xorSealer{1}, ProtocolSPNEGO, []byte("<s:Envelope/>"))
	for name, body := range map[string][]byte{
		"empty":          nil,
		"plain soap":     []byte("<s:Envelope/>"),
		"truncated":      good[:len(good)/2],
		"no end":         bytes.TrimSuffix(good, []byte("--Encrypted Boundary--\r\n")),
		"length changed": bytes.Replace(good, []byte("Length=13"), []byte("Length=12"), 1),
	} {
		if _, err := Decrypt(xorSealer{1}, body); err == nil {
			t.Errorf("%s: Decrypt accepted it", name)
		}
	}
}

func FuzzDecrypt(f *testing.F) {
	good, _ := Encrypt(xorSealer{1}, ProtocolSPNEGO, []byte("<s:Envelope/>"))
	f.Add(good)
	f.Fuzz(func(t *testing.T, body []byte) { _, _ = Decrypt(xorSealer{1}, body) })
}
