package hyperv

import (
	"crypto/rand"
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"

	"github.com/masterzen/winrm"
	"github.com/masterzen/winrm/soap"
)

// The WS-Management messages the client writes itself, besides those the
// WinRM library writes: a Create that names the shell and bounds its idle
// time, and the Enumerate and Pull that list the account's shells
// (MS-WSMV 3.1.4.8.2), as winrm enumerate windows/shell does.

// URIs of the shell messages.
const (
	resourceShells  = soap.NS_WIN_SHELL          // every shell of the user
	resourceCmd     = soap.NS_WIN_SHELL + "/cmd" // a cmd.exe shell
	actionCreate    = soap.NS_TRANSFER + "/Create"
	actionEnumerate = soap.NS_ENUM + "/Enumerate"
	actionPull      = soap.NS_ENUM + "/Pull"
	anonymous       = soap.NS_ADDRESSING + "/role/anonymous"
	enumPage        = 100 // shells asked for per message
)

// newMessage starts a request with the headers every WinRM request has.
func newMessage(url string, p *winrm.Parameters, action, resource string) (*soap.SoapMessage, *soap.SoapHeader) {
	msg := soap.NewMessage()
	h := msg.Header().To(url).ReplyTo(anonymous).MaxEnvelopeSize(p.EnvelopeSize).Id(newMessageID()).
		Locale(p.Locale).Timeout(p.Timeout).Action(action).ResourceURI(resource)
	return msg, h
}

// createShellRequest asks for a cmd shell named name that the host closes
// after idle without a request.
func createShellRequest(url string, p *winrm.Parameters, name string, idle string) *soap.SoapMessage {
	msg, h := newMessage(url, p, actionCreate, resourceCmd)
	h.AddOption(soap.NewHeaderOption("WINRS_NOPROFILE", "FALSE")).AddOption(soap.NewHeaderOption("WINRS_CODEPAGE", "65001")).Build()
	body := msg.CreateBodyElement("Shell", soap.DOM_NS_WIN_SHELL)
	msg.CreateElement(body, "Name", soap.DOM_NS_WIN_SHELL).SetContent(xmlText(name))
	msg.CreateElement(body, "InputStreams", soap.DOM_NS_WIN_SHELL).SetContent("stdin")
	msg.CreateElement(body, "OutputStreams", soap.DOM_NS_WIN_SHELL).SetContent("stdout stderr")
	msg.CreateElement(body, "IdleTimeOut", soap.DOM_NS_WIN_SHELL).SetContent(idle)
	return msg
}

// enumerateShellsRequest starts an optimized enumeration of the user's shells.
func enumerateShellsRequest(url string, p *winrm.Parameters) *soap.SoapMessage {
	msg, h := newMessage(url, p, actionEnumerate, resourceShells)
	h.Build()
	body := msg.CreateBodyElement("Enumerate", soap.DOM_NS_ENUM)
	body.DeclareNamespace(soap.DOM_NS_ENUM)
	msg.CreateElement(body, "OptimizeEnumeration", soap.DOM_NS_WSMAN_DMTF)
	msg.CreateElement(body, "MaxElements", soap.DOM_NS_WSMAN_DMTF).SetContent(strconv.Itoa(enumPage))
	return msg
}

// pullShellsRequest asks for the next shells of an enumeration.
func pullShellsRequest(url string, p *winrm.Parameters, context string) *soap.SoapMessage {
	msg, h := newMessage(url, p, actionPull, resourceShells)
	h.Build()
	body := msg.CreateBodyElement("Pull", soap.DOM_NS_ENUM)
	body.DeclareNamespace(soap.DOM_NS_ENUM)
	msg.CreateElement(body, "EnumerationContext", soap.DOM_NS_ENUM).SetContent(xmlText(context))
	msg.CreateElement(body, "MaxElements", soap.DOM_NS_ENUM).SetContent(strconv.Itoa(enumPage))
	return msg
}

