package seal

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/durable"
)

// Key is a plan-signing key.
type Key struct {
	priv ed25519.PrivateKey
}

// PublicKey is the half of a Key that checks signatures.
type PublicKey ed25519.PublicKey

// LoadOrCreate reads the signing key at path, or makes one there (mode
// 0600) when the file does not exist.
func LoadOrCreate(path string) (*Key, error) {
	k, err := Load(path)
	if !errors.Is(err, os.ErrNotExist) {
		return k, err
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("make signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("make signing key: %w", err)
	}
	err = writeNew(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	switch {
	case errors.Is(err, os.ErrExist): // another process made it meanwhile: use theirs
		return Load(path)
	case err != nil:
		return nil, fmt.Errorf("make signing key %s: %w", path, err)
	}
	return &Key{priv: priv}, nil
}

// writeNew writes b to path, which must not exist yet, with mode 0600
// (durable.CreateNew): synced before it gets its name, so a power cut
// cannot leave an empty key that refuses every start, and named by a hard
// link, so that no reader sees half a key and two writers keep one key.
func writeNew(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return err
	}
	return durable.CreateNew(path, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// Load reads the signing key at path (an error wrapping os.ErrNotExist
// when there is none).
func Load(path string) (*Key, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read signing key: %w", err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("read signing key %s: not a PEM PRIVATE KEY", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("read signing key %s: %w", path, err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("read signing key %s: a %T, want an Ed25519 key", path, k)
	}
	return &Key{priv: priv}, nil
}

// Public is the key's public half.
func (k *Key) Public() PublicKey { return PublicKey(k.priv.Public().(ed25519.PublicKey)) }

// PEM is the public key as a PEM "PUBLIC KEY" block, to give to the
// machines that must trust the plans this key signs.
func (p PublicKey) PEM() []byte {
	der, err := x509.MarshalPKIXPublicKey(ed25519.PublicKey(p))
	if err != nil {
		panic(err) // an Ed25519 key always marshals
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// ID names the key in signatures and messages: the first 16 bytes of the
// SHA-256 of the key, base64.
func (p PublicKey) ID() string {
	sum := sha256.Sum256(p)
	return base64.RawStdEncoding.EncodeToString(sum[:16])
}

// LoadPublic reads a public key file (PEM "PUBLIC KEY").
func LoadPublic(path string) (PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read trusted key: %w", err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PUBLIC KEY" {
		return nil, fmt.Errorf("read trusted key %s: not a PEM PUBLIC KEY", path)
	}
	k, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("read trusted key %s: %w", path, err)
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("read trusted key %s: a %T, want an Ed25519 key", path, k)
	}
	return PublicKey(pub), nil
}
