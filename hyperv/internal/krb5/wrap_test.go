package krb5

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/types"
)

// fixedKey is a key of keyType with every byte b.
func fixedKey(keyType int32, b byte) types.EncryptionKey {
	et, err := crypto.GetEtype(keyType)
	if err != nil {
		panic(err)
	}
	return types.EncryptionKey{KeyType: keyType, KeyValue: bytes.Repeat([]byte{b}, et.GetKeyByteSize())}
}

// sealerPair is an established context's two sides with fixed keys: the
// initiator's subkey, and the acceptor's subkey when withAcceptorKey.
func sealerPair(keyType int32, withAcceptorKey bool) (client, server *sealer) {
	ik := fixedKey(keyType, 0x11)
	client = &sealer{initiatorKey: ik, sendSeq: 100, recvSeq: 7000}
	server = &sealer{acceptor: true, initiatorKey: ik, sendSeq: 7000, recvSeq: 100}
	if withAcceptorKey {
		ak := fixedKey(keyType, 0x22)
		client.acceptorKey, server.acceptorKey = &ak, &ak
	}
	return client, server
}

func TestWrapLayout(t *testing.T) {
	for _, tc := range []struct {
		name    string
		keyType int32
		sigLen  int
	}{
		// 16 header + 16 encrypted header copy + HMAC + 16 confounder
		{"aes128-cts-hmac-sha1-96", 17, 60},
		{"aes256-cts-hmac-sha1-96", 18, 60},
		{"aes128-cts-hmac-sha256-128", 19, 64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, withAK := range []bool{true, false} {
				c, s := sealerPair(tc.keyType, withAK)
				for n, msg := range [][]byte{{}, []byte("x"), bytes.Repeat([]byte("0123456789abcdef"), 300)} {
					sig, sealed, err := c.Wrap(msg)
					if err != nil {
						t.Fatal(err)
					}
					if len(sig) != tc.sigLen || len(sealed) != len(msg) {
						t.Fatalf("signature %d bytes, sealed %d for %d: want %d and %d", len(sig), len(sealed), len(msg), tc.sigLen, len(msg))
					}
					wantFlags := byte(flagSealed)
					if withAK {
						wantFlags |= flagAcceptorSubkey
					}
					h := sig[:16]
					if binary.BigEndian.Uint16(h) != 0x0504 || h[2] != wantFlags || h[3] != 0xff ||
						binary.BigEndian.Uint16(h[4:]) != 0 || int(binary.BigEndian.Uint16(h[6:])) != tc.sigLen-32 ||
						binary.BigEndian.Uint64(h[8:]) != uint64(100+n) {
						t.Fatalf("header %x", h)
					}
					if len(msg) > 32 && bytes.Contains(sealed, msg[:32]) {
						t.Fatal("the sealed data holds the plaintext")
					}
					got, err := s.Unwrap(sig, sealed)
					if err != nil || !bytes.Equal(got, msg) {
						t.Fatalf("server opened %q, %v", got, err)
					}
					sig, sealed, err = s.Wrap(msg)
					if err != nil {
						t.Fatal(err)
					}
					if sig[2] != wantFlags|flagSentByAcceptor || binary.BigEndian.Uint64(sig[8:]) != uint64(7000+n) {
						t.Fatalf("acceptor's header %x", sig[:16])
					}
					if got, err = c.Unwrap(sig, sealed); err != nil || !bytes.Equal(got, msg) {
						t.Fatalf("client opened %q, %v", got, err)
					}
				}
			}
		})
	}
}

