package wsman

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// exitRunner writes fixed output and exits with a code.
func exitRunner(stdout, stderr string, code int) RunnerFunc {
	return func(_ context.Context, _ Command, out, errw io.Writer) int {
		io.WriteString(out, stdout)
		io.WriteString(errw, stderr)
		return code
	}
}

func TestCreate(t *testing.T) {
	s, ts := newTestServer(t, Config{Runner: exitRunner("", "", 0)})
	c := newRawClient(t, ts)
	const msgID = "uuid:63acc10b-c16f-44e6-a1f8-45798c58f63d"
	r := c.post(context.Background(), hdr{Action: actionCreate, MessageID: msgID}, createBody)
	if r.status != http.StatusOK {
		t.Fatalf("status %d\n%s", r.status, r.raw)
	}
	if got := r.header.Get("Content-Type"); got != "application/soap+xml;charset=UTF-8" {
		t.Errorf("Content-Type = %q", got)
	}
	h := r.env.Header
	if h.Action != actionCreate+"Response" || h.RelatesTo != msgID || h.To != anonymous || !strings.HasPrefix(h.MessageID, "uuid:") {
		t.Errorf("headers = %+v", h)
	}
	rc, sh := r.env.Body.ResourceCreated, r.env.Body.Shell
	if rc == nil || sh == nil {
		t.Fatalf("missing ResourceCreated or Shell in\n%s", r.raw)
	}
	sel := rc.ReferenceParameters.SelectorSet.Selectors
	if len(sel) != 1 || sel[0].Name != "ShellId" || sel[0].Value != sh.ShellID || sh.ShellID == "" {
		t.Errorf("selectors %+v, rsp:ShellId %q", sel, sh.ShellID)
	}
	if rc.Address != "http://127.0.0.1:5985/wsman" || rc.ReferenceParameters.ResourceURI != resourceCmd {
		t.Errorf("ResourceCreated = %+v", rc)
	}
	if sh.Owner != testUser || sh.ClientIP != "127.0.0.1" || sh.IdleTimeOut != "PT7200.000S" ||
		sh.InputStreams != "stdin" || sh.OutputStreams != "stdout stderr" || sh.ResourceURI != resourceCmd {
		t.Errorf("Shell = %+v", sh)
	}
	if n := s.ShellCount(); n != 1 {
		t.Errorf("ShellCount = %d, want 1", n)
	}
}

func TestCommandAndReceive(t *testing.T) {
	var mu sync.Mutex
	var got []Command
	runner := RunnerFunc(func(_ context.Context, cmd Command, stdout, stderr io.Writer) int {
		mu.Lock()
		got = append(got, cmd)
		mu.Unlock()
		io.WriteString(stdout, "hello\r\n")
		io.WriteString(stderr, "careful\r\n")
		io.WriteString(stdout, "bye\r\n")
		return 3
	})
	_, ts := newTestServer(t, Config{Runner: runner})
	c := newRawClient(t, ts)
	shellID := c.create()
	cmdID := c.command(shellID, "cmd", "/c", "echo  hello & echo <bye>")
	out := c.receiveAll(hdr{ShellID: shellID}, cmdID, func(r reply) {
		if rr := r.env.Body.ReceiveResponse; rr != nil && rr.CommandState.CommandID != cmdID {
			t.Errorf("CommandState CommandId = %q, want %q", rr.CommandState.CommandID, cmdID)
		}
	})
	want := []chunk{{"stdout", []byte("hello\r\n")}, {"stderr", []byte("careful\r\n")}, {"stdout", []byte("bye\r\n")}}
	if diff := cmp.Diff(want, out.Items, cmp.AllowUnexported(chunk{})); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
	if out.ExitCode != 3 {
		t.Errorf("exit code %d, want 3", out.ExitCode)
	}
	wantCmd := []Command{{Line: "cmd /c echo  hello & echo <bye>", ShellID: shellID, CommandID: cmdID, User: testUser}}
	for i := range got {
		if got[i].Stdin == nil {
			t.Errorf("command %d: no stdin", i)
		}
		got[i].Stdin = nil
	}
	if diff := cmp.Diff(wantCmd, got); diff != "" {
		t.Errorf("Runner saw (-want +got):\n%s", diff)
	}
}

