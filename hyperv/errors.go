package hyperv

import (
	"errors"
	"fmt"
	"strings"
)

// Transport and protocol failures, matched with errors.Is.
var (
	// ErrUnauthorized: the host refused the credentials (HTTP 401).
	ErrUnauthorized = errors.New("unauthorized")
	// ErrUnreachable: no connection could be made (refused, timed out, no route, unknown name).
	ErrUnreachable = errors.New("host unreachable")
	// ErrTimeout: the call's own deadline passed; such errors also match
	// context.DeadlineExceeded.
	ErrTimeout = errors.New("timeout")
	// ErrOutcomeUnknown: a move was sent but its result never arrived (the
	// connection broke or the deadline passed). The migration may still be
	// running on the host: reconcile with Locate before doing anything else.
	ErrOutcomeUnknown = errors.New("migration outcome unknown")
	// ErrUnexpectedOutput: a script printed something that could not be decoded.
	ErrUnexpectedOutput = errors.New("unexpected output")
	// ErrInvalidArgument: a call's argument was rejected before anything was sent.
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrUnencryptedRefused: the host answered an unencrypted NTLM or
	// Kerberos message with HTTP 500 and no body, as a WinRM service with
	// AllowUnencrypted=false does.
	ErrUnencryptedRefused = errors.New("the host refuses unencrypted messages: enable message encryption (default) or use HTTPS")
	// ErrAuthNotOffered: the host does not offer the configured
	// authentication method (Basic to a host as Windows ships it). No
	// password was checked, so it is not a failed logon.
	ErrAuthNotOffered = errors.New("authentication not offered")
	// ErrCertificate: the host's TLS certificate was not accepted (unknown
	// authority, a name that does not match, expired).
	ErrCertificate = errors.New("certificate not accepted")
	// ErrClockSkew: the Kerberos KDC or the host refused because the clocks
	// differ by more than the allowed skew (KRB_AP_ERR_SKEW).
	ErrClockSkew = errors.New("kerberos clock skew too great")
	// ErrUnknownPrincipal: the KDC does not know the user or the host's
	// service principal (KDC_ERR_C_PRINCIPAL_UNKNOWN, KDC_ERR_S_PRINCIPAL_UNKNOWN:
	// a missing WSMAN/host or HTTP/host SPN).
	ErrUnknownPrincipal = errors.New("kerberos principal unknown")
	// ErrKDCUnreachable: no KDC of the realm answered.
	ErrKDCUnreachable = errors.New("no kerberos KDC reachable")
	// ErrShellQuota: the host refused a new remote shell because the
	// account already has as many open as WinRS allows it
	// (MaxShellsPerUser, 30 by default; WSManFault 2150859173). The host
	// is reachable and the credentials work; shells left open by clients
	// that stopped without closing them stay until their idle timeout.
	ErrShellQuota = errors.New("winrm shell quota exceeded")
)

