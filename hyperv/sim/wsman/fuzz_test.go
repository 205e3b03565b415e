package wsman

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The request fuzz targets take an envelope in parts: the header values
// the server reads, raw header XML for the rest (ReplyTo, Locale,
// MaxEnvelopeSize, selectors), and the body. The fuzzer minimizes every
// new input it keeps, and minimizing costs the square of its length: a
// whole envelope of a kilobyte and more kept it minimizing for up to a
// minute per input, tens of executions a minute. In parts, each stays
// short and the namespace declarations are not fuzzed.

// fuzzEnvelopeStart declares the prefixes the parts use.
const fuzzEnvelopeStart = `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"` +
	` xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"` +
	` xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration">`

// Short forms the action and resource parts may use, so that seeds stay
// short; any other text is sent as it is.
var fuzzURIs = map[string]string{
	"create": actionCreate, "delete": actionDelete, "command": actionCommand, "receive": actionReceive,
	"send": actionSend, "signal": actionSignal, "enumerate": actionEnumerate, "pull": actionPull,
	"cmd": resourceCmd, "shell": nsShell,
}

// The shell and command every FuzzServeHTTP execution finds, so that the
// operations on a shell get past their lookup.
const (
	fuzzShellID   = "5207F2DF-E6CA-4D10-8C7F-5380F01D6FDE"
	fuzzCommandID = "11111111-1111-1111-1111-111111111114"
)

// fuzzEnvelope assembles a request from its parts; an empty value leaves
// its header out.
func fuzzEnvelope(action, resource, shellID, messageID string, header, body []byte) []byte {
	expand := func(s string) string {
		if v, ok := fuzzURIs[s]; ok {
			return v
		}
		return s
	}
	var b bytes.Buffer
	b.WriteString(fuzzEnvelopeStart + "<s:Header>")
	if action != "" {
		b.WriteString("<a:Action>" + expand(action) + "</a:Action>")
	}
	if resource != "" {
		b.WriteString("<w:ResourceURI>" + expand(resource) + "</w:ResourceURI>")
	}
	if shellID != "" {
		b.WriteString(`<w:SelectorSet><w:Selector Name="ShellId">` + shellID + "</w:Selector></w:SelectorSet>")
	}
	if messageID != "" {
		b.WriteString("<a:MessageID>" + messageID + "</a:MessageID>")
	}
	b.Write(header)
	b.WriteString("</s:Header><s:Body>")
	b.Write(body)
	b.WriteString("</s:Body></s:Envelope>")
	return b.Bytes()
}

// fuzzSeed is one request in parts.
type fuzzSeed struct {
	action, resource, shellID, messageID string
	header, body                         string
}

// replyTo is the ReplyTo every request needs.
const replyTo = `<a:ReplyTo><a:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>`

// fuzzSeeds are valid and nearly valid requests of every kind.
func fuzzSeeds() []fuzzSeed {
	return []fuzzSeed{
		{"create", "cmd", "", "uuid:1", replyTo, `<rsp:Shell><rsp:Name>n</rsp:Name><rsp:IdleTimeOut>PT60S</rsp:IdleTimeOut></rsp:Shell>`},
		{"command", "cmd", fuzzShellID, "uuid:2", replyTo, `<rsp:CommandLine><rsp:Command><![CDATA[a & b]]></rsp:Command><rsp:Arguments>x</rsp:Arguments></rsp:CommandLine>`},
		{"receive", "cmd", fuzzShellID, "uuid:3", replyTo + `<w:OperationTimeout>PT0.5S</w:OperationTimeout>`, `<rsp:Receive><rsp:DesiredStream CommandId="` + fuzzCommandID + `">stdout</rsp:DesiredStream></rsp:Receive>`},
		{"send", "cmd", fuzzShellID, "uuid:4", replyTo, `<rsp:Send><rsp:Stream Name="stdin" CommandId="` + fuzzCommandID + `">aGk=</rsp:Stream></rsp:Send>`},
		{"signal", "cmd", fuzzShellID, "uuid:5", replyTo, `<rsp:Signal CommandId="` + fuzzCommandID + `"><rsp:Code>` + signalTerminate + `</rsp:Code></rsp:Signal>`},
		{"delete", "shell", fuzzShellID, "uuid:6", replyTo, ""},
		{"enumerate", "shell", "", "uuid:7", replyTo, `<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>9</w:MaxElements></n:Enumerate>`},
		{"pull", "shell", "", "uuid:8", replyTo, `<n:Pull><n:EnumerationContext>uuid:9</n:EnumerationContext></n:Pull>`},
		{"create", "cmd", "", "uuid:9", `<w:MaxEnvelopeSize>100</w:MaxEnvelopeSize><w:Locale mustUnderstand="true"/>` + replyTo, ""},
		{"create", "cmd", "", "uuid:10", "", ""},
		{"", "", "", "", "", ""},
		{"<", "", "", "", "<", "<"},
	}
}

