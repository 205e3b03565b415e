package wsman

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// actions maps each request action to its operation and response action.
var actions = map[string]struct {
	op       Op
	response string
}{
	actionCreate:    {OpCreate, actionCreate + "Response"},
	actionCommand:   {OpCommand, actionCommand + "Response"},
	actionReceive:   {OpReceive, actionReceive + "Response"},
	actionSend:      {OpSend, actionSend + "Response"},
	actionSignal:    {OpSignal, actionSignal + "Response"},
	actionDelete:    {OpDelete, actionDelete + "Response"},
	actionEnumerate: {OpEnumerate, actionEnumerate + "Response"},
	actionPull:      {OpPull, actionPull + "Response"},
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
	Enumerate   *xEnumerate   `xml:"http://schemas.xmlsoap.org/ws/2004/09/enumeration Enumerate"`
	Pull        *xPull        `xml:"http://schemas.xmlsoap.org/ws/2004/09/enumeration Pull"`
}

type xShell struct {
	ShellID       string `xml:"ShellId,attr"`
	InputStreams  string `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell InputStreams"`
	OutputStreams string `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell OutputStreams"`
	IdleTimeOut   string `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell IdleTimeOut"`
	Name          string `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Name"`
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
	if h.ResourceURI == nil {
		return req, faultResourceNotFound()
	}
	switch uri := strings.TrimSpace(*h.ResourceURI); {
	case strings.EqualFold(uri, resourceCmd):
		req.resourceURI = resourceCmd
	case strings.EqualFold(uri, nsShell) && (req.op == OpEnumerate || req.op == OpPull || req.op == OpDelete):
		// The shell manager's resource: every shell of the user, whatever
		// its kind, as winrm enumerate windows/shell and
		// Remove-WSManInstance address it.
		req.resourceURI = nsShell
	default:
		return req, faultResourceNotFound()
	}
	if h.SelectorSet != nil {
		for _, s := range h.SelectorSet.Selectors {
			// Windows treats selector names and values as case-insensitive.
			if strings.EqualFold(s.Name, "ShellId") {
				req.shellID = strings.ToUpper(strings.TrimSpace(s.Value))
			}
		}
	}
	switch req.op {
	case OpCreate, OpEnumerate, OpPull:
	default:
		if req.shellID == "" {
			return req, faultInsufficientSelectors()
		}
	}
	return req, nil
}

// minEnvelopeSize is the smallest w:MaxEnvelopeSize a client may ask for.
const minEnvelopeSize = 8192

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