func TestReceiveDoneMarksStreamsEnded(t *testing.T) {
	_, ts := newTestServer(t, Config{Runner: exitRunner("x", "", 0)})
	c := newRawClient(t, ts)
	shellID := c.create()
	cmdID := c.command(shellID, "x")
	var last reply
	c.receiveAll(hdr{ShellID: shellID}, cmdID, func(r reply) { last = r })
	rr := last.env.Body.ReceiveResponse
	var ended []string
	for _, st := range rr.Streams {
		if st.End == "true" {
			ended = append(ended, st.Name)
			if st.CommandID != cmdID || st.Data != "" {
				t.Errorf("end marker %+v", st)
			}
		}
	}
	if diff := cmp.Diff([]string{"stdout", "stderr"}, ended); diff != "" {
		t.Errorf("ended streams (-want +got):\n%s", diff)
	}
	if last.env.Header.Action != actionReceive+"Response" {
		t.Errorf("Action = %q", last.env.Header.Action)
	}
}

func TestReceiveRunningThenDone(t *testing.T) {
	release := make(chan struct{})
	runner := RunnerFunc(func(_ context.Context, _ Command, stdout, _ io.Writer) int {
		io.WriteString(stdout, "first")
		<-release
		io.WriteString(stdout, "second")
		return 0
	})
	_, ts := newTestServer(t, Config{Runner: runner})
	c := newRawClient(t, ts)
	shellID := c.create()
	cmdID := c.command(shellID, "x")
	env := c.ok(hdr{Action: actionReceive, ShellID: shellID}, receiveBodyFor(cmdID))
	rr := env.Body.ReceiveResponse
	if rr == nil || rr.CommandState == nil || rr.CommandState.State != stateRunning || rr.CommandState.ExitCode != nil {
		t.Fatalf("first Receive: want Running state in\n%s", env.Body.Inner)
	}
	if len(rr.Streams) != 1 || rr.Streams[0].Name != "stdout" || rr.Streams[0].Data != "Zmlyc3Q=" || rr.Streams[0].End != "" {
		t.Errorf("first Receive streams = %+v", rr.Streams)
	}
	close(release)
	out := c.receiveAll(hdr{ShellID: shellID}, cmdID, nil)
	if got := out.stream("stdout"); got != "second" {
		t.Errorf("rest of stdout = %q, want %q", got, "second")
	}
}

func TestReceiveTimedOut(t *testing.T) {
	release := make(chan struct{})
	runner := RunnerFunc(func(_ context.Context, _ Command, stdout, _ io.Writer) int {
		<-release
		io.WriteString(stdout, "late")
		return 0
	})
	_, ts := newTestServer(t, Config{Runner: runner})
	c := newRawClient(t, ts)
	shellID := c.create()
	cmdID := c.command(shellID, "x")
	const msgID = "uuid:11111111-1111-1111-1111-111111111112"
	r := c.post(context.Background(), hdr{Action: actionReceive, ShellID: shellID, Timeout: "PT0.2S", MessageID: msgID}, receiveBodyFor(cmdID))
	f := faultOf(t, r)
	want := respFault{Code: "s:Receiver", Subcode: "w:TimedOut"}
	want.Reason.Lang = "en-US"
	want.Reason.Text = "The WS-Management service cannot complete the operation within the time specified in OperationTimeout.  "
	want.WSManFault.Code = "2150858793"
	want.WSManFault.Machine = testMachine
	want.WSManFault.Message = want.Reason.Text
	if diff := cmp.Diff(want, *f); diff != "" {
		t.Errorf("fault (-want +got):\n%s", diff)
	}
	if r.env.Header.Action != actionFaultWSMan || r.env.Header.RelatesTo != msgID {
		t.Errorf("fault headers %+v", r.env.Header)
	}
	close(release)
	if got := c.receiveAll(hdr{ShellID: shellID}, cmdID, nil).stream("stdout"); got != "late" {
		t.Errorf("stdout after time-out = %q, want %q", got, "late")
	}
}

func TestMaxOperationTimeoutCapsTheClients(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	runner := RunnerFunc(func(context.Context, Command, io.Writer, io.Writer) int { <-release; return 0 })
	_, ts := newTestServer(t, Config{Runner: runner, MaxOperationTimeout: 50 * time.Millisecond})
	c := newRawClient(t, ts)
	shellID := c.create()
	cmdID := c.command(shellID, "x")
	r := c.post(context.Background(), hdr{Action: actionReceive, ShellID: shellID, Timeout: "PT3600S"}, receiveBodyFor(cmdID))
	if f := faultOf(t, r); f.Subcode != "w:TimedOut" {
		t.Errorf("fault %+v, want w:TimedOut", f)
	}
}

