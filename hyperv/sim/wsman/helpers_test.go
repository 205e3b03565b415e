package wsman

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const (
	testUser     = "administrator"
	testPassword = "Passw0rd!"
	testMachine  = "HV01"
)

// basicAuth is a host that takes Basic over plain HTTP, as the protocol
// tests talk to it; the authentication tests use others.
func basicAuth() Auth {
	return Auth{Schemes: []Scheme{Negotiate, Basic}, AllowUnencrypted: true, Accounts: SingleAccount(testUser, testPassword)}
}

// everyUser is any user name with the test password.
type everyUser struct{}

func (everyUser) Password(string, string) (string, bool) { return testPassword, true }
func (everyUser) Logon(_, _ string, ok bool) bool        { return ok }

// newTestServer starts a Server behind a loopback HTTP listener with
// ConnContext set. cfg's Runner is required; Auth (basicAuth) and
// MachineName get test defaults.
func newTestServer(t *testing.T, cfg Config) (*Server, *httptest.Server) {
	t.Helper()
	if cfg.Auth.Accounts == nil {
		cfg.Auth = basicAuth()
	}
	if cfg.MachineName == "" {
		cfg.MachineName = testMachine
	}
	s, err := NewServer(cfg)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	ts := httptest.NewUnstartedServer(s)
	ts.Config.ConnContext = ConnContext
	ts.Start()
	// Cleanups run last-in first-out: close the Server first so that
	// long-polling handlers return, then the listener.
	t.Cleanup(ts.Close)
	t.Cleanup(s.Close)
	return s, ts
}

// hdr describes the headers of a hand-written request, modeled on what
// pywinrm sends.
type hdr struct {
	Action      string
	ShellID     string
	Timeout     string // "" = PT20S
	MaxEnvelope string // "" = 153600
	MessageID   string // "" = a fresh one
	Resource    string // "" = the cmd shell
	ReplyTo     string // "" = anonymous
	LocaleMU    string // "" = false
	Omit        string // a header to leave out: Action, MessageID, ReplyTo or ResourceURI
}

const envelopeStart = `<env:Envelope xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"` +
	` xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell" xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"` +
	` xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer"` +
	` xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:b="http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd"` +
	` xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:cfg="http://schemas.microsoft.com/wbem/wsman/1/config"` +
	` xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration">`

// soapEnvelope writes a request envelope by hand.
func soapEnvelope(h hdr, body string) string {
	def := func(v, d string) string {
		if v == "" {
			return d
		}
		return v
	}
	var b strings.Builder
	b.WriteString(envelopeStart + "<env:Header>")
	b.WriteString("<w:OperationTimeout>" + def(h.Timeout, "PT20S") + "</w:OperationTimeout>")
	b.WriteString("<a:To>http://127.0.0.1:5985/wsman</a:To>")
	b.WriteString(`<w:MaxEnvelopeSize mustUnderstand="true">` + def(h.MaxEnvelope, "153600") + "</w:MaxEnvelopeSize>")
	if h.Omit != "ResourceURI" {
		b.WriteString(`<w:ResourceURI mustUnderstand="true">` + def(h.Resource, resourceCmd) + "</w:ResourceURI>")
	}
	if h.Omit != "Action" {
		b.WriteString(`<a:Action mustUnderstand="true">` + h.Action + "</a:Action>")
	}
	b.WriteString(`<p:DataLocale mustUnderstand="false" xml:lang="en-US"></p:DataLocale>`)
	if h.Omit != "ReplyTo" {
		b.WriteString(`<a:ReplyTo><a:Address mustUnderstand="true">` + def(h.ReplyTo, anonymous) + "</a:Address></a:ReplyTo>")
	}
	if h.Omit != "MessageID" {
		b.WriteString("<a:MessageID>" + def(h.MessageID, "uuid:"+strings.ToLower(newGUID())) + "</a:MessageID>")
	}
	b.WriteString(`<w:Locale mustUnderstand="` + def(h.LocaleMU, "false") + `" xml:lang="en-US"></w:Locale>`)
	if h.ShellID != "" {
		b.WriteString(`<w:SelectorSet><w:Selector Name="ShellId">` + h.ShellID + "</w:Selector></w:SelectorSet>")
	}
	b.WriteString("</env:Header><env:Body>" + body + "</env:Body></env:Envelope>")
	return b.String()
}

