package wsman

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/encoding/unicode"
)

// XML namespaces of the messages, with the prefixes Windows uses for them.
const (
	nsSOAP        = "http://www.w3.org/2003/05/soap-envelope"                 // s
	nsSOAP11      = "http://schemas.xmlsoap.org/soap/envelope/"               // SOAP 1.1, refused
	nsAddressing  = "http://schemas.xmlsoap.org/ws/2004/08/addressing"        // a
	nsTransfer    = "http://schemas.xmlsoap.org/ws/2004/09/transfer"          // x
	nsEventing    = "http://schemas.xmlsoap.org/ws/2004/08/eventing"          // e
	nsEnumeration = "http://schemas.xmlsoap.org/ws/2004/09/enumeration"       // n
	nsWSMan       = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"          // w
	nsWSManMS     = "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"     // p
	nsShell       = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell" // rsp
	nsFault       = "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault"    // f
)

// URIs of the shell protocol.
const (
	resourceCmd     = nsShell + "/cmd"
	anonymous       = nsAddressing + "/role/anonymous"
	actionCreate    = nsTransfer + "/Create"
	actionDelete    = nsTransfer + "/Delete"
	actionCommand   = nsShell + "/Command"
	actionReceive   = nsShell + "/Receive"
	actionSend      = nsShell + "/Send"
	actionSignal    = nsShell + "/Signal"
	stateRunning    = nsShell + "/CommandState/Running"
	stateDone       = nsShell + "/CommandState/Done"
	signalTerminate = nsShell + "/signal/terminate"
	signalCtrlC     = nsShell + "/signal/ctrl_c"
	signalCtrlBreak = nsShell + "/signal/ctrl_break"
)

// actions maps each request action to its operation and response action.
var actions = map[string]struct {
	op       Op
	response string
}{
	actionCreate:  {OpCreate, actionCreate + "Response"},
	actionCommand: {OpCommand, actionCommand + "Response"},
	actionReceive: {OpReceive, actionReceive + "Response"},
	actionSend:    {OpSend, actionSend + "Response"},
	actionSignal:  {OpSignal, actionSignal + "Response"},
	actionDelete:  {OpDelete, actionDelete + "Response"},
}

// xEnvelope is a request envelope as encoding/xml decodes it. XMLName is
// left free so that a SOAP 1.1 envelope decodes and can be refused.
type xEnvelope struct {
	XMLName xml.Name
	Header  xHeader `xml:"http://www.w3.org/2003/05/soap-envelope Header"`
	Body    xBody   `xml:"http://www.w3.org/2003/05/soap-envelope Body"`
}

type xHeader struct {
	To               string        `xml:"http://schemas.xmlsoap.org/ws/2004/08/addressing To"`
	ReplyTo          *xReplyTo     `xml:"http://schemas.xmlsoap.org/ws/2004/08/addressing ReplyTo"`
	Action           *string       `xml:"http://schemas.xmlsoap.org/ws/2004/08/addressing Action"`
	MessageID        string        `xml:"http://schemas.xmlsoap.org/ws/2004/08/addressing MessageID"`
	ResourceURI      *string       `xml:"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd ResourceURI"`
	MaxEnvelopeSize  *string       `xml:"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd MaxEnvelopeSize"`
	OperationTimeout *string       `xml:"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd OperationTimeout"`
	Locale           *xLocale      `xml:"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd Locale"`
	SelectorSet      *xSelectorSet `xml:"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd SelectorSet"`
}

type xReplyTo struct {
	Address string `xml:"http://schemas.xmlsoap.org/ws/2004/08/addressing Address"`
}

type xLocale struct {
	MustUnderstand string `xml:"mustUnderstand,attr"`
}

type xSelectorSet struct {
	Selectors []xSelector `xml:"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd Selector"`
}

type xSelector struct {
	Name  string `xml:"Name,attr"`
	Value string `xml:",chardata"`
}