func TestUnwrapRefuses(t *testing.T) {
	msg := []byte("<s:Envelope>Get-VM</s:Envelope>")
	flip := func(b []byte, i int) []byte {
		b = bytes.Clone(b)
		b[i] ^= 0x01
		return b
	}
	for _, tc := range []struct {
		name string
		mod  func(c, s *sealer, sig, sealed []byte) (*sealer, []byte, []byte)
		want error
	}{
		{"a changed byte of the data", func(c, s *sealer, sig, sealed []byte) (*sealer, []byte, []byte) {
			return s, sig, flip(sealed, 3)
		}, ErrIntegrity},
		{"a changed checksum", func(c, s *sealer, sig, sealed []byte) (*sealer, []byte, []byte) {
			return s, flip(sig, 40), sealed
		}, ErrIntegrity},
		{"a changed sequence number", func(c, s *sealer, sig, sealed []byte) (*sealer, []byte, []byte) {
			return s, flip(sig, 15), sealed
		}, ErrIntegrity},
		{"a truncated message", func(c, s *sealer, sig, sealed []byte) (*sealer, []byte, []byte) {
			return s, sig, sealed[:len(sealed)-1]
		}, ErrIntegrity},
		{"the sender's own token reflected", func(c, s *sealer, sig, sealed []byte) (*sealer, []byte, []byte) {
			return c, sig, sealed
		}, ErrIntegrity},
		{"a token signed but not sealed", func(c, s *sealer, sig, sealed []byte) (*sealer, []byte, []byte) {
			sig = bytes.Clone(sig)
			sig[2] &^= flagSealed
			return s, sig, sealed
		}, ErrIntegrity},
		{"a token of another context", func(c, s *sealer, sig, sealed []byte) (*sealer, []byte, []byte) {
			_, other := sealerPair(18, true)
			other.initiatorKey, other.acceptorKey = fixedKey(18, 0x33), nil
			sig = bytes.Clone(sig)
			sig[2] &^= flagAcceptorSubkey
			return other, sig, sealed
		}, ErrIntegrity},
		{"a header of 8 bytes", func(c, s *sealer, sig, sealed []byte) (*sealer, []byte, []byte) {
			return s, sig[:8], sealed
		}, ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, s := sealerPair(18, true)
			sig, sealed, err := c.Wrap(msg)
			if err != nil {
				t.Fatal(err)
			}
			to, sig, sealed := tc.mod(c, s, sig, sealed)
			if _, err := to.Unwrap(sig, sealed); !errors.Is(err, tc.want) {
				t.Fatalf("Unwrap = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestUnwrapKeepsSequence(t *testing.T) {
	c, s := sealerPair(17, true)
	sig1, sealed1, _ := c.Wrap([]byte("one"))
	sig2, sealed2, _ := c.Wrap([]byte("two"))
	if _, err := s.Unwrap(sig2, sealed2); !errors.Is(err, ErrSequence) {
		t.Fatalf("the second message first: %v, want ErrSequence", err)
	}
	if _, err := s.Unwrap(sig1, sealed1); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Unwrap(sig1, sealed1); !errors.Is(err, ErrSequence) {
		t.Fatalf("the first message again: %v, want ErrSequence", err)
	}
	if got, err := s.Unwrap(sig2, sealed2); err != nil || string(got) != "two" {
		t.Fatalf("the second message in turn: %q, %v", got, err)
	}
}

// TestUnwrapHonoursExtraCount opens tokens with filler (EC = 16) rotated
// either way: by RRC, as RFC 4121 says, and by RRC+EC, as MS-KILE says
// Windows does.
func TestUnwrapHonoursExtraCount(t *testing.T) {
	msg := []byte("<s:Envelope>with filler</s:Envelope>")
	for _, rot := range []int{28, 28 + 16} {
		_, s := sealerPair(18, true)
		key := *s.acceptorKey
		et, _ := crypto.GetEtype(key.KeyType)
		hdr := []byte{0x05, 0x04, flagSealed | flagAcceptorSubkey, 0xff, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 100}
		plain := append(append(bytes.Clone(msg), bytes.Repeat([]byte{0xff}, 16)...), hdr...)
		_, ct, err := et.EncryptMessage(key.KeyValue, plain, keyusage.GSSAPI_INITIATOR_SEAL)
		if err != nil {
			t.Fatal(err)
		}
		hdr[7] = 28
		token := append(bytes.Clone(hdr), rotateRight(ct, rot)...)
		sig, sealed := token[:60+16], token[60+16:]
		got, err := s.Unwrap(sig, sealed)
		if err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("rotated by %d: %q, %v", rot, got, err)
		}
	}
}

func TestSealingNeedsAES(t *testing.T) {
	for _, kt := range []int32{23, 16, 20} { // rc4-hmac, des3-cbc-sha1, aes256-cts-hmac-sha384-192
		c, _ := sealerPair(kt, false)
		_, _, err := c.Wrap([]byte("x"))
		if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "allow aes256-cts-hmac-sha1-96") {
			t.Fatalf("Wrap with %s = %v, want ErrUnsupported", etypeName(kt), err)
		}
	}
}

func TestRotate(t *testing.T) {
	b := []byte("abcdefgh")
	if got := string(rotateRight(b, 3)); got != "fghabcde" {
		t.Fatalf("rotateRight = %q", got)
	}
	if got := string(rotateLeft(rotateRight(b, 11), 11)); got != string(b) {
		t.Fatalf("rotateLeft(rotateRight) = %q", got)
	}
}

// BenchmarkSealOpen seals and opens one 16 KiB envelope, the size of a
// large WinRM Receive response.
func BenchmarkSealOpen(b *testing.B) {
	c, s := sealerPair(18, true)
	msg := bytes.Repeat([]byte("<rsp:Stream>AAAA</rsp:Stream>"), 16<<10/29)
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		sig, sealed, err := c.Wrap(msg)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Unwrap(sig, sealed); err != nil {
			b.Fatal(err)
		}
	}
}
