package sim_test

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/hvbalancer/hvbalancer/hyperv/sim"
)

// A minimal WinRM client written from the protocol, as another tool would
// send it: command and arguments apart, PT1S operation timeout.

const rawEnvelope = `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"><s:Header><a:To>%s</a:To><a:ReplyTo><a:Address s:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo><a:Action s:mustUnderstand="true">%s</a:Action><w:MaxEnvelopeSize s:mustUnderstand="true">153600</w:MaxEnvelopeSize><a:MessageID>uuid:%d</a:MessageID><w:OperationTimeout>PT1S</w:OperationTimeout><w:ResourceURI s:mustUnderstand="true">http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd</w:ResourceURI>%s</s:Header><s:Body>%s</s:Body></s:Envelope>`

func encodePS(script string) string {
	u := utf16.Encode([]rune(script))
	b := make([]byte, 2*len(u))
	for i, r := range u {
		b[2*i], b[2*i+1] = byte(r), byte(r>>8)
	}
	return base64.StdEncoding.EncodeToString(b)
}

type rawReply struct {
	ShellID   string `xml:"Body>Shell>ShellId"`
	CommandID string `xml:"Body>CommandResponse>CommandId"`
	Streams   []struct {
		Name string `xml:"Name,attr"`
		Data string `xml:",chardata"`
	} `xml:"Body>ReceiveResponse>Stream"`
	State struct {
		State    string `xml:"State,attr"`
		ExitCode string `xml:"ExitCode"`
	} `xml:"Body>ReceiveResponse>CommandState"`
	Fault struct {
		Code string `xml:"Code,attr"`
	} `xml:"Body>Fault>Detail>WSManFault"`
}

// rawRun runs one command through Create, Command, Receive..., Signal and
// Delete, and returns stdout, stderr and the exit code.
func rawRun(t *testing.T, ep sim.Endpoint, user, pass, command string, args ...string) (string, string, int) {
	t.Helper()
	seq := 0
	post := func(action, selector, body string) rawReply {
		t.Helper()
		seq++
		header := ""
		if selector != "" {
			header = `<w:SelectorSet><w:Selector Name="ShellId">` + selector + `</w:Selector></w:SelectorSet>`
		}
		msg := fmt.Sprintf(rawEnvelope, ep.URL, action, seq, header, body)
		req, err := http.NewRequest(http.MethodPost, ep.URL, strings.NewReader(msg))
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth(user, pass)
		req.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		var r rawReply
		if err := xml.Unmarshal(data, &r); err != nil {
			t.Fatalf("%s: status %d, %v: %s", action, resp.StatusCode, err, data)
		}
		if resp.StatusCode != http.StatusOK && r.Fault.Code != "2150858793" {
			t.Fatalf("%s: status %d: %s", action, resp.StatusCode, data)
		}
		return r
	}
	const shell = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/"
	shellID := post("http://schemas.xmlsoap.org/ws/2004/09/transfer/Create", "",
		`<rsp:Shell><rsp:InputStreams>stdin</rsp:InputStreams><rsp:OutputStreams>stdout stderr</rsp:OutputStreams></rsp:Shell>`).ShellID
	var argXML strings.Builder
	for _, a := range args {
		argXML.WriteString("<rsp:Arguments>")
		xml.EscapeText(&argXML, []byte(a))
		argXML.WriteString("</rsp:Arguments>")
	}
	cmdID := post(shell+"Command", shellID, `<rsp:CommandLine><rsp:Command>`+command+`</rsp:Command>`+argXML.String()+`</rsp:CommandLine>`).CommandID
	var stdout, stderr bytes.Buffer
	code := -1
	for i := 0; i < 1000 && code < 0; i++ {
		r := post(shell+"Receive", shellID, `<rsp:Receive><rsp:DesiredStream CommandId="`+cmdID+`">stdout stderr</rsp:DesiredStream></rsp:Receive>`)
		for _, s := range r.Streams {
			b, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(s.Data))
			if s.Name == "stdout" {
				stdout.Write(b)
			} else {
				stderr.Write(b)
			}
		}
		if strings.HasSuffix(r.State.State, "/Done") {
			code, _ = strconv.Atoi(r.State.ExitCode)
		}
	}
	post(shell+"Signal", shellID, `<rsp:Signal CommandId="`+cmdID+`"><rsp:Code>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/terminate</rsp:Code></rsp:Signal>`)
	post("http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete", shellID, "")
	return stdout.String(), stderr.String(), code
}