type xBody struct {
	Shell       *xShell       `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Shell"`
	CommandLine *xCommandLine `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell CommandLine"`
	Receive     *xReceive     `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Receive"`
	Send        *xSend        `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Send"`
	Signal      *xSignal      `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Signal"`
}

type xShell struct {
	ShellID       string `xml:"ShellId,attr"`
	InputStreams  string `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell InputStreams"`
	OutputStreams string `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell OutputStreams"`
	IdleTimeOut   string `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell IdleTimeOut"`
}

type xCommandLine struct {
	CommandID string   `xml:"CommandId,attr"`
	Command   string   `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Command"`
	Arguments []string `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Arguments"`
}

type xReceive struct {
	DesiredStream *xDesiredStream `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell DesiredStream"`
}

type xDesiredStream struct {
	CommandID string `xml:"CommandId,attr"`
	Streams   string `xml:",chardata"`
}

type xSend struct {
	Streams []xStream `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Stream"`
}

type xStream struct {
	Name      string `xml:"Name,attr"`
	CommandID string `xml:"CommandId,attr"`
	End       string `xml:"End,attr"`
	Data      string `xml:",chardata"`
}

type xSignal struct {
	CommandID string `xml:"CommandId,attr"`
	Code      string `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Code"`
}

// request is one parsed and header-checked WS-Management request.
type request struct {
	op          Op
	action      string // request action URI
	response    string // response action URI
	messageID   string
	to          string
	resourceURI string
	shellID     string // ShellId selector, "" when absent
	maxEnvelope int    // client's w:MaxEnvelopeSize, 0 when absent
	timeout     string // w:OperationTimeout text, "" when absent
	body        xBody
}

// commandID returns the command a request addresses, "" for none.
func (r *request) commandID() string {
	switch {
	case r.body.Receive != nil && r.body.Receive.DesiredStream != nil:
		return strings.ToUpper(r.body.Receive.DesiredStream.CommandID)
	case r.body.Signal != nil:
		return strings.ToUpper(r.body.Signal.CommandID)
	case r.body.Send != nil && len(r.body.Send.Streams) > 0:
		return strings.ToUpper(r.body.Send.Streams[0].CommandID)
	}
	return ""
}

// parseRequest decodes a UTF-8 envelope and checks its headers. The request
// is returned even with a fault so that the fault can relate to its
// MessageID.
func parseRequest(data []byte) (*request, *fault) {
	var env xEnvelope
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.CharsetReader = func(charset string, r io.Reader) (io.Reader, error) {
		// The HTTP layer has already turned UTF-16 into UTF-8.
		if strings.EqualFold(charset, "utf-16") {
			return r, nil
		}
		return nil, fmt.Errorf("unsupported charset %q", charset)
	}
	if err := dec.Decode(&env); err != nil {
		return &request{}, faultInvalidXML()
	}
	if env.XMLName.Space == nsSOAP11 && env.XMLName.Local == "Envelope" {
		return &request{}, faultVersionMismatch()
	}
	if env.XMLName.Space != nsSOAP || env.XMLName.Local != "Envelope" {
		return &request{}, faultSchema()
	}
	h := env.Header
	req := &request{messageID: strings.TrimSpace(h.MessageID), to: strings.TrimSpace(h.To), body: env.Body}
	if req.messageID == "" {
		return req, faultInvalidHeader()
	}
	if h.Action == nil || strings.TrimSpace(*h.Action) == "" || h.ReplyTo == nil {
		return req, faultHeaderRequired()
	}
	req.action = strings.TrimSpace(*h.Action)
	if addr := strings.TrimSpace(h.ReplyTo.Address); addr != anonymous && addr != anonymous+"/" {
		return req, faultAddressingMode()
	}
	if h.Locale != nil && strings.EqualFold(strings.TrimSpace(h.Locale.MustUnderstand), "true") {
		return req, faultLocaleMustUnderstand()
	}
	if h.MaxEnvelopeSize != nil {
		n, ok := parseSize(*h.MaxEnvelopeSize)
		if !ok {
			return req, faultInvalidHeader()
		}
		if n < minEnvelopeSize {
			return req, faultMinEnvelope()
		}
		req.maxEnvelope = n
	}
	if h.OperationTimeout != nil {
		req.timeout = strings.TrimSpace(*h.OperationTimeout)
		if _, err := parseDuration(req.timeout); err != nil {
			return req, faultInvalidTimeout()
		}
	}
	a, ok := actions[req.action]
	if !ok {
		return req, faultActionNotSupported(req.action)
	}
	req.op, req.response = a.op, a.response
	if h.ResourceURI == nil || !strings.EqualFold(strings.TrimSpace(*h.ResourceURI), resourceCmd) {
		return req, faultResourceNotFound()
	}
	req.resourceURI = resourceCmd
	if h.SelectorSet != nil {
		for _, s := range h.SelectorSet.Selectors {
			// Windows treats selector names and values as case-insensitive.
			if strings.EqualFold(s.Name, "ShellId") {
				req.shellID = strings.ToUpper(strings.TrimSpace(s.Value))
			}
		}
	}
	if req.op != OpCreate && req.shellID == "" {
		return req, faultInsufficientSelectors()
	}
	return req, nil
}

