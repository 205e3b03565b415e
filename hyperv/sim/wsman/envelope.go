package wsman

// The vocabulary and encoding of WS-Management messages as Windows writes
// them: namespaces and URIs, the response envelope, message and shell IDs,
// escaping, and the UTF-16 a client may speak. It knows nothing of requests,
// faults or shells.

import (
	"crypto/rand"
	"encoding/xml"
	"fmt"
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
	actionEnumerate = nsEnumeration + "/Enumerate"
	actionPull      = nsEnumeration + "/Pull"
	stateRunning    = nsShell + "/CommandState/Running"
	stateDone       = nsShell + "/CommandState/Done"
	signalTerminate = nsShell + "/signal/terminate"
	signalCtrlC     = nsShell + "/signal/ctrl_c"
	signalCtrlBreak = nsShell + "/signal/ctrl_break"
)

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

// newGUID returns a random GUID in the upper-case form Windows uses.
func newGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return strings.ToUpper(fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]))
}

// newMessageID returns a fresh wsa:MessageID.
func newMessageID() string { return "uuid:" + newGUID() }