const createBody = `<rsp:Shell><rsp:InputStreams>stdin</rsp:InputStreams><rsp:OutputStreams>stdout stderr</rsp:OutputStreams></rsp:Shell>`

func commandBody(command string, args ...string) string {
	s := "<rsp:CommandLine><rsp:Command>" + escape(command) + "</rsp:Command>"
	for _, a := range args {
		s += "<rsp:Arguments>" + escape(a) + "</rsp:Arguments>"
	}
	return s + "</rsp:CommandLine>"
}

func receiveBodyFor(commandID string) string {
	return `<rsp:Receive><rsp:DesiredStream CommandId="` + commandID + `">stdout stderr</rsp:DesiredStream></rsp:Receive>`
}

func signalBody(commandID, code string) string {
	return `<rsp:Signal CommandId="` + commandID + `"><rsp:Code>` + code + `</rsp:Code></rsp:Signal>`
}

func sendBody(commandID string, data []byte) string {
	return `<rsp:Send><rsp:Stream Name="stdin" CommandId="` + commandID + `" End="true">` +
		base64.StdEncoding.EncodeToString(data) + `</rsp:Stream></rsp:Send>`
}

// respEnvelope is a response as a client decodes it.
type respEnvelope struct {
	Header struct {
		Action    string `xml:"http://schemas.xmlsoap.org/ws/2004/08/addressing Action"`
		MessageID string `xml:"http://schemas.xmlsoap.org/ws/2004/08/addressing MessageID"`
		To        string `xml:"http://schemas.xmlsoap.org/ws/2004/08/addressing To"`
		RelatesTo string `xml:"http://schemas.xmlsoap.org/ws/2004/08/addressing RelatesTo"`
	} `xml:"http://www.w3.org/2003/05/soap-envelope Header"`
	Body struct {
		ResourceCreated *struct {
			Address             string `xml:"http://schemas.xmlsoap.org/ws/2004/08/addressing Address"`
			ReferenceParameters struct {
				ResourceURI string `xml:"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd ResourceURI"`
				SelectorSet struct {
					Selectors []struct {
						Name  string `xml:"Name,attr"`
						Value string `xml:",chardata"`
					} `xml:"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd Selector"`
				} `xml:"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd SelectorSet"`
			} `xml:"http://schemas.xmlsoap.org/ws/2004/08/addressing ReferenceParameters"`
		} `xml:"http://schemas.xmlsoap.org/ws/2004/09/transfer ResourceCreated"`
		Shell *struct {
			ShellID       string `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell ShellId"`
			ResourceURI   string `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell ResourceUri"`
			Owner         string `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Owner"`
			ClientIP      string `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell ClientIP"`
			IdleTimeOut   string `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell IdleTimeOut"`
			InputStreams  string `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell InputStreams"`
			OutputStreams string `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell OutputStreams"`
		} `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Shell"`
		CommandResponse *struct {
			CommandID string `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell CommandId"`
		} `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell CommandResponse"`
		ReceiveResponse *struct {
			Streams []struct {
				Name      string `xml:"Name,attr"`
				CommandID string `xml:"CommandId,attr"`
				End       string `xml:"End,attr"`
				Data      string `xml:",chardata"`
			} `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Stream"`
			CommandState *struct {
				CommandID string `xml:"CommandId,attr"`
				State     string `xml:"State,attr"`
				ExitCode  *int   `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell ExitCode"`
			} `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell CommandState"`
		} `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell ReceiveResponse"`
		SendResponse   *struct{}  `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell SendResponse"`
		SignalResponse *struct{}  `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell SignalResponse"`
		Fault          *respFault `xml:"http://www.w3.org/2003/05/soap-envelope Fault"`
		Inner          string     `xml:",innerxml"`
	} `xml:"http://www.w3.org/2003/05/soap-envelope Body"`
}