// parseSize parses a non-negative decimal byte count.
func parseSize(s string) (int, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 10 {
		return 0, false
	}
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// envelopeOpen is the start of every response envelope, as Windows writes it.
const envelopeOpen = `<s:Envelope xml:lang="en-US" xmlns:s="` + nsSOAP + `" xmlns:a="` + nsAddressing +
	`" xmlns:x="` + nsTransfer + `" xmlns:e="` + nsEventing + `" xmlns:n="` + nsEnumeration +
	`" xmlns:w="` + nsWSMan + `" xmlns:rsp="` + nsShell + `" xmlns:p="` + nsWSManMS + `">`

// envelope renders a whole response envelope around an already rendered body.
func envelope(action, relatesTo, body string) string {
	var b strings.Builder
	b.Grow(len(envelopeOpen) + len(body) + 512)
	b.WriteString(envelopeOpen)
	b.WriteString("<s:Header><a:Action>")
	b.WriteString(escape(action))
	b.WriteString("</a:Action><a:MessageID>")
	b.WriteString(newMessageID())
	b.WriteString("</a:MessageID><a:To>" + anonymous + "</a:To>")
	if relatesTo != "" {
		b.WriteString("<a:RelatesTo>")
		b.WriteString(escape(relatesTo))
		b.WriteString("</a:RelatesTo>")
	}
	b.WriteString("</s:Header><s:Body>")
	b.WriteString(body)
	b.WriteString("</s:Body></s:Envelope>")
	return b.String()
}

// escape escapes text for use as XML character data or an attribute value.
func escape(s string) string {
	var b strings.Builder
	// EscapeText only fails when the writer does.
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// utf16LE is the UTF-16 Windows uses: little-endian unless a BOM says
// otherwise, with a BOM on output.
var utf16LE = unicode.UTF16(unicode.LittleEndian, unicode.UseBOM)

// decodeUTF16 turns a UTF-16 request body into UTF-8.
func decodeUTF16(data []byte) ([]byte, error) {
	out, err := utf16LE.NewDecoder().Bytes(data)
	if err != nil {
		return nil, fmt.Errorf("decode utf-16: %w", err)
	}
	return out, nil
}

// encodeUTF16 renders a response in UTF-16 for a client that wrote UTF-16.
func encodeUTF16(text string) []byte {
	out, err := utf16LE.NewEncoder().Bytes([]byte(text))
	if err != nil {
		// Only invalid UTF-8 fails, and responses are built from valid text.
		return []byte(text)
	}
	return out
}
