package wsman

import (
	"fmt"
	"strconv"
	"strings"
)

// Fault actions: WS-Management faults and WS-Addressing faults.
const (
	actionFaultWSMan      = "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"
	actionFaultAddressing = nsAddressing + "/fault"
	faultDetailPrefix     = "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/"
)

// WSManFault codes (wsmerror.h) the server answers with.
const (
	codeResourceNotFound          = 2150858752 // ERROR_WSMAN_RESOURCE_NOT_FOUND
	codeVersionMismatch           = 2150858765 // ERROR_WSMAN_SOAP_VERSION_MISMATCH
	codeInvalidHeader             = 2150858767 // ERROR_WSMAN_INVALID_MESSAGE_INFORMATION_HEADER
	codeHeaderRequired            = 2150858769 // ERROR_WSMAN_MESSAGE_INFORMATION_HEADER_REQUIRED
	codeActionNotSupported        = 2150858771 // ERROR_WSMAN_ACTION_NOT_SUPPORTED
	codeTimedOut                  = 2150858793 // ERROR_WSMAN_OPERATION_TIMEDOUT
	codeInvalidParameter          = 2150858810 // ERROR_WSMAN_INVALID_PARAMETER
	codeSchemaValidation          = 2150858817 // ERROR_WSMAN_SCHEMA_VALIDATION_ERROR
	codeUnsupportedFeature        = 2150858818 // ERROR_WSMAN_UNSUPPORTED_FEATURE
	codeInvalidXML                = 2150858819 // ERROR_WSMAN_INVALID_XML
	codeInsufficientSelectors     = 2150858842 // ERROR_WSMAN_INSUFFCIENT_SELECTORS
	codeUnexpectedSelectors       = 2150858843 // ERROR_WSMAN_UNEXPECTED_SELECTORS
	codeMinEnvelope               = 2150858878 // ERROR_WSMAN_MIN_ENVELOPE_SIZE
	codeInvalidTimeout            = 2150858881 // ERROR_WSMAN_INVALID_TIMEOUT_HEADER
	codeLocaleMustUnderstand      = 2150858887 // ERROR_WSMAN_MUSTUNDERSTAND_ON_LOCALE_UNSUPPORTED
	codeQuotaMaxShells            = 2150859173 // ERROR_WSMAN_QUOTA_MAX_SHELLS
	codeInvalidEnumerationContext = 2150858779 // ERROR_WSMAN_ENUMERATE_INVALID_ENUMERATION_CONTEXT
	codeAccessDenied              = 5          // ERROR_ACCESS_DENIED
)

// fault is a SOAP 1.2 fault carrying a WSManFault detail, answered with
// HTTP 500.
type fault struct {
	action  string // response action URI
	code    string // s:Sender or s:Receiver
	subcode string // e.g. w:TimedOut
	reason  string // s:Reason text
	detail  string // optional w:FaultDetail URI
	wsman   uint32 // f:WSManFault Code
	message string // f:Message
}

// Error implements error.
func (f *fault) Error() string {
	return fmt.Sprintf("wsman fault %s %d: %s", f.subcode, f.wsman, f.message)
}

// render writes the whole fault envelope.
func (f *fault) render(relatesTo, machine string) string {
	var b strings.Builder
	b.WriteString("<s:Fault><s:Code><s:Value>")
	b.WriteString(f.code)
	b.WriteString("</s:Value><s:Subcode><s:Value>")
	b.WriteString(f.subcode)
	b.WriteString(`</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en-US">`)
	b.WriteString(escape(f.reason))
	b.WriteString("</s:Text></s:Reason><s:Detail>")
	if f.detail != "" {
		b.WriteString("<w:FaultDetail>" + faultDetailPrefix + f.detail + "</w:FaultDetail>")
	}
	b.WriteString(`<f:WSManFault xmlns:f="` + nsFault + `" Code="`)
	b.WriteString(strconv.FormatUint(uint64(f.wsman), 10))
	b.WriteString(`" Machine="`)
	b.WriteString(escape(machine))
	b.WriteString(`"><f:Message>`)
	b.WriteString(escape(f.message))
	b.WriteString("</f:Message></f:WSManFault></s:Detail></s:Fault>")
	return envelope(f.action, relatesTo, b.String())
}

// wsmanFault builds a fault whose f:Message repeats its reason.
func wsmanFault(code, subcode string, wsman uint32, reason string) *fault {
	return &fault{action: actionFaultWSMan, code: code, subcode: subcode, reason: reason, wsman: wsman, message: reason}
}

// addressingFault builds a WS-Addressing fault.
func addressingFault(subcode string, wsman uint32, reason string) *fault {
	f := wsmanFault("s:Sender", subcode, wsman, reason)
	f.action = actionFaultAddressing
	return f
}

const reasonUnexpectedSelectors = "The WS-Management service cannot process the request because the request contained invalid selectors for the resource. "

func faultTimedOut() *fault {
	return wsmanFault("s:Receiver", "w:TimedOut", codeTimedOut,
		"The WS-Management service cannot complete the operation within the time specified in OperationTimeout.  ")
}

