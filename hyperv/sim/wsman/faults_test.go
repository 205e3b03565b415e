package wsman

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestUnknownShell(t *testing.T) {
	_, ts := newTestServer(t, Config{Runner: exitRunner("", "", 0)})
	c := newRawClient(t, ts)
	const shellID = "B387C9DF-58ED-4E97-AE80-4117D8D12116"
	const cmdID = "11111111-1111-1111-1111-111111111114"
	tests := []struct {
		action string
		body   string
	}{
		{actionCommand, commandBody("ipconfig", "/all")},
		{actionReceive, receiveBodyFor(cmdID)},
		{actionSend, sendBody(cmdID, []byte("x"))},
		{actionSignal, signalBody(cmdID, signalTerminate)},
		{actionDelete, ""},
	}
	for _, tc := range tests {
		t.Run(tc.action[strings.LastIndexByte(tc.action, '/')+1:], func(t *testing.T) {
			const msgID = "uuid:fe945306-d7ce-4126-b168-c704bad7588c"
			r := c.post(context.Background(), hdr{Action: tc.action, ShellID: shellID, MessageID: msgID}, tc.body)
			f := faultOf(t, r)
			want := respFault{Code: "s:Sender", Subcode: "w:InvalidSelectors", FaultDetail: faultDetailPrefix + "UnexpectedSelectors"}
			want.Reason.Lang = "en-US"
			want.Reason.Text = "The WS-Management service cannot process the request because the request contained invalid selectors for the resource. "
			want.WSManFault.Code = "2150858843"
			want.WSManFault.Machine = testMachine
			want.WSManFault.Message = "The request for the Windows Remote Shell with ShellId " + shellID +
				" failed because the shell was not found on the server. Possible causes are: the specified ShellId is incorrect or the shell no longer exists on the server. Provide the correct ShellId or create a new shell and retry the operation. "
			if diff := cmp.Diff(want, *f); diff != "" {
				t.Errorf("fault (-want +got):\n%s", diff)
			}
			h := r.env.Header
			if h.Action != actionFaultWSMan || h.RelatesTo != msgID || h.To != anonymous || !strings.HasPrefix(h.MessageID, "uuid:") {
				t.Errorf("fault headers %+v", h)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/soap+xml;charset=UTF-8" {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
}

func TestUnknownCommand(t *testing.T) {
	_, ts := newTestServer(t, Config{Runner: exitRunner("", "", 0)})
	c := newRawClient(t, ts)
	shellID := c.create()
	const cmdID = "87E77BEB-6761-4C48-9D70-A00266B8459A"
	for _, tc := range []struct{ action, body string }{
		{actionReceive, receiveBodyFor(cmdID)},
		{actionSend, sendBody(cmdID, []byte("x"))},
		{actionSignal, signalBody(cmdID, signalTerminate)},
	} {
		t.Run(tc.action[strings.LastIndexByte(tc.action, '/')+1:], func(t *testing.T) {
			f := faultOf(t, c.post(context.Background(), hdr{Action: tc.action, ShellID: shellID}, tc.body))
			want := "The Windows Remote Shell received a request to perform an operation on a command identifier that does not exist. Either the command has completed execution or the client specified an invalid command identifier. "
			if f.WSManFault.Code != "2150858843" || f.Subcode != "w:InvalidSelectors" || f.WSManFault.Message != want {
				t.Errorf("fault %+v", f)
			}
		})
	}
}

func TestUnauthorized(t *testing.T) {
	_, ts := newTestServer(t, Config{Runner: exitRunner("", "", 0)})
	tests := []struct {
		name     string
		user     string
		password string
	}{
		{"no credentials", "", ""},
		{"wrong password", testUser, "wrong"},
		{"unknown user", "guest", testPassword},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, ts.URL+"/wsman", strings.NewReader(soapEnvelope(hdr{Action: actionCreate}, createBody)))
			req.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
			if tc.user != "" {
				req.SetBasicAuth(tc.user, tc.password)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusUnauthorized || len(body) != 0 {
				t.Errorf("status %d, body %q", resp.StatusCode, body)
			}
			want := []string{"Negotiate", `Basic realm="WSMAN"`}
			if diff := cmp.Diff(want, resp.Header.Values("WWW-Authenticate")); diff != "" {
				t.Errorf("WWW-Authenticate (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHTTPErrors(t *testing.T) {
	_, ts := newTestServer(t, Config{Runner: exitRunner("", "", 0), MaxEnvelopeSize: 10000})
	valid := soapEnvelope(hdr{Action: actionCreate}, createBody)
	tests := []struct {
		name        string
		method      string
		path        string
		contentType string
		body        io.Reader
		want        int
		allow       string
	}{
		{"GET", http.MethodGet, "/wsman", "", nil, http.StatusMethodNotAllowed, "POST"},
		{"PUT", http.MethodPut, "/wsman", "application/soap+xml;charset=UTF-8", strings.NewReader(valid), http.StatusMethodNotAllowed, "POST"},
		{"other path", http.MethodPost, "/wsman-anon", "application/soap+xml;charset=UTF-8", strings.NewReader(valid), http.StatusNotFound, ""},
		{"text/xml", http.MethodPost, "/wsman", "text/xml", strings.NewReader(valid), http.StatusUnsupportedMediaType, ""},
		{"latin-1", http.MethodPost, "/wsman", "application/soap+xml;charset=ISO-8859-1", strings.NewReader(valid), http.StatusUnsupportedMediaType, ""},
		{"oversize", http.MethodPost, "/wsman", "application/soap+xml;charset=UTF-8", bytes.NewReader(make([]byte, 10001)), http.StatusRequestEntityTooLarge, ""},
		{"oversize chunked", http.MethodPost, "/wsman", "application/soap+xml;charset=UTF-8", io.MultiReader(bytes.NewReader(make([]byte, 10001))), http.StatusRequestEntityTooLarge, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, ts.URL+tc.path, tc.body)
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			req.SetBasicAuth(testUser, testPassword)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.want || len(body) != 0 {
				t.Errorf("status %d, body %q; want %d and no body", resp.StatusCode, body, tc.want)
			}
			if got := resp.Header.Get("Allow"); got != tc.allow {
				t.Errorf("Allow = %q, want %q", got, tc.allow)
			}
		})
	}
}

func TestMalformedRequests(t *testing.T) {
	_, ts := newTestServer(t, Config{Runner: exitRunner("", "", 0)})
	c := newRawClient(t, ts)
	shellID := c.create()
	const msgID = "uuid:5fc69899-bbc7-4179-a7a2-f6bb62fe2860"
	env := func(h hdr, body string) string {
		if h.MessageID == "" {
			h.MessageID = msgID
		}
		return soapEnvelope(h, body)
	}
	soap11 := `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header/><s:Body/></s:Envelope>`
	tests := []struct {
		name      string
		body      string
		code      string
		subcode   string
		wsman     string
		relatesTo string
		action    string
	}{
		{"not xml", "hello", "s:Sender", "w:SchemaValidationError", "2150858819", "", actionFaultWSMan},
		{"truncated", env(hdr{Action: actionCreate}, createBody)[:200], "s:Sender", "w:SchemaValidationError", "2150858819", "", actionFaultWSMan},
		{"soap 1.1", soap11, "s:VersionMismatch", "w:SchemaValidationError", "2150858765", "", actionFaultWSMan},
		{"not an envelope", "<Envelope/>", "s:Sender", "w:SchemaValidationError", "2150858817", "", actionFaultWSMan},
		{"no MessageID", env(hdr{Action: actionCreate, Omit: "MessageID"}, createBody), "s:Sender", "a:InvalidMessageInformationHeader", "2150858767", "", actionFaultAddressing},
		{"no Action", env(hdr{Omit: "Action"}, createBody), "s:Sender", "a:MessageInformationHeaderRequired", "2150858769", msgID, actionFaultAddressing},
		{"no ReplyTo", env(hdr{Action: actionCreate, Omit: "ReplyTo"}, createBody), "s:Sender", "a:MessageInformationHeaderRequired", "2150858769", msgID, actionFaultAddressing},
		{"ReplyTo elsewhere", env(hdr{Action: actionCreate, ReplyTo: "http://10.0.0.9/replies"}, createBody), "s:Sender", "w:UnsupportedFeature", "2150858818", msgID, actionFaultWSMan},
		{"Locale mustUnderstand", env(hdr{Action: actionCreate, LocaleMU: "true"}, createBody), "s:Sender", "w:UnsupportedFeature", "2150858887", msgID, actionFaultWSMan},
		{"bad OperationTimeout", env(hdr{Action: actionCreate, Timeout: "60 seconds"}, createBody), "s:Sender", "a:InvalidMessageInformationHeader", "2150858881", msgID, actionFaultAddressing},
		{"tiny MaxEnvelopeSize", env(hdr{Action: actionCreate, MaxEnvelope: "4096"}, createBody), "s:Sender", "w:EncodingLimit", "2150858878", msgID, actionFaultWSMan},
		{"bad MaxEnvelopeSize", env(hdr{Action: actionCreate, MaxEnvelope: "lots"}, createBody), "s:Sender", "a:InvalidMessageInformationHeader", "2150858767", msgID, actionFaultAddressing},
		{"unknown action", env(hdr{Action: "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get"}, ""), "s:Sender", "a:ActionNotSupported", "2150858771", msgID, actionFaultAddressing},
		{"other resource", env(hdr{Action: actionCreate, Resource: "http://schemas.microsoft.com/powershell/Microsoft.PowerShell"}, createBody), "s:Sender", "a:DestinationUnreachable", "2150858752", msgID, actionFaultAddressing},
		{"no ResourceURI", env(hdr{Action: actionCreate, Omit: "ResourceURI"}, createBody), "s:Sender", "a:DestinationUnreachable", "2150858752", msgID, actionFaultAddressing},
		{"no ShellId", env(hdr{Action: actionCommand}, commandBody("dir")), "s:Sender", "w:InvalidSelectors", "2150858842", msgID, actionFaultWSMan},
		{"Create without Shell", env(hdr{Action: actionCreate}, ""), "s:Sender", "w:SchemaValidationError", "2150858817", msgID, actionFaultWSMan},
		{"Command without CommandLine", env(hdr{Action: actionCommand, ShellID: shellID}, ""), "s:Sender", "w:SchemaValidationError", "2150858817", msgID, actionFaultWSMan},
		{"unknown signal", env(hdr{Action: actionSignal, ShellID: shellID}, signalBody(c.command(shellID, "x"), nsShell+"/signal/hup")), "s:Sender", "w:InvalidParameter", "2150858810", msgID, actionFaultWSMan},
		{"bad stdin", env(hdr{Action: actionSend, ShellID: shellID}, `<rsp:Send><rsp:Stream Name="stdin" CommandId="`+c.command(shellID, "x")+`">!!</rsp:Stream></rsp:Send>`), "s:Sender", "w:SchemaValidationError", "2150858817", msgID, actionFaultWSMan},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := c.postRaw(context.Background(), "application/soap+xml;charset=UTF-8", []byte(tc.body))
			f := faultOf(t, r)
			got := []string{f.Code, f.Subcode, f.WSManFault.Code, f.WSManFault.Machine, f.Reason.Lang, r.env.Header.RelatesTo, r.env.Header.Action}
			want := []string{tc.code, tc.subcode, tc.wsman, testMachine, "en-US", tc.relatesTo, tc.action}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("fault (-want +got):\n%s", diff)
			}
			if f.Reason.Text == "" || f.WSManFault.Message == "" {
				t.Errorf("fault without text: %+v", f)
			}
		})
	}
}

func TestCommandLineTooLong(t *testing.T) {
	var calls atomic.Int32
	runner := RunnerFunc(func(_ context.Context, cmd Command, stdout, _ io.Writer) int {
		calls.Add(1)
		io.WriteString(stdout, "ran")
		return 0
	})
	_, ts := newTestServer(t, Config{Runner: runner})
	c := newRawClient(t, ts)
	shellID := c.create()
	const prefix = "powershell.exe -EncodedCommand "
	tests := []struct {
		name   string
		length int // of the whole line, in UTF-16 code units
		want   output
		calls  int32
	}{
		{"at the limit", 8191, output{Items: []chunk{{"stdout", []byte("ran")}}}, 1},
		{"one over", 8192, output{Items: []chunk{{"stderr", []byte("The command line is too long.\r\n")}}, ExitCode: 1}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmdID := c.command(shellID, "powershell.exe", "-EncodedCommand", strings.Repeat("A", tc.length-len(prefix)))
			got := c.receiveAll(hdr{ShellID: shellID}, cmdID, nil)
			got.Receives = 0
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(chunk{})); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
			if n := calls.Load(); n != tc.calls {
				t.Errorf("Runner called %d times, want %d", n, tc.calls)
			}
		})
	}
}