func TestReceiveInterleavesStreams(t *testing.T) {
	written, release := make(chan struct{}), make(chan struct{})
	runner := RunnerFunc(func(_ context.Context, _ Command, stdout, stderr io.Writer) int {
		for _, w := range []struct {
			w io.Writer
			s string
		}{{stdout, "o1"}, {stderr, "e1"}, {stderr, "e2"}, {stdout, "o2"}, {stderr, "e3"}} {
			io.WriteString(w.w, w.s)
		}
		close(written)
		<-release
		return 0
	})
	_, ts := newTestServer(t, Config{Runner: runner})
	c := newRawClient(t, ts)
	shellID := c.create()
	cmdID := c.command(shellID, "x")
	<-written
	env := c.ok(hdr{Action: actionReceive, ShellID: shellID}, receiveBodyFor(cmdID))
	var got []string
	for _, st := range env.Body.ReceiveResponse.Streams {
		got = append(got, st.Name+":"+st.Data)
	}
	want := []string{"stdout:bzE=", "stderr:ZTFlMg==", "stdout:bzI=", "stderr:ZTM="}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("streams (-want +got):\n%s", diff)
	}
	close(release)
	if out := c.receiveAll(hdr{ShellID: shellID}, cmdID, nil); len(out.Items) != 0 {
		t.Errorf("output repeated after it was received: %+v", out.Items)
	}
}

func TestReceiveChunksToEnvelopeSize(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdefghijklmnopqrstuvwxyz\r\n"), 3000) // 114 000 bytes
	tests := []struct {
		name      string
		serverMax int
		clientMax string
		limit     int
	}{
		{"client limit", 0, "8192", 8192},
		{"server limit", 16384, "153600", 16384},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			runner := RunnerFunc(func(_ context.Context, _ Command, stdout, stderr io.Writer) int {
				stdout.Write(big[:50000])
				io.WriteString(stderr, "warning\r\n")
				stdout.Write(big[50000:])
				return 0
			})
			_, ts := newTestServer(t, Config{Runner: runner, MaxEnvelopeSize: tc.serverMax})
			c := newRawClient(t, ts)
			shellID := c.create()
			cmdID := c.command(shellID, "x")
			out := c.receiveAll(hdr{ShellID: shellID, MaxEnvelope: tc.clientMax}, cmdID, func(r reply) {
				if len(r.raw) > tc.limit {
					t.Errorf("response of %d bytes, limit %d", len(r.raw), tc.limit)
				}
			})
			if got := out.stream("stdout"); got != string(big) {
				t.Errorf("stdout: got %d bytes, want %d, equal prefix %t", len(got), len(big), strings.HasPrefix(string(big), got))
			}
			if got := out.stream("stderr"); got != "warning\r\n" {
				t.Errorf("stderr = %q", got)
			}
			if out.Receives < len(big)/tc.limit {
				t.Errorf("%d Receives for %d bytes with a %d byte limit", out.Receives, len(big), tc.limit)
			}
		})
	}
}

func TestSend(t *testing.T) {
	release := make(chan struct{})
	runner := RunnerFunc(func(context.Context, Command, io.Writer, io.Writer) int { <-release; return 0 })
	_, ts := newTestServer(t, Config{Runner: runner})
	c := newRawClient(t, ts)
	shellID := c.create()
	cmdID := c.command(shellID, "x")
	env := c.ok(hdr{Action: actionSend, ShellID: shellID}, sendBody(cmdID, []byte("input\r\n")))
	if env.Body.SendResponse == nil || env.Header.Action != actionSend+"Response" {
		t.Errorf("Send answer: %+v\n%s", env.Header, env.Body.Inner)
	}
	close(release)
}

func TestSignalTerminateCancelsRunner(t *testing.T) {
	started, stopped := make(chan struct{}), make(chan struct{})
	runner := RunnerFunc(func(ctx context.Context, _ Command, _, _ io.Writer) int {
		close(started)
		<-ctx.Done()
		close(stopped)
		return 1
	})
	_, ts := newTestServer(t, Config{Runner: runner})
	c := newRawClient(t, ts)
	shellID := c.create()
	cmdID := c.command(shellID, "x")
	<-started
	env := c.ok(hdr{Action: actionSignal, ShellID: shellID}, signalBody(cmdID, signalTerminate))
	if env.Body.SignalResponse == nil || env.Header.Action != actionSignal+"Response" {
		t.Errorf("Signal answer: %+v\n%s", env.Header, env.Body.Inner)
	}
	<-stopped
}

