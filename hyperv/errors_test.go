package hyperv

import (
	"errors"
	"strings"
	"testing"
)

func TestMigrationCause(t *testing.T) {
	tests := []struct {
		name     string
		text     string
		wantCode uint32
		want     error
	}{
		{"double hop credssp", "Failed to establish a connection with host 'HV02': No credentials are available in the security package (0x8009030E).", 0x8009030E, ErrDoubleHop},
		{"double hop kerberos", "Failed to authenticate the connection at the source host: no suitable credentials available. (0x8009030D)", 0x8009030D, ErrDoubleHop},
		{"out of memory", "Not enough memory in the system to start the virtual machine web01. (Virtual machine ID 3F1C...) (0x8007000E)", 0x8007000E, ErrDestinationOutOfMemory},
		{"timeout", "Failed to receive data for a Virtual Machine migration: This operation returned because the timeout period expired. (0x800705B4).", 0x800705B4, ErrMigrationTimeout},
		{"lower-case hex", "(0x800705b4)", 0x800705B4, ErrMigrationTimeout},
		{"refused", "Failed to establish a connection with host 'HV02': No connection could be made because the target machine actively refused it. (0x8007274D).", 0x8007274D, ErrConnectionRefused},
		{"incompatible", "The virtual machine 'web01' is using processor-specific features not supported on host 'HV02'. To allow for migration of this virtual machine to physical computers with different processors, modify the virtual machine settings to limit the processor features used by the virtual machine.", 0, ErrIncompatibleHardware},
		{"incompatible word", "The configuration is Incompatible with the destination.", 0, ErrIncompatibleHardware},
		{"disabled", "The Virtual Machine Management Service on host 'HV02' is not configured to accept live migrations. (0x80042001)", 0x80042001, ErrMigrationDisabled},
		{"not found", `Get-VM : Hyper-V was unable to find a virtual machine with ID "3f1c2a9e-8b7d-4c6e-9f10-2a3b4c5d6e7f".`, 0, ErrVMNotFound},
		{"known code wins over first", "step (0x80004005) then (0x8007000E)", 0x8007000E, ErrDestinationOutOfMemory},
		{"unknown code", "Something broke (0x80004005).", 0x80004005, ErrMigrationFailed},
		{"nothing", "", 0, ErrMigrationFailed},
		{"not a code", "(0x1234) (0xZZZZZZZZ) 0x8009030E", 0, ErrMigrationFailed},
		{"logon denied", "Failed to authenticate the connection at the destination host: The user name or password is incorrect. (0x8009030C)", 0x8009030C, ErrMigrationAuth},
		{"wrong principal", "The target principal name is incorrect. (0x80090322)", 0x80090322, ErrMigrationAuth},
		{"refused switch", refusal(textSwitch), 0, ErrSwitchMissing},
		{"refused processor features", refusal(textFeatures), 0, ErrIncompatibleHardware},
		{"refused processor vendor", refusal(textVendor), 0, ErrProcessorVendor},
		{"refused version", refusal(textVersion), 0, ErrConfigVersion},
		{"refused storage unreachable", refusal(textFile), 0x80070003, ErrStorageMissing},
		{"refused path missing", refusal(textPath), 0x80070003, ErrStorageMissing},
		{"refused full", refusal(textFull), 0x80070070, ErrStorageFull},
		{"first reason decides", refusal(textVersion, textFull), 0, ErrConfigVersion},
		{"only not compatible", refusal(), 0, ErrIncompatibleHardware},
		{"file not found", "The system cannot find the file specified. (0x80070002)", 0x80070002, ErrStorageMissing},
		{"cluster wrapper", "An error occurred while moving the virtual machine 'web01' to node 'HV02'.\n" + refusal(textSwitch), 0, ErrSwitchMissing},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, cause := migrationCause(tc.text)
			if code != tc.wantCode || cause != tc.want {
				t.Errorf("migrationCause = %#x, %v; want %#x, %v", code, cause, tc.wantCode, tc.want)
			}
		})
	}
}

// refusal is Move-VM refusing a destination that cannot take the VM, in
// Hyper-V's words: the failed-operation header, the not-compatible line,
// then each reason.
func refusal(reasons ...string) string {
	lines := []string{
		"Virtual machine migration operation for 'web01' failed at migration destination 'HV02'. (Virtual machine ID 3F1C2A9E-8B7D-4C6E-9F10-2A3B4C5D6E7F)",
		"The virtual machine 'web01' is not compatible with physical computer 'HV02'. (Virtual machine ID 3F1C2A9E-8B7D-4C6E-9F10-2A3B4C5D6E7F)",
	}
	return strings.Join(append(lines, reasons...), "\n")
}

func TestMigrationErrorMatching(t *testing.T) {
	ps := &PowerShellError{Script: ScriptMoveVM, ExitCode: 1, Message: "Move-VM : boom (0x8009030E)", Category: "NotSpecified", ErrorID: "OperationFailed"}
	var err error = &MigrationError{VMID: "id", Source: "hv01", Destination: "HV02", HResult: 0x8009030E, Message: ps.Message, Err: ErrDoubleHop, PowerShell: ps}
	err = errors.Join(err) // still found through wrapping
	if !errors.Is(err, ErrDoubleHop) {
		t.Error("not ErrDoubleHop")
	}
	if errors.Is(err, ErrMigrationFailed) {
		t.Error("matches ErrMigrationFailed too")
	}
	var me *MigrationError
	if !errors.As(err, &me) || me.HResult != 0x8009030E {
		t.Errorf("errors.As *MigrationError: %v", me)
	}
	var pe *PowerShellError
	if !errors.As(err, &pe) || pe.ErrorID != "OperationFailed" {
		t.Errorf("errors.As *PowerShellError: %v", pe)
	}
	const want = "move vm id to HV02 on hv01: Move-VM : boom (0x8009030E)"
	if me.Error() != want {
		t.Errorf("Error() = %q, want %q", me.Error(), want)
	}
	if got := ps.Error(); got != "script move-vm exited with code 1: Move-VM : boom (0x8009030E) (NotSpecified, OperationFailed)" {
		t.Errorf("PowerShellError.Error() = %q", got)
	}
	if got := (&PowerShellError{Script: "x", ExitCode: 2}).Error(); got != "script x exited with code 2" {
		t.Errorf("bare PowerShellError.Error() = %q", got)
	}
}

func TestRedactAndTruncate(t *testing.T) {
	if got := redact("pw=s3cret! again s3cret!", "s3cret!"); strings.Contains(got, "s3cret!") {
		t.Errorf("redact left the secret: %q", got)
	}
	if got := redact("no secret", ""); got != "no secret" {
		t.Errorf("redact with empty secret = %q", got)
	}
	s := strings.Repeat("é", 100)
	got := truncate(s, 51)
	if len(got) > 51 || !strings.HasSuffix(got, " …") || !strings.HasPrefix(s, strings.TrimSuffix(got, " …")) {
		t.Errorf("truncate = %q", got)
	}
}
