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

// seedEnvelopes are valid and nearly valid requests of every kind.
func seedEnvelopes() []string {
	const shellID = "5207F2DF-E6CA-4D10-8C7F-5380F01D6FDE"
	const cmdID = "11111111-1111-1111-1111-111111111114"
	return []string{
		soapEnvelope(hdr{Action: actionCreate, MessageID: "uuid:1"}, createBody),
		soapEnvelope(hdr{Action: actionCommand, ShellID: shellID, MessageID: "uuid:2"}, commandBody("cmd", "/c", "dir & echo <x>")),
		soapEnvelope(hdr{Action: actionCommand, ShellID: shellID, MessageID: "uuid:2"}, `<rsp:CommandLine><rsp:Command><![CDATA[a & b]]></rsp:Command></rsp:CommandLine>`),
		soapEnvelope(hdr{Action: actionReceive, ShellID: shellID, Timeout: "PT0.5S", MessageID: "uuid:3"}, receiveBodyFor(cmdID)),
		soapEnvelope(hdr{Action: actionSend, ShellID: shellID, MessageID: "uuid:4"}, sendBody(cmdID, []byte("input"))),
		soapEnvelope(hdr{Action: actionSignal, ShellID: shellID, MessageID: "uuid:5"}, signalBody(cmdID, signalTerminate)),
		soapEnvelope(hdr{Action: actionDelete, ShellID: shellID, MessageID: "uuid:6"}, ""),
		soapEnvelope(hdr{Action: actionCreate, Omit: "ReplyTo"}, createBody),
		soapEnvelope(hdr{Action: actionCreate, MaxEnvelope: "100"}, createBody),
		`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header/><s:Body/></s:Envelope>`,
		`<?xml version="1.0" encoding="utf-16"?><a/>`,
		"",
		"<",
	}
}

func FuzzParseRequest(f *testing.F) {
	for _, s := range seedEnvelopes() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		req, flt := parseRequest(data)
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
		if req.op != OpCreate && req.shellID == "" {
			t.Fatalf("accepted %s without a shell", req.op)
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

// FuzzServeHTTP drives the whole handler: any body must get a 200 or a SOAP
// fault, never a panic.
func FuzzServeHTTP(f *testing.F) {
	for _, s := range seedEnvelopes() {
		f.Add([]byte(s))
	}
	s, err := NewServer(Config{
		Auth:             Auth{Schemes: []Scheme{Basic}, AllowUnencrypted: true, Accounts: SingleAccount("u", "p")},
		Runner:           RunnerFunc(func(context.Context, Command, io.Writer, io.Writer) int { return 0 }),
		MaxShellsPerUser: 1 << 20,
		// Receives of a fuzzed body time out at once rather than block.
		MaxOperationTimeout: time.Millisecond,
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(s.Close)
	f.Fuzz(func(t *testing.T, data []byte) {
		r := httptest.NewRequest(http.MethodPost, "/wsman", bytes.NewReader(data))
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