// Migration failure causes; a *MigrationError unwraps to exactly one of them.
var (
	// ErrDoubleHop: the source host had no credentials to reach the
	// destination (CredSSP without a CredSSP session, or Kerberos constrained
	// delegation not configured): 0x8009030E, 0x8009030D.
	ErrDoubleHop = errors.New("no credentials to reach the destination (double hop)")
	// ErrDestinationOutOfMemory: the destination lacks memory for the VM (0x8007000E).
	ErrDestinationOutOfMemory = errors.New("not enough memory on the destination")
	// ErrMigrationTimeout: Hyper-V timed the migration out (0x800705B4).
	ErrMigrationTimeout = errors.New("migration timed out")
	// ErrConnectionRefused: the destination refused the migration connection (0x8007274D).
	ErrConnectionRefused = errors.New("destination refused the migration connection")
	// ErrIncompatibleHardware: the VM uses processor features the
	// destination lacks. Turning on the VM's processor compatibility
	// (Set-VMProcessor -CompatibilityForMigrationEnabled) lets it move.
	ErrIncompatibleHardware = errors.New("incompatible hardware on the destination")
	// ErrProcessorVendor: the destination's processors come from another
	// manufacturer; no setting lets a running VM move there. It matches
	// ErrIncompatibleHardware too.
	ErrProcessorVendor = fmt.Errorf("processor manufacturer differs: %w", ErrIncompatibleHardware)
	// ErrSwitchMissing: a network adapter of the VM is connected to a
	// virtual switch the destination has no switch of that name for.
	ErrSwitchMissing = errors.New("virtual switch missing on the destination")
	// ErrConfigVersion: the destination does not run the VM's
	// configuration version (an older Windows Server).
	ErrConfigVersion = errors.New("configuration version not supported on the destination")
	// ErrStorageMissing: a file of the VM, or the folder its storage
	// would move into, cannot be found from the destination: storage the
	// destination does not reach, or a path that does not exist there
	// (0x80070002, 0x80070003).
	ErrStorageMissing = errors.New("storage not reachable from the destination")
	// ErrStorageFull: the destination volume has no room for the VM's
	// files (0x80070070).
	ErrStorageFull = errors.New("not enough space for the storage on the destination")
	// ErrMigrationAuth: the hosts could not authenticate the migration
	// connection for another reason than missing delegation: a logon
	// refused (0x8009030C), no authority reachable (0x80090311), a wrong or
	// missing service principal (0x80090322).
	ErrMigrationAuth = errors.New("migration connection not authenticated")
	// ErrIncompatible: Compare-VM reported a reason the destination cannot
	// take the VM that none of the causes above names.
	ErrIncompatible = errors.New("destination cannot take the vm")
	// ErrMigrationDisabled: the destination does not accept live migrations.
	ErrMigrationDisabled = errors.New("destination does not accept live migrations")
	// ErrVMNotFound: the VM is not on the source host.
	ErrVMNotFound = errors.New("vm not found")
	// ErrMigrationFailed: any other migration failure.
	ErrMigrationFailed = errors.New("migration failed")
)

// PowerShellError is a script that ended with an error: a non-zero exit
// code, usually with an error record on stderr.
type PowerShellError struct {
	Script   string // script name, e.g. "get-vms"
	ExitCode int
	Message  string // the error's message, without the position lines
	Category string // CategoryInfo's category, e.g. "ObjectNotFound"
	ErrorID  string // FullyQualifiedErrorId
}

// Error implements error.
func (e *PowerShellError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "script %s exited with code %d", e.Script, e.ExitCode)
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.ErrorID != "" || e.Category != "" {
		b.WriteString(" (")
		b.WriteString(e.Category)
		if e.ErrorID != "" {
			if e.Category != "" {
				b.WriteString(", ")
			}
			b.WriteString(e.ErrorID)
		}
		b.WriteString(")")
	}
	return b.String()
}

// MigrationError is a live migration that Hyper-V reported as failed. The
// VM is still on the source host.
type MigrationError struct {
	VMID        string
	Source      string // the host that was asked to move the VM
	Destination string
	HResult     uint32 // 0 when the error text carried none
	Message     string
	Err         error            // the cause: ErrDoubleHop, ErrVMNotFound, ... or ErrMigrationFailed
	PowerShell  *PowerShellError // the script's error, when there was one

	addr string // the source's host:port, for Error
}

// Error implements error.
func (e *MigrationError) Error() string {
	msg := e.Message
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	}
	on := e.addr
	if on == "" {
		on = e.Source
	}
	return fmt.Sprintf("move vm %s to %s on %s: %s", e.VMID, e.Destination, on, msg)
}

// Unwrap returns the cause sentinel and the PowerShell error.
func (e *MigrationError) Unwrap() []error {
	errs := make([]error, 0, 2)
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	if e.PowerShell != nil {
		errs = append(errs, e.PowerShell)
	}
	return errs
}

// redactedError carries a message that was checked for secrets, and keeps
// the original error's identity for errors.Is and errors.As.
type redactedError struct {
	msg   string
	kinds []error // sentinels this error matches
	cause error
}

func (e *redactedError) Error() string { return e.msg }

func (e *redactedError) Unwrap() []error {
	errs := append([]error(nil), e.kinds...)
	if e.cause != nil {
		errs = append(errs, e.cause)
	}
	return errs
}

// redact removes secret from s, and bounds its length.
func redact(s, secret string) string {
	if secret != "" {
		s = strings.ReplaceAll(s, secret, "<redacted>")
	}
	return truncate(s, maxErrorText)
}

// maxErrorText bounds text from outside that goes into an error message.
const maxErrorText = 2048

// truncate cuts s to at most n bytes on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len(" …")
	for cut > 0 && !utf8RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + " …"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
