package ntlm

import (
	"bytes"
	"errors"
	"testing"
)

// mirror returns the client's view of a server session: the same keys
// with the directions swapped.
func mirror(s *Session, flags uint32, key []byte) *Session {
	c := newSession(flags, key, s.user, s.domain)
	c.signOut, c.signIn = c.signIn, c.signOut
	c.sealOut, c.sealIn = c.sealIn, c.sealOut
	return c
}

func TestSignaturesAndSealingInterleave(t *testing.T) {
	key := bytes.Repeat([]byte{0x55}, 16)
	for _, flags := range []uint32{specFlags, specFlags &^ flagKeyExch, specFlags&^flag128 | flag56, specFlags &^ (flag128 | flag56)} {
		srv := newSession(flags, key, "User", "Domain")
		cli := mirror(srv, flags, key)
		mechList := []byte{0x30, 0x0c, 0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a}
		// SPNEGO's mechListMIC in both directions, then sealed messages.
		if err := srv.VerifySignature(mechList, cli.MakeSignature(mechList)); err != nil {
			t.Fatalf("flags %#x: client mechListMIC: %v", flags, err)
		}
		if err := cli.VerifySignature(mechList, srv.MakeSignature(mechList)); err != nil {
			t.Fatalf("flags %#x: server mechListMIC: %v", flags, err)
		}
		for i := range 3 {
			sig, sealed, err := cli.Wrap([]byte("request"))
			if err != nil {
				t.Fatal(err)
			}
			if got, err := srv.Unwrap(sig, sealed); err != nil || string(got) != "request" {
				t.Fatalf("flags %#x, message %d: %q, %v", flags, i, got, err)
			}
			sig, sealed, _ = srv.Wrap([]byte("response"))
			if got, err := cli.Unwrap(sig, sealed); err != nil || string(got) != "response" {
				t.Fatalf("flags %#x, reply %d: %q, %v", flags, i, got, err)
			}
		}
		if err := srv.VerifySignature(mechList, make([]byte, SignatureSize)); !errors.Is(err, ErrSignature) {
			t.Errorf("flags %#x: a zero signature: got %v", flags, err)
		}
	}
}

func TestNoSealingNegotiated(t *testing.T) {
	s := newSession(specFlags&^flagSeal, bytes.Repeat([]byte{1}, 16), "u", "d")
	if _, _, err := s.Wrap([]byte("x")); err == nil {
		t.Error("Wrap without sealing succeeded")
	}
	if _, err := s.Unwrap(make([]byte, 16), []byte("x")); err == nil {
		t.Error("Unwrap without sealing succeeded")
	}
}
