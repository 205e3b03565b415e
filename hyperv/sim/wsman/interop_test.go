package wsman

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/masterzen/winrm"
)

// opCounter is an Intercept hook that counts operations.
type opCounter struct {
	mu     sync.Mutex
	counts map[Op]int
	hook   func(op Op, n int) // called with the operation's new count
}

func (o *opCounter) intercept(op Op, _, _ string) Action {
	o.mu.Lock()
	if o.counts == nil {
		o.counts = make(map[Op]int)
	}
	o.counts[op]++
	n := o.counts[op]
	o.mu.Unlock()
	if o.hook != nil {
		o.hook(op, n)
	}
	return Action{}
}

func (o *opCounter) count(op Op) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.counts[op]
}

// newClient returns a masterzen/winrm client for a test server.
func newClient(t *testing.T, ts *httptest.Server, https bool, caPEM []byte, password, timeout string) *winrm.Client {
	t.Helper()
	host, port, err := net.SplitHostPort(ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(port)
	p := *winrm.DefaultParameters
	if timeout != "" {
		p.Timeout = timeout
	}
	client, err := winrm.NewClientWithParameters(winrm.NewEndpoint(host, n, https, false, caPEM, nil, nil, 0), testUser, password, &p)
	if err != nil {
		t.Fatalf("new client: %v", err)
	}
	return client
}

func TestInteropRun(t *testing.T) {
	var mu sync.Mutex
	var lines []string
	runner := RunnerFunc(func(_ context.Context, cmd Command, stdout, stderr io.Writer) int {
		mu.Lock()
		lines = append(lines, cmd.Line)
		mu.Unlock()
		io.WriteString(stdout, `{"Name":"HV01"}`+"\r\n")
		io.WriteString(stderr, "#< CLIXML\r\n")
		return 1
	})
	s, ts := newTestServer(t, Config{Runner: runner})
	client := newClient(t, ts, false, nil, testPassword, "")
	const line = "powershell.exe -NoProfile -NonInteractive -EncodedCommand JABQAHIAbwBnAHIAZQBzAHMA & <x>"
	var stdout, stderr bytes.Buffer
	code, err := client.RunWithContext(context.Background(), line, &stdout, &stderr)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if code != 1 || stdout.String() != `{"Name":"HV01"}`+"\r\n" || stderr.String() != "#< CLIXML\r\n" {
		t.Errorf("got code %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(lines) != 1 || lines[0] != line {
		t.Errorf("Runner saw %q", lines)
	}
	if n := s.ShellCount(); n != 0 {
		t.Errorf("ShellCount = %d after the client closed its shell", n)
	}
}

func TestInteropOutputAfterTimedOutRetries(t *testing.T) {
	third := make(chan struct{})
	counter := &opCounter{hook: func(op Op, n int) {
		if op == OpReceive && n == 3 {
			close(third)
		}
	}}
	runner := RunnerFunc(func(_ context.Context, _ Command, stdout, _ io.Writer) int {
		<-third // the first two Receives can only time out
		io.WriteString(stdout, "finally")
		return 0
	})
	_, ts := newTestServer(t, Config{Runner: runner, Intercept: counter.intercept})
	client := newClient(t, ts, false, nil, testPassword, "PT0.2S")
	stdout, _, code, err := client.RunCmdWithContext(context.Background(), "slow")
	if err != nil || code != 0 || stdout != "finally" {
		t.Errorf("got %q, code %d, err %v", stdout, code, err)
	}
	if n := counter.count(OpReceive); n < 3 {
		t.Errorf("%d Receives, want at least 3", n)
	}
}

func TestInteropLongOutput(t *testing.T) {
	want := bytes.Repeat([]byte("VM web01 is Running on HV01\r\n"), 40000) // 1.16 MB
	runner := RunnerFunc(func(_ context.Context, _ Command, stdout, _ io.Writer) int {
		for rest := want; len(rest) > 0; {
			n := min(len(rest), 65536)
			stdout.Write(rest[:n])
			rest = rest[n:]
		}
		return 0
	})
	counter := &opCounter{}
	_, ts := newTestServer(t, Config{Runner: runner, Intercept: counter.intercept})
	client := newClient(t, ts, false, nil, testPassword, "")
	var stdout bytes.Buffer
	code, err := client.RunWithContext(context.Background(), "dump", &stdout, io.Discard)
	if err != nil || code != 0 {
		t.Fatalf("code %d, err %v", code, err)
	}
	if !bytes.Equal(stdout.Bytes(), want) {
		t.Errorf("stdout: %d bytes, want %d", stdout.Len(), len(want))
	}
	if n, min := counter.count(OpReceive), len(want)/winrm.DefaultParameters.EnvelopeSize; n < min {
		t.Errorf("%d Receives, want at least %d", n, min)
	}
}

func TestInteropCancelSignalsTerminate(t *testing.T) {
	started, stopped := make(chan struct{}), make(chan struct{})
	runner := RunnerFunc(func(ctx context.Context, _ Command, _, _ io.Writer) int {
		close(started)
		<-ctx.Done()
		close(stopped)
		return 1
	})
	counter := &opCounter{}
	s, ts := newTestServer(t, Config{Runner: runner, Intercept: counter.intercept})
	client := newClient(t, ts, false, nil, testPassword, "PT0.2S")
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-started
		cancel()
	}()
	_, err := client.RunWithContext(ctx, "hang", io.Discard, io.Discard)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	<-stopped
	if counter.count(OpSignal) == 0 || counter.count(OpDelete) != 1 {
		t.Errorf("%d Signals and %d Deletes, want a Signal and a Delete", counter.count(OpSignal), counter.count(OpDelete))
	}
	if n := s.ShellCount(); n != 0 {
		t.Errorf("ShellCount = %d", n)
	}
}

// TestInteropStdin sends stdin with the library's client and checks that
// the Runner reads it whole, to the end the client marks.
func TestInteropStdin(t *testing.T) {
	counter := &opCounter{}
	echo := RunnerFunc(func(_ context.Context, cmd Command, stdout, _ io.Writer) int {
		b, err := io.ReadAll(cmd.Stdin)
		if err != nil {
			return 1
		}
		_, _ = stdout.Write(b)
		return 0
	})
	_, ts := newTestServer(t, Config{Runner: echo, Intercept: counter.intercept})
	client := newClient(t, ts, false, nil, testPassword, "")
	in := "line one\r\nline two\r\n" + strings.Repeat("x", 300<<10) // over one envelope
	stdout, _, code, err := client.RunWithContextWithString(context.Background(), "more", in)
	if err != nil || code != 0 || stdout != in {
		t.Errorf("got %d bytes (%.20q), code %d, err %v; want the %d bytes sent", len(stdout), stdout, code, err, len(in))
	}
	if counter.count(OpSend) < 2 {
		t.Errorf("%d Sends reached the server, want the data's and the end's", counter.count(OpSend))
	}
}

func TestInteropWrongPassword(t *testing.T) {
	s, ts := newTestServer(t, Config{Runner: exitRunner("", "", 0)})
	client := newClient(t, ts, false, nil, "wrong", "")
	_, err := client.RunWithContext(context.Background(), "hostname", io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("err = %v, want an HTTP 401 error", err)
	}
	if n := s.ShellCount(); n != 0 {
		t.Errorf("ShellCount = %d", n)
	}
}

func TestInteropHTTPS(t *testing.T) {
	ca, err := NewCA()
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.Issue("127.0.0.1", "hv01")
	if err != nil {
		t.Fatal(err)
	}
	auth := Auth{Schemes: []Scheme{Basic}, Accounts: SingleAccount(testUser, testPassword)}
	s, err := NewServer(Config{Auth: auth, Runner: exitRunner("secure", "", 0)})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(s)
	ts.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	ts.StartTLS()
	t.Cleanup(ts.Close)
	t.Cleanup(s.Close)

	t.Run("trusted CA", func(t *testing.T) {
		client := newClient(t, ts, true, ca.CertPEM(), testPassword, "")
		stdout, _, code, err := client.RunCmdWithContext(context.Background(), "hostname")
		if err != nil || code != 0 || stdout != "secure" {
			t.Errorf("got %q, code %d, err %v", stdout, code, err)
		}
	})
	t.Run("no CA", func(t *testing.T) {
		client := newClient(t, ts, true, nil, testPassword, "")
		_, err := client.RunWithContext(context.Background(), "hostname", io.Discard, io.Discard)
		var unknown x509.UnknownAuthorityError
		if !errors.As(err, &unknown) {
			t.Errorf("err = %v, want an unknown authority error", err)
		}
	})
}