type respFault struct {
	Code    string `xml:"http://www.w3.org/2003/05/soap-envelope Code>Value"`
	Subcode string `xml:"http://www.w3.org/2003/05/soap-envelope Code>Subcode>Value"`
	Reason  struct {
		Lang string `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
		Text string `xml:",chardata"`
	} `xml:"http://www.w3.org/2003/05/soap-envelope Reason>Text"`
	FaultDetail string
	WSManFault  struct {
		Code    string `xml:"Code,attr"`
		Machine string `xml:"Machine,attr"`
		Message string `xml:"http://schemas.microsoft.com/wbem/wsman/1/wsmanfault Message"`
	}
}

// UnmarshalXML decodes s:Fault, whose s:Detail mixes namespaces.
func (f *respFault) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	var raw struct {
		Code    string `xml:"http://www.w3.org/2003/05/soap-envelope Code>Value"`
		Subcode string `xml:"http://www.w3.org/2003/05/soap-envelope Code>Subcode>Value"`
		Reason  struct {
			Lang string `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
			Text string `xml:",chardata"`
		} `xml:"http://www.w3.org/2003/05/soap-envelope Reason>Text"`
		Detail struct {
			FaultDetail string `xml:"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd FaultDetail"`
			WSManFault  struct {
				Code    string `xml:"Code,attr"`
				Machine string `xml:"Machine,attr"`
				Message string `xml:"http://schemas.microsoft.com/wbem/wsman/1/wsmanfault Message"`
			} `xml:"http://schemas.microsoft.com/wbem/wsman/1/wsmanfault WSManFault"`
		} `xml:"http://www.w3.org/2003/05/soap-envelope Detail"`
	}
	if err := d.DecodeElement(&raw, &start); err != nil {
		return err
	}
	f.Code, f.Subcode, f.FaultDetail = raw.Code, raw.Subcode, raw.Detail.FaultDetail
	f.Reason.Lang, f.Reason.Text = raw.Reason.Lang, raw.Reason.Text
	f.WSManFault.Code, f.WSManFault.Machine, f.WSManFault.Message = raw.Detail.WSManFault.Code, raw.Detail.WSManFault.Machine, raw.Detail.WSManFault.Message
	return nil
}

// reply is one HTTP answer, decoded when it is SOAP.
type reply struct {
	status int
	header http.Header
	raw    []byte
	env    *respEnvelope
}

// rawClient posts hand-written envelopes, as another WinRM client would.
type rawClient struct {
	t        *testing.T
	url      string
	user     string
	password string
}

func newRawClient(t *testing.T, ts *httptest.Server) *rawClient {
	return &rawClient{t: t, url: ts.URL + "/wsman", user: testUser, password: testPassword}
}

// post sends one envelope and decodes the answer.
func (c *rawClient) post(ctx context.Context, h hdr, body string) reply {
	c.t.Helper()
	return c.postRaw(ctx, "application/soap+xml;charset=UTF-8", []byte(soapEnvelope(h, body)))
}

func (c *rawClient) postRaw(ctx context.Context, contentType string, data []byte) reply {
	c.t.Helper()
	r, err := c.do(ctx, contentType, data)
	if err != nil {
		c.t.Fatal(err)
	}
	return r
}

