package seal

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestSignAndVerify(t *testing.T) {
	dir := t.TempDir()
	k, err := LoadOrCreate(filepath.Join(dir, "plan-signing.key"))
	if err != nil {
		t.Fatal(err)
	}
	other, err := LoadOrCreate(filepath.Join(dir, "other.key"))
	if err != nil {
		t.Fatal(err)
	}
	const id, digest = "plan-20260105-080000-1a2b3c4d", "sha256:aaaa"
	sig := k.Sign(id, digest)
	if got, err := Verify(sig, id, digest, []PublicKey{other.Public(), k.Public()}); err != nil || got != k.Public().ID() {
		t.Fatalf("Verify of a good signature: %q, %v", got, err)
	}
	for _, tc := range []struct {
		name    string
		sig     []byte
		id, dig string
		trusted []PublicKey
		want    error
		says    string
	}{
		{"no signature", nil, id, digest, []PublicKey{k.Public()}, ErrUnsigned, ""},
		{"another digest (the plan was edited)", sig, id, "sha256:bbbb", []PublicKey{k.Public()}, ErrBadSignature, "the plan's content has digest sha256:bbbb"},
		{"another plan's signature", sig, "plan-x", digest, []PublicKey{k.Public()}, ErrBadSignature, `not "plan-x"`},
		{"an untrusted key", sig, id, digest, []PublicKey{other.Public()}, ErrUntrusted, k.Public().ID()},
		{"a digest edited in the signature too", []byte(strings.Replace(string(sig), digest, "sha256:bbbb", 1)), id, "sha256:bbbb", []PublicKey{k.Public()}, ErrBadSignature, "key"},
		{"a forged key id", []byte(strings.Replace(string(sig), k.Public().ID(), other.Public().ID(), 1)), id, digest, []PublicKey{other.Public()}, ErrBadSignature, "key " + other.Public().ID()},
		{"garbage", []byte("hello\n"), id, digest, []PublicKey{k.Public()}, ErrBadSignature, "not a"},
		{"a field twice", append(append([]byte{}, sig...), "plan: x\n"...), id, digest, []PublicKey{k.Public()}, ErrBadSignature, "twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Verify(tc.sig, tc.id, tc.dig, tc.trusted)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("Verify = %v, want %v saying %q", err, tc.want, tc.says)
			}
		})
	}
}

func TestKeyFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state", "plan-signing.key")
	// Several processes making the key at once keep one.
	keys := make([]*Key, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			k, err := LoadOrCreate(path)
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		})
	}
	wg.Wait()
	for _, k := range keys {
		if k == nil || k.Public().ID() != keys[0].Public().ID() {
			t.Fatal("processes made different keys")
		}
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v, mode %v", err, fi.Mode())
	}
	again, err := Load(path)
	if err != nil || again.Public().ID() != keys[0].Public().ID() {
		t.Fatalf("reading the key back: %v", err)
	}
	pub := filepath.Join(dir, "ci.pub")
	if err := os.WriteFile(pub, again.Public().PEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	if p, err := LoadPublic(pub); err != nil || p.ID() != again.Public().ID() {
		t.Errorf("public key file: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "bad.pub"), []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), 0o644)
	if _, err := LoadPublic(filepath.Join(dir, "bad.pub")); err == nil || !strings.Contains(err.Error(), "not a PEM PUBLIC KEY") {
		t.Errorf("a private key given as trusted key: %v", err)
	}
	if _, err := Load(filepath.Join(dir, "none.key")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing key: %v", err)
	}
}