func TestSignalCtrlC(t *testing.T) {
	runner := RunnerFunc(func(ctx context.Context, _ Command, _, stderr io.Writer) int {
		<-ctx.Done()
		io.WriteString(stderr, "^C")
		return -1073741510 // STATUS_CONTROL_C_EXIT
	})
	_, ts := newTestServer(t, Config{Runner: runner})
	c := newRawClient(t, ts)
	shellID := c.create()
	cmdID := c.command(shellID, "x")
	c.ok(hdr{Action: actionSignal, ShellID: shellID}, signalBody(cmdID, signalCtrlC))
	out := c.receiveAll(hdr{ShellID: shellID}, cmdID, nil)
	if out.ExitCode != -1073741510 || out.stream("stderr") != "^C" {
		t.Errorf("after ctrl_c: %+v", out)
	}
}

func TestSignalAfterDone(t *testing.T) {
	_, ts := newTestServer(t, Config{Runner: exitRunner("done", "", 0)})
	c := newRawClient(t, ts)
	shellID := c.create()
	cmdID := c.command(shellID, "x")
	c.receiveAll(hdr{ShellID: shellID}, cmdID, nil)
	env := c.ok(hdr{Action: actionSignal, ShellID: shellID}, signalBody(cmdID, signalTerminate))
	if env.Body.SignalResponse == nil {
		t.Fatalf("no SignalResponse in\n%s", env.Body.Inner)
	}
	// Terminate lets the server forget the command, as Windows does.
	r := c.post(context.Background(), hdr{Action: actionReceive, ShellID: shellID}, receiveBodyFor(cmdID))
	if f := faultOf(t, r); f.WSManFault.Code != "2150858843" || !strings.Contains(f.WSManFault.Message, "command identifier that does not exist") {
		t.Errorf("Receive after terminate: %+v", f)
	}
}

func TestDelete(t *testing.T) {
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
	c.command(shellID, "x")
	<-started
	env := c.ok(hdr{Action: actionDelete, ShellID: shellID}, "")
	if env.Header.Action != actionDelete+"Response" || strings.TrimSpace(env.Body.Inner) != "" {
		t.Errorf("Delete answer: %+v body %q", env.Header, env.Body.Inner)
	}
	<-stopped
	if n := s.ShellCount(); n != 0 {
		t.Errorf("ShellCount = %d after Delete", n)
	}
	r := c.post(context.Background(), hdr{Action: actionDelete, ShellID: shellID}, "")
	if f := faultOf(t, r); f.WSManFault.Code != "2150858843" {
		t.Errorf("second Delete: %+v", f)
	}
}

func TestShellIDIsCaseInsensitive(t *testing.T) {
	_, ts := newTestServer(t, Config{Runner: exitRunner("ok", "", 0)})
	c := newRawClient(t, ts)
	shellID := strings.ToLower(c.create())
	cmdID := strings.ToLower(c.command(shellID, "x"))
	if got := c.receiveAll(hdr{ShellID: shellID}, cmdID, nil).stream("stdout"); got != "ok" {
		t.Errorf("stdout = %q", got)
	}
}

func TestUTF16Request(t *testing.T) {
	_, ts := newTestServer(t, Config{Runner: exitRunner("", "", 0)})
	c := newRawClient(t, ts)
	text := `<?xml version="1.0" encoding="utf-16"?>` + soapEnvelope(hdr{Action: actionCreate}, createBody)
	r := c.postRaw(context.Background(), "application/soap+xml;charset=UTF-16", encodeUTF16(text))
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/soap+xml;charset=UTF-16" {
		t.Fatalf("status %d, Content-Type %q", r.status, r.header.Get("Content-Type"))
	}
	if !bytes.HasPrefix(r.raw, []byte{0xff, 0xfe}) {
		t.Errorf("response has no UTF-16LE byte order mark")
	}
	data, err := decodeUTF16(r.raw)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "<rsp:ShellId>") {
		t.Errorf("decoded response has no ShellId:\n%s", data)
	}
}