// do posts without failing the test, for use off the test goroutine.
func (c *rawClient) do(ctx context.Context, contentType string, data []byte) (reply, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(data))
	if err != nil {
		return reply{}, err
	}
	req.Header.Set("Content-Type", contentType)
	req.SetBasicAuth(c.user, c.password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, err
	}
	r := reply{status: resp.StatusCode, header: resp.Header, raw: raw}
	if ct := resp.Header.Get("Content-Type"); strings.HasPrefix(ct, "application/soap+xml") && !strings.Contains(ct, "UTF-16") {
		r.env = new(respEnvelope)
		if err := xml.Unmarshal(raw, r.env); err != nil {
			return r, fmt.Errorf("decode response: %w\n%s", err, raw)
		}
	}
	return r, nil
}

// ok posts and requires a 200 answer.
func (c *rawClient) ok(h hdr, body string) *respEnvelope {
	c.t.Helper()
	r := c.post(context.Background(), h, body)
	if r.status != http.StatusOK || r.env == nil {
		c.t.Fatalf("%s: status %d\n%s", h.Action, r.status, r.raw)
	}
	return r.env
}

func (c *rawClient) create() string {
	c.t.Helper()
	env := c.ok(hdr{Action: actionCreate}, createBody)
	if env.Body.Shell == nil {
		c.t.Fatalf("create: no rsp:Shell in\n%s", env.Body.Inner)
	}
	return env.Body.Shell.ShellID
}

func (c *rawClient) command(shellID, command string, args ...string) string {
	c.t.Helper()
	env := c.ok(hdr{Action: actionCommand, ShellID: shellID}, commandBody(command, args...))
	if env.Body.CommandResponse == nil {
		c.t.Fatalf("command: no rsp:CommandResponse in\n%s", env.Body.Inner)
	}
	return env.Body.CommandResponse.CommandID
}

// output is what a client collected from a command.
type output struct {
	Items    []chunk // in order, adjacent pieces of a stream merged
	ExitCode int
	Receives int
}

func (o output) stream(name string) string {
	var s string
	for _, it := range o.Items {
		if it.stream == name {
			s += string(it.data)
		}
	}
	return s
}

// receiveAll receives until the command is done, retrying after w:TimedOut.
// check, when not nil, sees every raw answer.
func (c *rawClient) receiveAll(h hdr, commandID string, check func(reply)) output {
	c.t.Helper()
	h.Action = actionReceive
	var out output
	for {
		r := c.post(context.Background(), h, receiveBodyFor(commandID))
		out.Receives++
		if check != nil {
			check(r)
		}
		if r.env == nil {
			c.t.Fatalf("receive: status %d", r.status)
		}
		if f := r.env.Body.Fault; f != nil {
			if f.Subcode == "w:TimedOut" {
				continue
			}
			c.t.Fatalf("receive: fault %s %s", f.WSManFault.Code, f.WSManFault.Message)
		}
		rr := r.env.Body.ReceiveResponse
		if rr == nil || rr.CommandState == nil {
			c.t.Fatalf("receive: no ReceiveResponse/CommandState in\n%s", r.raw)
		}
		for _, st := range rr.Streams {
			data, err := base64.StdEncoding.DecodeString(st.Data)
			if err != nil {
				c.t.Fatalf("receive: stream data: %v", err)
			}
			if len(data) == 0 {
				continue
			}
			if n := len(out.Items); n > 0 && out.Items[n-1].stream == st.Name {
				out.Items[n-1].data = append(out.Items[n-1].data, data...)
			} else {
				out.Items = append(out.Items, chunk{stream: st.Name, data: data})
			}
		}
		if rr.CommandState.State == stateDone {
			if rr.CommandState.ExitCode == nil {
				c.t.Fatalf("receive: Done without ExitCode")
			}
			out.ExitCode = *rr.CommandState.ExitCode
			return out
		}
	}
}

// faultOf requires a SOAP fault answered with HTTP 500.
func faultOf(t *testing.T, r reply) *respFault {
	t.Helper()
	if r.status != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500\n%s", r.status, r.raw)
	}
	if r.env == nil || r.env.Body.Fault == nil {
		t.Fatalf("no s:Fault in\n%s", r.raw)
	}
	return r.env.Body.Fault
}