func FuzzParseRequest(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s.action, s.resource, s.shellID, s.messageID, []byte(s.header), []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, action, resource, shellID, messageID string, header, body []byte) {
		req, flt := parseRequest(fuzzEnvelope(action, resource, shellID, messageID, header, body))
		if req == nil {
			t.Fatal("nil request")
		}
		if flt != nil {
			// Every fault must render as well-formed XML.
			var v struct{}
			if err := xml.Unmarshal([]byte(flt.render(req.messageID, "HV01")), &v); err != nil {
				t.Fatalf("fault does not render as XML: %v", err)
			}
			return
		}
		if _, ok := actions[req.action]; !ok || req.op == "" || req.messageID == "" {
			t.Fatalf("accepted request without a known action: %+v", req)
		}
		switch req.op {
		case OpCreate, OpEnumerate, OpPull:
		default:
			if req.shellID == "" {
				t.Fatalf("accepted %s without a shell", req.op)
			}
		}
		_ = req.commandID()
	})
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"PT60S", "PT0.5S", "P0DT0H0M0S", "P1Y2M3W4DT5H6M7.5S", "PT", "-PT1S", "P1e9S"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseDuration(s)
		if err == nil && d < 0 {
			t.Fatalf("parseDuration(%q) = %v", s, d)
		}
	})
}

// resetForFuzz puts the server back to one shell, fuzzShellID, holding one
// finished command, fuzzCommandID, owned by user: every execution starts
// from the same state, and shells created by earlier ones do not pile up
// and slow the next.
func (s *Server) resetForFuzz(user string) {
	ctx, cancel := context.WithCancel(s.ctx)
	now := time.Now()
	sh := &shell{id: fuzzShellID, owner: user, clientIP: "127.0.0.1", inputStreams: "stdin", outputStreams: []string{"stdout", "stderr"},
		idle: time.Hour, ctx: ctx, cancel: cancel, commands: make(map[string]*command), created: now, lastActivity: now, processID: 4}
	sh.timer = time.AfterFunc(sh.idle, func() { s.reap(sh) })
	c := newCommand(ctx, fuzzCommandID)
	_, _ = c.write("stdout", []byte("out"))
	c.finish(0)
	sh.commands[fuzzCommandID] = c
	s.mu.Lock()
	old := s.shells
	s.shells = map[string]*shell{sh.id: sh}
	clear(s.enums)
	s.mu.Unlock()
	for _, o := range old {
		s.dropShell(o)
	}
}

// FuzzServeHTTP drives the whole handler: any request must get a 200 or a
// SOAP fault, never a panic.
func FuzzServeHTTP(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s.action, s.resource, s.shellID, s.messageID, []byte(s.header), []byte(s.body))
	}
	s, err := NewServer(Config{
		Auth:   Auth{Schemes: []Scheme{Basic}, AllowUnencrypted: true, Accounts: SingleAccount("u", "p")},
		Runner: RunnerFunc(func(context.Context, Command, io.Writer, io.Writer) int { return 0 }),
		// Receives of a fuzzed body time out at once rather than block.
		MaxOperationTimeout: time.Millisecond,
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(s.Close)
	f.Fuzz(func(t *testing.T, action, resource, shellID, messageID string, header, body []byte) {
		s.resetForFuzz("u")
		r := httptest.NewRequest(http.MethodPost, "/wsman", bytes.NewReader(fuzzEnvelope(action, resource, shellID, messageID, header, body)))
		r.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
		r.SetBasicAuth("u", "p")
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != http.StatusOK && w.Code != http.StatusInternalServerError {
			t.Fatalf("status %d", w.Code)
		}
		var v struct{}
		if err := xml.Unmarshal(w.Body.Bytes(), &v); err != nil {
			t.Fatalf("answer is not XML: %v\n%s", err, w.Body.Bytes())
		}
	})
}

// FuzzLoginToken drives the Negotiate and Kerberos parsers (raw NTLM,
// SPNEGO, GSS-API Kerberos) through the handler: any token, sent twice on
// one connection, must get a 401 or complete, never panic.
func FuzzLoginToken(f *testing.F) {
	negotiate := []byte("NTLMSSP\x00\x01\x00\x00\x00\x35\x82\x08\xe2" + strings.Repeat("\x00", 16))
	f.Add(negotiate, false)
	f.Add(negTokenInitFor(negotiate), false)
	f.Add(marshalNegTokenResp(acceptIncomplete, nil, append([]byte("NTLMSSP\x00\x03"), make([]byte, 90)...), []byte("mic")), false)
	f.Add(krbToken("user@REALM"), true)
	f.Add(gssWrap(oidSPNEGO, []byte{0xa0, 0x03, 0x30, 0x01, 0x00}), false)
	s, err := NewServer(Config{
		Auth:   Auth{Accounts: SingleAccount("u", "p"), Kerberos: fakeKerberos{}},
		Runner: RunnerFunc(func(context.Context, Command, io.Writer, io.Writer) int { return 0 }),
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(s.Close)
	f.Fuzz(func(t *testing.T, tok []byte, kerberos bool) {
		scheme := "Negotiate "
		if kerberos {
			scheme = "Kerberos "
		}
		ctx := ConnContext(context.Background(), nil)
		for range 2 {
			r := httptest.NewRequestWithContext(ctx, http.MethodPost, "/wsman", nil)
			r.Header.Set("Authorization", scheme+base64.StdEncoding.EncodeToString(tok))
			w := httptest.NewRecorder()
			s.ServeHTTP(w, r)
			if w.Code != http.StatusUnauthorized && w.Code != http.StatusOK {
				t.Fatalf("status %d", w.Code)
			}
		}
	})
}
