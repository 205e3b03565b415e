package krb5_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"testing"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/krbtest"
)

// systemPython is Debian's python3, where python3-gssapi installs; a
// python3 earlier on PATH may not have it.
const systemPython = "/usr/bin/python3"

// mitPeer is testdata/mitpeer.py: MIT Kerberos through python-gssapi.
type mitPeer struct {
	t   *testing.T
	in  io.WriteCloser
	out *bufio.Scanner
}

// startMIT runs the MIT peer with the realm's environment, or skips the
// test when python3-gssapi is not installed.
func startMIT(t *testing.T, k *krbtest.KDC, env []string, args ...string) *mitPeer {
	t.Helper()
	if err := exec.Command(systemPython, "-c", "import gssapi.raw").Run(); err != nil {
		t.Skip("python3-gssapi not installed (apt-get install python3-gssapi): no MIT Kerberos to cross-check the wrap tokens with")
	}
	cmd := exec.Command(systemPython, append([]string{"testdata/mitpeer.py"}, args...)...)
	cmd.Env = append(k.Env(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = in.Close()
		if err := cmd.Wait(); err != nil {
			t.Errorf("MIT peer: %v: %s", err, stderr.String())
		}
	})
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	return &mitPeer{t: t, in: in, out: sc}
}

func (p *mitPeer) send(v any) {
	p.t.Helper()
	b, _ := json.Marshal(v)
	if _, err := p.in.Write(append(b, '\n')); err != nil {
		p.t.Fatal(err)
	}
}

// mitReply is every field the peer answers with; []byte is base64 in JSON.
type mitReply struct {
	Token    []byte `json:"token"`
	Complete bool   `json:"complete"`
	Client   string `json:"client"`
	Header   []byte `json:"header"`
	Data     []byte `json:"data"`
	Padding  []byte `json:"padding"`
	Error    string `json:"error"`
}

func (p *mitPeer) recv() mitReply {
	p.t.Helper()
	r := p.recvOrError()
	if r.Error != "" {
		p.t.Fatalf("MIT: %s", r.Error)
	}
	return r
}

// recvOrError returns the peer's answer, which may be a GSS-API error.
func (p *mitPeer) recvOrError() mitReply {
	p.t.Helper()
	if !p.out.Scan() {
		p.t.Fatalf("the MIT peer stopped: %v", p.out.Err())
	}
	var r mitReply
	if err := json.Unmarshal(p.out.Bytes(), &r); err != nil {
		p.t.Fatalf("MIT peer said %q: %v", p.out.Text(), err)
	}
	return r
}

// sealer is a Go context, either side.
type sealer interface {
	Wrap([]byte) ([]byte, []byte, error)
	Unwrap([]byte, []byte) ([]byte, error)
}

// crossSeal sends messages both ways between the Go context and MIT and
// checks MIT's wrap tokens have the layout the Go side writes: a 60-byte
// header (token header, then the rotated encrypted header copy and
// checksum, then the encrypted confounder), EC 0, RRC 28, no padding,
// sealed data as long as the message; flags say who sealed and that the
// acceptor's subkey was used.
func crossSeal(t *testing.T, p *mitPeer, g sealer, mitFlags byte) {
	t.Helper()
	for n, size := range []int{0, 1, 15, 16, 17, 4096 + 5} {
		msg := bytes.Repeat([]byte{byte('a' + n)}, size)
		msg = append([]byte(fmt.Sprintf("<s:Envelope>%d", n)), msg...)

		sig, sealed, err := g.Wrap(msg)
		if err != nil {
			t.Fatal(err)
		}
		p.send(map[string]any{"op": "unwrap", "header": sig, "data": sealed})
		if got := p.recv().Data; !bytes.Equal(got, msg) {
			t.Fatalf("message %d sealed in Go opened in MIT as %q", n, got)
		}

		p.send(map[string]any{"op": "wrap", "data": msg})
		r := p.recv()
		h := r.Header
		if len(h) != 60 || len(r.Padding) != 0 || len(r.Data) != len(msg) {
			t.Fatalf("MIT sealed %d bytes into a %d-byte header, %d bytes of data and %d of padding; want 60, %d, 0",
				len(msg), len(h), len(r.Data), len(r.Padding), len(msg))
		}
		if id, ec, rrc := binary.BigEndian.Uint16(h), binary.BigEndian.Uint16(h[4:]), binary.BigEndian.Uint16(h[6:]); id != 0x0504 || h[2] != mitFlags || h[3] != 0xff || ec != 0 || rrc != 28 {
			t.Fatalf("MIT's wrap header %x: id %#x flags %#x ec %d rrc %d, want 0x504, %#x, 0, 28", h[:16], id, h[2], ec, rrc, mitFlags)
		}
		got, err := g.Unwrap(h, append(r.Data, r.Padding...))
		if err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("message %d sealed in MIT: Go opened %q, %v", n, got, err)
		}
	}
	p.send(map[string]any{"op": "quit"})
}