func TestTooManyShells(t *testing.T) {
	auth := Auth{Schemes: []Scheme{Basic}, AllowUnencrypted: true, Accounts: everyUser{}}
	s, ts := newTestServer(t, Config{Runner: exitRunner("", "", 0), Auth: auth, MaxShellsPerUser: 2})
	c := newRawClient(t, ts)
	first := c.create()
	c.create()
	f := faultOf(t, c.post(context.Background(), hdr{Action: actionCreate}, createBody))
	want := respFault{Code: "s:Sender", Subcode: "w:QuotaLimit"}
	want.Reason.Lang = "en-US"
	want.Reason.Text = "The WS-Management service cannot process the request. The maximum number of concurrent shells for this user has been exceeded. Close existing shells or raise the quota for this user. "
	want.WSManFault.Code = "2150859173"
	want.WSManFault.Machine = testMachine
	want.WSManFault.Message = "The WS-Management service cannot process the request. This user is allowed a maximum number of 2 concurrent shells, which has been exceeded. Close existing shells or raise the quota for this user. "
	if diff := cmp.Diff(want, *f); diff != "" {
		t.Errorf("quota fault (-want +got):\n%s", diff)
	}
	other := newRawClient(t, ts)
	other.user = "operator"
	other.create()
	c.ok(hdr{Action: actionDelete, ShellID: first}, "")
	c.create()
	if n := s.ShellCount(); n != 3 {
		t.Errorf("ShellCount = %d, want 3", n)
	}
}
