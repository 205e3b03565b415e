package wsman

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestNewServerValidates(t *testing.T) {
	auth := basicAuth()
	run := exitRunner("", "", 0)
	tests := []struct {
		name string
		cfg  Config
		want []string
	}{
		{"empty", Config{}, []string{"auth accounts are required", "runner is required"}},
		{"no schemes", Config{Auth: Auth{Schemes: []Scheme{}, Accounts: auth.Accounts}, Runner: run}, []string{"auth schemes are empty"}},
		{"unknown scheme", Config{Auth: Auth{Schemes: []Scheme{"NTLM"}, Accounts: auth.Accounts}, Runner: run}, []string{`auth scheme "NTLM" is not Negotiate, Kerberos or Basic`}},
		{"negative", Config{Auth: auth, Runner: run, MaxShellsPerUser: -1, IdleTimeout: -time.Second},
			[]string{"max shells per user -1 is negative", "idle timeout -1000000000 is negative"}},
		{"small envelope", Config{Auth: auth, Runner: run, MaxEnvelopeSize: 4096}, []string{"max envelope size 4096 is below 8192"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewServer(tc.cfg)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

type interceptCall struct {
	Op        Op
	ShellID   string
	CommandID string
}

func TestInterceptSeesEveryOperation(t *testing.T) {
	var mu sync.Mutex
	var calls []interceptCall
	intercept := func(op Op, shellID, commandID string) Action {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, interceptCall{op, shellID, commandID})
		return Action{}
	}
	_, ts := newTestServer(t, Config{Runner: exitRunner("x", "", 0), Intercept: intercept})
	c := newRawClient(t, ts)
	shellID := c.create()
	cmdID := c.command(shellID, "x")
	c.ok(hdr{Action: actionSend, ShellID: shellID}, sendBody(cmdID, nil))
	c.receiveAll(hdr{ShellID: shellID}, cmdID, nil)
	c.ok(hdr{Action: actionSignal, ShellID: shellID}, signalBody(strings.ToLower(cmdID), signalTerminate))
	c.ok(hdr{Action: actionDelete, ShellID: strings.ToLower(shellID)}, "")
	want := []interceptCall{
		{OpCreate, "", ""}, {OpCommand, shellID, ""}, {OpSend, shellID, cmdID},
		{OpReceive, shellID, cmdID}, {OpSignal, shellID, cmdID}, {OpDelete, shellID, ""},
	}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff(want, calls); diff != "" {
		t.Errorf("Intercept calls (-want +got):\n%s", diff)
	}
}

func TestInterceptStatus(t *testing.T) {
	intercept := func(op Op, _, _ string) Action { return Action{Status: http.StatusServiceUnavailable} }
	s, ts := newTestServer(t, Config{Runner: exitRunner("", "", 0), Intercept: intercept})
	r := newRawClient(t, ts).post(context.Background(), hdr{Action: actionCreate}, createBody)
	if r.status != http.StatusServiceUnavailable || len(r.raw) != 0 {
		t.Errorf("status %d, body %q", r.status, r.raw)
	}
	if n := s.ShellCount(); n != 0 {
		t.Errorf("ShellCount = %d after a refused Create", n)
	}
}

func TestInterceptDropKeepsOutput(t *testing.T) {
	var mu sync.Mutex
	drops := 1
	intercept := func(op Op, _, _ string) Action {
		mu.Lock()
		defer mu.Unlock()
		if op == OpReceive && drops > 0 {
			drops--
			return Action{Drop: true}
		}
		return Action{}
	}
	_, ts := newTestServer(t, Config{Runner: exitRunner("kept", "", 0), Intercept: intercept})
	c := newRawClient(t, ts)
	shellID := c.create()
	cmdID := c.command(shellID, "x")
	req, _ := http.NewRequest(http.MethodPost, c.url, strings.NewReader(soapEnvelope(hdr{Action: actionReceive, ShellID: shellID}, receiveBodyFor(cmdID))))
	req.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
	req.SetBasicAuth(testUser, testPassword)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("dropped Receive answered %d", resp.StatusCode)
	}
	if got := c.receiveAll(hdr{ShellID: shellID}, cmdID, nil).stream("stdout"); got != "kept" {
		t.Errorf("stdout after a dropped Receive = %q", got)
	}
}

func TestInterceptDelayHonoursCancellation(t *testing.T) {
	entered := make(chan struct{}, 1)
	intercept := func(Op, string, string) Action {
		entered <- struct{}{}
		return Action{Delay: time.Hour}
	}
	s, err := NewServer(Config{Auth: basicAuth(), Runner: exitRunner("", "", 0), Intercept: intercept})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	returned := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(returned)
		s.ServeHTTP(w, r)
	}))
	defer ts.Close()
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-entered
		cancel()
	}()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, ts.URL+"/wsman", strings.NewReader(soapEnvelope(hdr{Action: actionCreate}, createBody)))
	req.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
	req.SetBasicAuth(testUser, testPassword)
	if _, err := http.DefaultClient.Do(req); !errors.Is(err, context.Canceled) {
		t.Errorf("client error %v, want context.Canceled", err)
	}
	<-returned
	if n := s.ShellCount(); n != 0 {
		t.Errorf("ShellCount = %d after a cancelled Create", n)
	}
}