// TestMITAcceptor: the Go initiator logs in to an MIT acceptor, and the
// two seal messages to each other.
func TestMITAcceptor(t *testing.T) {
	k := startKDC(t)
	for _, mech := range []string{"krb5", "spnego"} {
		t.Run(mech, func(t *testing.T) {
			p := startMIT(t, k, []string{"KRB5_KTNAME=FILE:" + k.ServiceKeytab(host)}, "accept", mech)
			i := newInitiator(t, passwordConfig(k))
			c, err := i.InitSecContext(context.Background(), spn, nil)
			if err != nil {
				t.Fatal(err)
			}
			tok := c.Token()
			if mech == "spnego" {
				if tok, err = c.SPNEGOToken(); err != nil {
					t.Fatal(err)
				}
			}
			p.send(map[string]any{"token": tok})
			r := p.recv()
			if !r.Complete || r.Client != k.User()+"@"+realm {
				t.Fatalf("MIT accepted %+v", r)
			}
			if err := c.Complete(r.Token); err != nil {
				t.Fatal(err)
			}
			// MIT's acceptor sends a subkey in its AP-REP, and seals with it.
			crossSeal(t, p, c, 0x07)
		})
	}
}

// TestMITInitiator: an MIT initiator logs in to the Go acceptor, and the
// two seal messages to each other.
func TestMITInitiator(t *testing.T) {
	k := startKDC(t)
	a := acceptorFor(t, k, host)
	for _, mech := range []string{"krb5", "spnego"} {
		t.Run(mech, func(t *testing.T) {
			p := startMIT(t, k, []string{"KRB5_CLIENT_KTNAME=FILE:" + k.UserKeytab()}, "initiate", mech, spn+"@"+realm)
			s, reply, err := a.Accept(p.recv().Token)
			if err != nil {
				t.Fatal(err)
			}
			p.send(map[string]any{"token": reply})
			if r := p.recv(); !r.Complete {
				t.Fatalf("MIT did not complete the context: %+v", r)
			}
			if !s.Sealing() || !strings.HasPrefix(s.Client(), k.User()+"@") {
				t.Fatalf("accepted %s, sealing %t", s.Client(), s.Sealing())
			}
			// The Go acceptor sends a subkey; MIT seals with it.
			crossSeal(t, p, s, 0x06)
		})
	}
}

// TestMITChannelBindings: the channel bindings hash the Go side puts in the
// authenticator (and checks) is the one MIT computes from the same TLS
// application data, so a host that requires channel binding over HTTPS
// accepts the client's.
func TestMITChannelBindings(t *testing.T) {
	k := startKDC(t)
	cb := []byte("tls-server-end-point:\x8f\x01\x02\x03")
	env := []string{"MITPEER_CB=" + hex.EncodeToString(cb)}

	t.Run("Go initiator, MIT acceptor", func(t *testing.T) {
		for _, tc := range []struct {
			name   string
			sent   []byte
			accept bool
		}{
			{"same channel", cb, true},
			{"another channel", []byte("tls-server-end-point:other"), false},
		} {
			p := startMIT(t, k, append(env, "KRB5_KTNAME=FILE:"+k.ServiceKeytab(host)), "accept", "krb5")
			c, err := newInitiator(t, passwordConfig(k)).InitSecContext(context.Background(), spn, tc.sent)
			if err != nil {
				t.Fatal(err)
			}
			p.send(map[string]any{"token": c.Token()})
			r := p.recvOrError()
			if r.Complete != tc.accept || (r.Error != "") == tc.accept || (!tc.accept && !strings.Contains(r.Error, "channel bindings")) {
				t.Fatalf("%s: MIT answered %+v, want accepted %t", tc.name, r, tc.accept)
			}
		}
	})
	t.Run("MIT initiator, Go acceptor", func(t *testing.T) {
		p := startMIT(t, k, append(env, "KRB5_CLIENT_KTNAME=FILE:"+k.UserKeytab()), "initiate", "krb5", spn+"@"+realm)
		s, reply, err := acceptorFor(t, k, host).Accept(p.recv().Token)
		if err != nil {
			t.Fatal(err)
		}
		if !s.ChannelBindingsMatch(cb) || s.ChannelBindingsMatch([]byte("tls-server-end-point:other")) {
			t.Fatal("the Go acceptor does not find MIT's channel bindings")
		}
		p.send(map[string]any{"token": reply})
		p.recv()
		p.send(map[string]any{"op": "quit"})
	})
}