func faultShellNotFound(shellID string) *fault {
	f := wsmanFault("s:Sender", "w:InvalidSelectors", codeUnexpectedSelectors, reasonUnexpectedSelectors)
	f.detail = "UnexpectedSelectors"
	f.message = "The request for the Windows Remote Shell with ShellId " + shellID +
		" failed because the shell was not found on the server. Possible causes are: the specified ShellId is incorrect or the shell no longer exists on the server. Provide the correct ShellId or create a new shell and retry the operation. "
	return f
}

func faultCommandNotFound() *fault {
	f := wsmanFault("s:Sender", "w:InvalidSelectors", codeUnexpectedSelectors, reasonUnexpectedSelectors)
	f.detail = "UnexpectedSelectors"
	f.message = "The Windows Remote Shell received a request to perform an operation on a command identifier that does not exist. Either the command has completed execution or the client specified an invalid command identifier. "
	return f
}

func faultInsufficientSelectors() *fault {
	f := wsmanFault("s:Sender", "w:InvalidSelectors", codeInsufficientSelectors,
		"The WS-Management service cannot process the request because the request did not contain all required selectors. ")
	f.detail = "InsufficientSelectors"
	return f
}

func faultQuotaShells(limit int) *fault {
	f := wsmanFault("s:Sender", "w:QuotaLimit", codeQuotaMaxShells,
		"The WS-Management service cannot process the request. The maximum number of concurrent shells for this user has been exceeded. Close existing shells or raise the quota for this user. ")
	f.message = fmt.Sprintf("The WS-Management service cannot process the request. This user is allowed a maximum number of %d concurrent shells, which has been exceeded. Close existing shells or raise the quota for this user. ", limit)
	return f
}

func faultInvalidXML() *fault {
	return wsmanFault("s:Sender", "w:SchemaValidationError", codeInvalidXML,
		"The WS-Management service cannot process the request because the XML is invalid. ")
}

func faultSchema() *fault {
	return wsmanFault("s:Sender", "w:SchemaValidationError", codeSchemaValidation,
		"The SOAP XML in the message does not match the corresponding XML schema definition. Change the XML and retry. ")
}

func faultVersionMismatch() *fault {
	return wsmanFault("s:VersionMismatch", "w:SchemaValidationError", codeVersionMismatch,
		"The WS-Management service does not support the SOAP version specified in the request. ")
}

func faultInvalidHeader() *fault {
	return addressingFault("a:InvalidMessageInformationHeader", codeInvalidHeader,
		"The WS-Management service cannot process the request. The request contains one or more invalid SOAP headers. ")
}

func faultHeaderRequired() *fault {
	return addressingFault("a:MessageInformationHeaderRequired", codeHeaderRequired,
		"The WS-Management service cannot process the request. The request does not have all the expected SOAP headers. ")
}

func faultInvalidTimeout() *fault {
	return addressingFault("a:InvalidMessageInformationHeader", codeInvalidTimeout,
		"The WS-Management service cannot process the request because the timeout header in the request is invalid. ")
}

func faultActionNotSupported(action string) *fault {
	f := addressingFault("a:ActionNotSupported", codeActionNotSupported,
		"The WS-Management service does not support the specified action. ")
	f.message = "The WS-Management service cannot process the request. The WS-Addressing action URI " + action +
		" is not supported for the resource. "
	return f
}

func faultAddressingMode() *fault {
	f := wsmanFault("s:Sender", "w:UnsupportedFeature", codeUnsupportedFeature,
		"The WS-Management service does not support the specified feature. Remove the unsupported feature from the request and retry. ")
	f.detail = "AddressingMode"
	return f
}

func faultLocaleMustUnderstand() *fault {
	f := wsmanFault("s:Sender", "w:UnsupportedFeature", codeLocaleMustUnderstand,
		`The WS-Management service cannot guarantee that all data is returned in the requested locale as some data sources may not be able to comply. Resend the remote request with locale as a hint (the SOAP header should have mustUnderstand="false") `)
	f.detail = "Locale"
	return f
}

func faultMinEnvelope() *fault {
	f := wsmanFault("s:Sender", "w:EncodingLimit", codeMinEnvelope,
		"The WS-Management service cannot process the request because the envelope size in the request is too small. ")
	f.detail = "MinimumEnvelopeLimit"
	return f
}

func faultResourceNotFound() *fault {
	f := addressingFault("a:DestinationUnreachable", codeResourceNotFound,
		"The WS-Management service cannot process the request. The service cannot find the resource identified by the resource URI and selectors. ")
	f.detail = "InvalidResourceURI"
	return f
}

func faultInvalidParameter() *fault {
	return wsmanFault("s:Sender", "w:InvalidParameter", codeInvalidParameter,
		"The WS-Management service cannot process the request because a parameter for the operation is not valid. ")
}

func faultAccessDenied() *fault {
	return wsmanFault("s:Sender", "w:AccessDenied", codeAccessDenied, "Access is denied. ")
}

func faultInvalidEnumerationContext() *fault {
	f := wsmanFault("s:Receiver", "n:InvalidEnumerationContext", codeInvalidEnumerationContext,
		"The WS-Enumeration context in the enumeration is not valid. Enumeration may have been completed or canceled. You cannot use this enumeration context anymore. Start a new enumeration. ")
	return f
}