// newMessageID returns a fresh wsa:MessageID.
func newMessageID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("uuid:%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// xmlText escapes s as XML character data (the library writes content as
// it is given).
func xmlText(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // fails only when the writer does
	return b.String()
}

// RemoteShell is one remote shell a host reported, as an enumeration of
// the shell resource lists it.
type RemoteShell struct {
	ID         string `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell ShellId"`
	Name       string `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Name"`
	Owner      string `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Owner"`
	ClientIP   string `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell ClientIP"`
	ProcessID  int    `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell ProcessId"`
	Inactivity string `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell ShellInactivity"` // xs:duration, e.g. P0DT0H5M12S
}

// shellItems are the rsp:Shell elements of an Items element.
type shellItems struct {
	Shells []RemoteShell `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Shell"`
}

// enumResponse is an EnumerateResponse or a PullResponse.
type enumResponse struct {
	Context string      `xml:"http://schemas.xmlsoap.org/ws/2004/09/enumeration EnumerationContext"`
	WItems  *shellItems `xml:"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd Items"`
	NItems  *shellItems `xml:"http://schemas.xmlsoap.org/ws/2004/09/enumeration Items"`
	WEnd    *struct{}   `xml:"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd EndOfSequence"`
	NEnd    *struct{}   `xml:"http://schemas.xmlsoap.org/ws/2004/09/enumeration EndOfSequence"`
}

// parseEnumeration reads one page of a shell enumeration: its shells, the
// context to pull the rest with, and whether the sequence ended.
func parseEnumeration(envelope string) (shells []RemoteShell, context string, end bool, err error) {
	var env struct {
		Body struct {
			Enumerate *enumResponse `xml:"http://schemas.xmlsoap.org/ws/2004/09/enumeration EnumerateResponse"`
			Pull      *enumResponse `xml:"http://schemas.xmlsoap.org/ws/2004/09/enumeration PullResponse"`
		} `xml:"http://www.w3.org/2003/05/soap-envelope Body"`
	}
	if err := xml.Unmarshal([]byte(envelope), &env); err != nil {
		return nil, "", false, fmt.Errorf("parse shell enumeration: %w: %w", ErrUnexpectedOutput, err)
	}
	r := env.Body.Enumerate
	if r == nil {
		r = env.Body.Pull
	}
	if r == nil {
		return nil, "", false, fmt.Errorf("parse shell enumeration: no EnumerateResponse or PullResponse: %w", ErrUnexpectedOutput)
	}
	for _, items := range []*shellItems{r.WItems, r.NItems} {
		if items != nil {
			shells = append(shells, items.Shells...)
		}
	}
	for i := range shells {
		shells[i].ID = strings.ToUpper(strings.TrimSpace(shells[i].ID))
		shells[i].Name = strings.TrimSpace(shells[i].Name)
		shells[i].Owner = strings.TrimSpace(shells[i].Owner)
		if shells[i].ID == "" {
			return nil, "", false, fmt.Errorf("parse shell enumeration: shell %d without a ShellId: %w", i, ErrUnexpectedOutput)
		}
	}
	end = r.WEnd != nil || r.NEnd != nil
	context = strings.TrimSpace(r.Context)
	if !end && context == "" {
		return nil, "", false, fmt.Errorf("parse shell enumeration: neither the end nor a context to pull from: %w", ErrUnexpectedOutput)
	}
	return shells, context, end, nil
}

// parseCreatedShell reads the ShellId of a CreateResponse.
func parseCreatedShell(envelope string) (string, error) {
	var env struct {
		Body struct {
			Shell struct {
				ID string `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell ShellId"`
			} `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Shell"`
		} `xml:"http://www.w3.org/2003/05/soap-envelope Body"`
	}
	if err := xml.Unmarshal([]byte(envelope), &env); err != nil {
		return "", fmt.Errorf("parse create shell response: %w: %w", ErrUnexpectedOutput, err)
	}
	id := strings.TrimSpace(env.Body.Shell.ID)
	if id == "" {
		return "", fmt.Errorf("parse create shell response: no ShellId: %w", ErrUnexpectedOutput)
	}
	return id, nil
}