func TestIdleShellsAreReaped(t *testing.T) {
	s, ts := newTestServer(t, Config{Runner: exitRunner("", "", 0), IdleTimeout: 20 * time.Millisecond})
	c := newRawClient(t, ts)
	env := c.ok(hdr{Action: actionCreate}, createBody)
	if got := env.Body.Shell.IdleTimeOut; got != "PT0.020S" {
		t.Errorf("IdleTimeOut = %q", got)
	}
	for s.ShellCount() > 0 {
		time.Sleep(5 * time.Millisecond)
	}
	r := c.post(context.Background(), hdr{Action: actionCommand, ShellID: env.Body.Shell.ShellID}, commandBody("x"))
	if f := faultOf(t, r); f.WSManFault.Code != "2150858843" {
		t.Errorf("fault %+v", f)
	}
}

func TestClientIdleTimeOutIsHonoured(t *testing.T) {
	_, ts := newTestServer(t, Config{Runner: exitRunner("", "", 0)})
	body := `<rsp:Shell><rsp:InputStreams>stdin</rsp:InputStreams><rsp:OutputStreams>stdout</rsp:OutputStreams><rsp:IdleTimeOut>PT600S</rsp:IdleTimeOut></rsp:Shell>`
	env := newRawClient(t, ts).ok(hdr{Action: actionCreate}, body)
	if sh := env.Body.Shell; sh.IdleTimeOut != "PT600.000S" || sh.OutputStreams != "stdout" {
		t.Errorf("Shell = %+v", sh)
	}
}

func TestClose(t *testing.T) {
	started, stopped := make(chan struct{}), make(chan struct{})
	runner := RunnerFunc(func(ctx context.Context, _ Command, _, _ io.Writer) int {
		close(started)
		<-ctx.Done()
		close(stopped)
		return 1
	})
	s, ts := newTestServer(t, Config{Runner: runner})
	c := newRawClient(t, ts)
	shellID := c.create()
	cmdID := c.command(shellID, "x")
	<-started
	receiving := make(chan reply, 1)
	go func() {
		r, err := c.do(context.Background(), "application/soap+xml;charset=UTF-8", []byte(soapEnvelope(hdr{Action: actionReceive, ShellID: shellID}, receiveBodyFor(cmdID))))
		if err != nil {
			r.status = -1
			r.raw = []byte(err.Error())
		}
		receiving <- r
	}()
	s.Close()
	select {
	case <-stopped:
	default:
		t.Error("Close returned before the Runner did")
	}
	if r := <-receiving; r.status != http.StatusServiceUnavailable {
		t.Errorf("Receive during Close: status %d\n%s", r.status, r.raw)
	}
	if n := s.ShellCount(); n != 0 {
		t.Errorf("ShellCount = %d after Close", n)
	}
	if r := c.post(context.Background(), hdr{Action: actionCreate}, createBody); r.status != http.StatusServiceUnavailable {
		t.Errorf("Create after Close: status %d", r.status)
	}
	s.Close()
}
