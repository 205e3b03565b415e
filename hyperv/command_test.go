package hyperv

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/masterzen/winrm"
)

// receiveEnvelope wraps a ReceiveResponse body as Windows sends it.
func receiveEnvelope(body string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>` +
		`<s:Envelope xml:lang="en-US" xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell" xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd">` +
		`<s:Header><a:Action>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/ReceiveResponse</a:Action>` +
		`<a:MessageID>uuid:1</a:MessageID><a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To>` +
		`<a:RelatesTo>uuid:2</a:RelatesTo></s:Header><s:Body>` + body + `</s:Body></s:Envelope>`
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestParseReceive(t *testing.T) {
	long := strings.Repeat("0123456789abcdef", 5000)
	wrapped := b64(long)
	var lines []string
	for len(wrapped) > 76 {
		lines = append(lines, wrapped[:76])
		wrapped = wrapped[76:]
	}
	lines = append(lines, wrapped)
	for _, tc := range []struct {
		name           string
		body           string
		stdout, stderr string
		done           bool
		code           int
		err            error
		cut            int // bytes cut off the envelope's end
	}{
		{
			name: "running, output on both streams",
			body: `<rsp:ReceiveResponse><rsp:Stream Name="stdout" CommandId="C1">` + b64("hello ") + `</rsp:Stream>` +
				`<rsp:Stream Name="stderr" CommandId="C1">` + b64("oops") + `</rsp:Stream>` +
				`<rsp:Stream Name="stdout" CommandId="C1">` + b64("world") + `</rsp:Stream>` +
				`<rsp:CommandState CommandId="C1" State="http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Running"></rsp:CommandState></rsp:ReceiveResponse>`,
			stdout: "hello world", stderr: "oops",
		},
		{
			name: "done with its exit code and empty end-of-stream elements",
			body: `<rsp:ReceiveResponse><rsp:Stream Name="stdout" CommandId="C1">` + b64("x") + `</rsp:Stream>` +
				`<rsp:Stream Name="stdout" CommandId="C1" End="true"></rsp:Stream><rsp:Stream Name="stderr" CommandId="C1" End="true"/>` +
				`<rsp:CommandState CommandId="C1" State="http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Done"><rsp:ExitCode>3</rsp:ExitCode></rsp:CommandState></rsp:ReceiveResponse>`,
			stdout: "x", done: true, code: 3,
		},
		{
			name: "other prefixes, single quotes, white space and line-wrapped base64",
			body: `<x:ReceiveResponse xmlns:x="http://schemas.microsoft.com/wbem/wsman/1/windows/shell">` +
				"<x:Stream\n Name='stdout'  CommandId='C1'>\n" + strings.Join(lines, "\r\n") + "\n</x:Stream>" +
				`<x:CommandState CommandId="C1" State='http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Done'>` +
				`<x:ExitCode> 0 </x:ExitCode></x:CommandState></x:ReceiveResponse>`,
			stdout: long, done: true,
		},
		{
			name: "a CDATA section and a comment",
			body: `<!-- relayed --><rsp:ReceiveResponse><rsp:Stream Name="stdout" CommandId="C1"><![CDATA[` + b64("cdata") + `]]></rsp:Stream>` +
				`<rsp:CommandState CommandId="C1" State="http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Done"><rsp:ExitCode>0</rsp:ExitCode></rsp:CommandState></rsp:ReceiveResponse>`,
			stdout: "cdata", done: true,
		},
		{
			name: "a stream this client did not ask for is ignored",
			body: `<rsp:ReceiveResponse><rsp:Stream Name="pr" CommandId="C1">` + b64("p") + `</rsp:Stream></rsp:ReceiveResponse>`,
		},
		{
			name: "bad base64",
			body: `<rsp:ReceiveResponse><rsp:Stream Name="stdout" CommandId="C1">not base64!</rsp:Stream></rsp:ReceiveResponse>`,
			err:  ErrUnexpectedOutput,
		},
		{
			name: "bad exit code",
			body: `<rsp:ReceiveResponse><rsp:CommandState CommandId="C1" State="http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Done"><rsp:ExitCode>zero</rsp:ExitCode></rsp:CommandState></rsp:ReceiveResponse>`,
			err:  ErrUnexpectedOutput,
		},
		{
			name: "cut short inside a tag",
			body: `<rsp:ReceiveResponse><rsp:Stream Name="stdout"`,
			cut:  len(`></s:Body></s:Envelope>`),
			err:  ErrUnexpectedOutput,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			env := receiveEnvelope(tc.body)
			done, code, err := parseReceive(env[:len(env)-tc.cut], &stdout, &stderr)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if done != tc.done || code != tc.code || stdout.String() != tc.stdout || stderr.String() != tc.stderr {
				t.Errorf("got done %v code %d stdout %.40q stderr %q, want %v %d %.40q %q",
					done, code, stdout.String(), stderr.String(), tc.done, tc.code, tc.stdout, tc.stderr)
			}
		})
	}
}

// TestParseReceiveAgreesWithTheLibrary reads the same responses with
// parseReceive and the WinRM library's parser.
func TestParseReceiveAgreesWithTheLibrary(t *testing.T) {
	for _, body := range []string{
		`<rsp:ReceiveResponse><rsp:Stream Name="stdout" CommandId="C1">` + b64(`{"VMs":[1,2]}`) + `</rsp:Stream>` +
			`<rsp:Stream Name="stderr" CommandId="C1">` + b64("#< CLIXML\r\n<Objs/>") + `</rsp:Stream>` +
			`<rsp:Stream Name="stdout" CommandId="C1" End="true"></rsp:Stream><rsp:Stream Name="stderr" CommandId="C1" End="true"></rsp:Stream>` +
			`<rsp:CommandState CommandId="C1" State="http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Done"><rsp:ExitCode>1</rsp:ExitCode></rsp:CommandState></rsp:ReceiveResponse>`,
		`<rsp:ReceiveResponse><rsp:Stream Name="stdout" CommandId="C1">` + b64("partial") + `</rsp:Stream>` +
			`<rsp:CommandState CommandId="C1" State="http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Running"/></rsp:ReceiveResponse>`,
	} {
		env := receiveEnvelope(body)
		var o1, e1, o2, e2 bytes.Buffer
		d1, c1, err1 := parseReceive(env, &o1, &e1)
		d2, c2, err2 := winrm.ParseSlurpOutputErrResponse(env, &o2, &e2)
		if err1 != nil || err2 != nil {
			t.Fatalf("errors: %v, library %v", err1, err2)
		}
		if d1 != d2 || c1 != c2 || o1.String() != o2.String() || e1.String() != e2.String() {
			t.Errorf("parseReceive: %v %d %q %q; library: %v %d %q %q", d1, c1, o1.String(), e1.String(), d2, c2, o2.String(), e2.String())
		}
	}
}

// BenchmarkParseReceive reads a poll's answer (150 kB) as one
// ReceiveResponse, with parseReceive and with the WinRM library.
func BenchmarkParseReceive(b *testing.B) {
	env := receiveEnvelope(`<rsp:ReceiveResponse><rsp:Stream Name="stdout" CommandId="C1">` + b64(strings.Repeat(`{"Name":"vm-0001","State":2},`, 5000)) + `</rsp:Stream>` +
		`<rsp:CommandState CommandId="C1" State="http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Done"><rsp:ExitCode>0</rsp:ExitCode></rsp:CommandState></rsp:ReceiveResponse>`)
	b.Run("parseReceive", func(b *testing.B) {
		for b.Loop() {
			var o, e bytes.Buffer
			if _, _, err := parseReceive(env, &o, &e); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("library", func(b *testing.B) {
		for b.Loop() {
			var o, e bytes.Buffer
			if _, _, err := winrm.ParseSlurpOutputErrResponse(env, &o, &e); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestParseCommandResponse reads a CommandResponse's id as the library
// does, and refuses what the library refuses.
func TestParseCommandResponse(t *testing.T) {
	envelope := func(action, body string) string {
		return `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell">` +
			`<s:Header><a:Action>` + action + `</a:Action><a:MessageID>uuid:1</a:MessageID></s:Header><s:Body>` + body + `</s:Body></s:Envelope>`
	}
	for _, tc := range []struct {
		name, env, want string
	}{
		{"command response", envelope(actionCommandResponse, `<rsp:CommandResponse><rsp:CommandId>C0D9F9A3-1DB6-4B2B-A8C5-8C1D8D8E1F2A</rsp:CommandId></rsp:CommandResponse>`), "C0D9F9A3-1DB6-4B2B-A8C5-8C1D8D8E1F2A"},
		{"another prefix and white space", envelope(actionCommandResponse, `<x:CommandResponse xmlns:x="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"><x:CommandId>
 ABC </x:CommandId></x:CommandResponse>`), "ABC"},
		{"a fault", envelope("http://schemas.dmtf.org/wbem/wsman/1/wsman/fault", `<s:Fault><s:Code><s:Value>s:Receiver</s:Value></s:Code></s:Fault>`), ""},
		{"another action", envelope("http://schemas.microsoft.com/wbem/wsman/1/windows/shell/ReceiveResponse", `<rsp:CommandId>X</rsp:CommandId>`), ""},
		{"no id", envelope(actionCommandResponse, `<rsp:CommandResponse></rsp:CommandResponse>`), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseCommandResponse(tc.env)
			lib, libErr := winrm.ParseExecuteCommandResponse(tc.env)
			if tc.want == "" {
				if !errors.Is(err, ErrUnexpectedOutput) {
					t.Errorf("got %q, %v; want ErrUnexpectedOutput", got, err)
				}
				if libErr == nil && lib != "" {
					t.Errorf("the library reads %q", lib)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got %q, %v; want %q", got, err, tc.want)
			}
			if libErr != nil || strings.TrimSpace(lib) != tc.want {
				t.Errorf("the library reads %q, %v", lib, libErr)
			}
		})
	}
}
