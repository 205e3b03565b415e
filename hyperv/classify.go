package hyperv

import (
	"regexp"
	"strconv"
	"strings"
)

// Classifying why Hyper-V refused or failed a migration. Move-VM's error
// text and each entry of Compare-VM's report are read the same way: by the
// HRESULT the text carries ("(0x8009030E)"), else by Compare-VM's
// MessageId, else by the words Windows uses. Move-VM puts one line per
// reason after its "migration operation failed" header, in Compare-VM's
// order, so the first line that names a cause decides.

var hresultRE = regexp.MustCompile(`\(0x([0-9A-Fa-f]{8})\)`)

// hresultCauses maps the HRESULTs Hyper-V reports for failed migrations
// (winerror.h).
var hresultCauses = map[uint32]error{
	0x8009030E: ErrDoubleHop,              // SEC_E_NO_CREDENTIALS
	0x8009030D: ErrDoubleHop,              // SEC_E_UNKNOWN_CREDENTIALS
	0x8009030C: ErrMigrationAuth,          // SEC_E_LOGON_DENIED
	0x80090311: ErrMigrationAuth,          // SEC_E_NO_AUTHENTICATING_AUTHORITY
	0x80090322: ErrMigrationAuth,          // SEC_E_WRONG_PRINCIPAL
	0x8007000E: ErrDestinationOutOfMemory, // E_OUTOFMEMORY
	0x800705B4: ErrMigrationTimeout,       // ERROR_TIMEOUT
	0x8007274D: ErrConnectionRefused,      // WSAECONNREFUSED
	0x80042001: ErrMigrationDisabled,      // VM migration not enabled
	0x80070002: ErrStorageMissing,         // ERROR_FILE_NOT_FOUND
	0x80070003: ErrStorageMissing,         // ERROR_PATH_NOT_FOUND
	0x80070070: ErrStorageFull,            // ERROR_DISK_FULL
}

// Compare-VM MessageIds (VMCompatibilityError.MessageId). 33012 is
// Compare-VM's documented example ("Could not find Ethernet switch");
// the others are those of the simulated fleet, which words the same
// refusals (see the texts below); the words decide when an id is unknown.
const (
	messageSwitchMissing     int64 = 33012
	messageProcessorFeatures int64 = 24004
	messageProcessorVendor   int64 = 24005
	messageConfigVersion     int64 = 14420
	messageFileNotFound      int64 = 40010
	messageDiskFull          int64 = 40012
)

var messageCauses = map[int64]error{
	messageSwitchMissing:     ErrSwitchMissing,
	messageProcessorFeatures: ErrIncompatibleHardware,
	messageProcessorVendor:   ErrProcessorVendor,
	messageConfigVersion:     ErrConfigVersion,
	messageFileNotFound:      ErrStorageMissing,
	messageDiskFull:          ErrStorageFull,
}

// textCauses are Windows' words for each cause, lower case, checked in
// order ("Troubleshoot live migration issues" and Compare-VM's reference
// quote the processor and switch texts).
var textCauses = []struct {
	words string
	cause error
}{
	{"could not find ethernet switch", ErrSwitchMissing},
	{"processor-specific features", ErrIncompatibleHardware},
	{"hardware on the destination computer is not compatible", ErrProcessorVendor},
	{"configuration version", ErrConfigVersion},
	{"not enough space on the disk", ErrStorageFull},
	{"cannot find the path specified", ErrStorageMissing},
	{"cannot find the file specified", ErrStorageMissing},
	{"not configured to accept live migrations", ErrMigrationDisabled},
	{"unable to find a virtual machine with id", ErrVMNotFound},
	{"incompatible", ErrIncompatibleHardware},
}

// hresults returns every "(0x........)" code in text, in order.
func hresults(text string) []uint32 {
	var codes []uint32
	for _, m := range hresultRE.FindAllStringSubmatch(text, -1) {
		v, err := strconv.ParseUint(m[1], 16, 32)
		if err == nil {
			codes = append(codes, uint32(v))
		}
	}
	return codes
}

// lineCause classifies one line of an error text: by its first HRESULT
// with a known cause, else by its words; nil when neither says.
func lineCause(line string) (uint32, error) {
	for _, c := range hresults(line) {
		if cause, ok := hresultCauses[c]; ok {
			return c, cause
		}
	}
	lower := strings.ToLower(line)
	for _, tc := range textCauses {
		if strings.Contains(lower, tc.words) {
			return 0, tc.cause
		}
	}
	return 0, nil
}

// migrationCause classifies a migration error text: it returns the cause
// sentinel of the first line that names one, with that line's HRESULT (0
// when its words decided), or else ErrMigrationFailed with the text's
// first HRESULT (0 when none). A text that says only that the VM is not compatible
// with the destination is ErrIncompatibleHardware.
func migrationCause(text string) (uint32, error) {
	var first uint32
	if codes := hresults(text); len(codes) > 0 {
		first = codes[0]
	}
	for line := range strings.SplitSeq(text, "\n") {
		if code, cause := lineCause(line); cause != nil {
			return code, cause
		}
	}
	if strings.Contains(strings.ToLower(text), "is not compatible with physical computer") {
		return first, ErrIncompatibleHardware
	}
	return first, ErrMigrationFailed
}

// incompatibilityCause classifies one entry of Compare-VM's report.
func incompatibilityCause(messageID int64, message string) error {
	if _, cause := lineCause(message); cause != nil && hasHResult(message) {
		return cause
	}
	if cause, ok := messageCauses[messageID]; ok {
		return cause
	}
	if _, cause := lineCause(message); cause != nil {
		return cause
	}
	return ErrIncompatible
}

func hasHResult(s string) bool {
	for _, c := range hresults(s) {
		if _, ok := hresultCauses[c]; ok {
			return true
		}
	}
	return false
}
