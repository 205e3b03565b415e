package seal

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// header opens every signature file; it names the format's version.
const header = "hvbalancer plan signature v1"

// Errors Verify wraps.
var (
	// ErrUnsigned: the plan has no signature.
	ErrUnsigned = errors.New("plan is not signed")
	// ErrUntrusted: the signature's key is none of the trusted ones.
	ErrUntrusted = errors.New("plan is signed by a key this configuration does not trust")
	// ErrBadSignature: the signature does not match the plan, its digest
	// or its key.
	ErrBadSignature = errors.New("plan signature does not match")
)

// message is what a signature covers: the plan's ID and digest.
func message(planID, digest string) []byte {
	return []byte(header + "\nplan: " + planID + "\ndigest: " + digest + "\n")
}

// Sign makes the signature file of the plan with ID planID and digest
// digest (balancer.Plan.Digest of its content).
func (k *Key) Sign(planID, digest string) []byte {
	sig := ed25519.Sign(k.priv, message(planID, digest))
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\nplan: %s\ndigest: %s\nkey: %s\nsignature: %s\n",
		header, planID, digest, k.Public().ID(), base64.StdEncoding.EncodeToString(sig))
	return b.Bytes()
}

// Verify checks the signature file sig of the plan with ID planID and
// digest digest against the trusted keys. It returns the ID of the key
// that signed it.
func Verify(sig []byte, planID, digest string, trusted []PublicKey) (string, error) {
	if len(bytes.TrimSpace(sig)) == 0 {
		return "", ErrUnsigned
	}
	f, err := parse(sig)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrBadSignature, err)
	}
	switch {
	case f["plan"] != planID:
		return "", fmt.Errorf("%w: it is the signature of plan %q, not %q", ErrBadSignature, f["plan"], planID)
	case f["digest"] != digest:
		return "", fmt.Errorf("%w: it signs digest %s, the plan's content has digest %s", ErrBadSignature, f["digest"], digest)
	}
	raw, err := base64.StdEncoding.DecodeString(f["signature"])
	if err != nil || len(raw) != ed25519.SignatureSize {
		return "", fmt.Errorf("%w: the signature is not an Ed25519 signature in base64", ErrBadSignature)
	}
	for _, k := range trusted {
		if k.ID() != f["key"] {
			continue
		}
		if !ed25519.Verify(ed25519.PublicKey(k), message(planID, digest), raw) {
			return "", fmt.Errorf("%w: key %s", ErrBadSignature, k.ID())
		}
		return k.ID(), nil
	}
	return "", fmt.Errorf("%w: key %s", ErrUntrusted, f["key"])
}

// parse reads a signature file: the header, then "name: value" lines.
func parse(sig []byte) (map[string]string, error) {
	sc := bufio.NewScanner(bytes.NewReader(sig))
	if !sc.Scan() || strings.TrimSpace(sc.Text()) != header {
		return nil, fmt.Errorf("not a %q file", header)
	}
	f := map[string]string{}
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		name, value, ok := strings.Cut(line, ": ")
		if !ok {
			return nil, fmt.Errorf("line %q is not name: value", line)
		}
		if _, dup := f[name]; dup {
			return nil, fmt.Errorf("%s given twice", name)
		}
		f[name] = value
	}
	for _, name := range []string{"plan", "digest", "key", "signature"} {
		if f[name] == "" {
			return nil, fmt.Errorf("no %s", name)
		}
	}
	return f, nil
}
