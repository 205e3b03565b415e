package hyperv

import (
	"errors"
	"testing"
)

const compareID = "3f1c2a9e-8b7d-4c6e-9f10-2a3b4c5d6e7f"

// The texts Hyper-V (and the simulated fleet, which copies them) puts in
// Compare-VM's report and Move-VM's refusal.
const (
	textSwitch   = "Could not find Ethernet switch 'Storage'."
	textFeatures = "The virtual machine 'web01' is using processor-specific features not supported on physical computer 'HV02'. To allow for migration of this virtual machine to physical computers with different processors, modify the virtual machine settings to limit the processor features used by the virtual machine."
	textVendor   = "The virtual machine cannot be moved to the destination computer. The hardware on the destination computer is not compatible with the hardware requirements of this virtual machine."
	textVersion  = "The virtual machine 'web01' has configuration version 10.0, which physical computer 'HV02' does not support. It supports configuration versions 8.0, 9.0."
	textFile     = "The file '\\\\fs01\\vms\\web01.vhdx' could not be found on physical computer 'HV02': The system cannot find the path specified. (0x80070003)"
	textPath     = "The path 'E:\\VMs' does not exist on physical computer 'HV02': The system cannot find the path specified. (0x80070003)"
	textFull     = "Not enough space on 'E:\\' of physical computer 'HV02' for the virtual machine's files: 2000 bytes needed, 10 bytes free. There is not enough space on the disk. (0x80070070)"
)

func TestIncompatibilityCause(t *testing.T) {
	tests := []struct {
		name string
		id   int64
		msg  string
		want error
	}{
		{"switch", messageSwitchMissing, textSwitch, ErrSwitchMissing},
		{"processor features", messageProcessorFeatures, textFeatures, ErrIncompatibleHardware},
		{"processor vendor", messageProcessorVendor, textVendor, ErrProcessorVendor},
		{"config version", messageConfigVersion, textVersion, ErrConfigVersion},
		{"file unreachable", messageFileNotFound, textFile, ErrStorageMissing},
		{"path missing", messageFileNotFound, textPath, ErrStorageMissing},
		{"disk full", messageDiskFull, textFull, ErrStorageFull},
		{"unknown id, words decide", 99999, textSwitch, ErrSwitchMissing},
		{"unknown id, vendor words", 1, textVendor, ErrProcessorVendor},
		{"hresult beats id", messageFileNotFound, "There is not enough space on the disk. (0x80070070)", ErrStorageFull},
		{"nothing known", 12345, "Something Windows has not said before.", ErrIncompatible},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := incompatibilityCause(tc.id, tc.msg); got != tc.want {
				t.Errorf("cause = %v, want %v", got, tc.want)
			}
		})
	}
	if !errors.Is(ErrProcessorVendor, ErrIncompatibleHardware) {
		t.Error("a vendor mismatch is not incompatible hardware")
	}
}

func TestParseCompare(t *testing.T) {
	tests := []struct {
		name string
		out  string
		want []error
	}{
		{"none", `{"Id":"` + compareID + `","DestinationHost":"HV02","Incompatibilities":[]}`, nil},
		{"none as null", `{"Id":"` + compareID + `","DestinationHost":"HV02","Incompatibilities":null}`, nil},
		{"one, bare object", `{"Id":"` + compareID + `","Incompatibilities":{"MessageId":33012,"Message":"Could not find Ethernet switch 'LAN'.","Source":"Microsoft.HyperV.PowerShell.VMNetworkAdapter"}}`,
			[]error{ErrSwitchMissing}},
		{"many, upper-case id, null source", `{"Id":"3F1C2A9E-8B7D-4C6E-9F10-2A3B4C5D6E7F","Incompatibilities":[` +
			`{"MessageId":24005,"Message":"x","Source":"Microsoft.HyperV.PowerShell.VMProcessor"},` +
			`{"MessageId":14420,"Message":"y","Source":null},{"MessageId":40012,"Message":"z (0x80070070)","Source":"Microsoft.HyperV.PowerShell.VirtualMachine"}]}`,
			[]error{ErrProcessorVendor, ErrConfigVersion, ErrStorageFull}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseCompare(compareID, []byte(tc.out+"\r\n"))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d incompatibilities, want %d: %+v", len(got), len(tc.want), got)
			}
			for i, in := range got {
				if !errors.Is(in, tc.want[i]) {
					t.Errorf("item %d: %v is not %v", i, in, tc.want[i])
				}
			}
		})
	}
}

func TestParseCompareErrors(t *testing.T) {
	tests := []struct{ name, out string }{
		{"no output", ""},
		{"another vm", `{"Id":"0a1b2c3d-0000-4000-8000-000000000001","Incompatibilities":[]}`},
		{"no id", `{"Incompatibilities":[]}`},
		{"the raw report", `[{"MessageId":33012,"Message":"Could not find Ethernet switch 'LAN'."}]`},
		{"message id as text", `{"Id":"` + compareID + `","Incompatibilities":[{"MessageId":"33012","Message":"x"}]}`},
		{"empty item", `{"Id":"` + compareID + `","Incompatibilities":[{}]}`},
		{"two reports", `[{"Id":"` + compareID + `"},{"Id":"` + compareID + `"}]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := parseCompare(compareID, []byte(tc.out)); !errors.Is(err, ErrUnexpectedOutput) {
				t.Errorf("got %v, want ErrUnexpectedOutput", err)
			}
		})
	}
}

func TestParseLocate(t *testing.T) {
	loc, ok, err := parseLocate(compareID, []byte(`{"Id":"`+compareID+`","Name":"web01","State":2,"Status":"Operating normally","ComputerName":"HV01","IsClustered":false}`))
	if err != nil || !ok || loc.Host != "HV01" {
		t.Errorf("found = %+v, %t, %v", loc, ok, err)
	}
	if _, ok, err := parseLocate(compareID, []byte(`{"Id":"`+compareID+`","Absent":true}`+"\r\n")); err != nil || ok {
		t.Errorf("absent = %t, %v", ok, err)
	}
	for name, out := range map[string]string{
		"no output":    "",
		"another vm":   `{"Id":"0a1b2c3d-0000-4000-8000-000000000001","Absent":true}`,
		"no id":        `{"Absent":true}`,
		"two vms":      `[{"Id":"` + compareID + `"},{"Id":"` + compareID + `"}]`,
		"absent twice": `[{"Id":"` + compareID + `","Absent":true},{"Id":"` + compareID + `","Absent":true}]`,
	} {
		if _, ok, err := parseLocate(compareID, []byte(out)); !errors.Is(err, ErrUnexpectedOutput) || ok {
			t.Errorf("%s: %t, %v; want ErrUnexpectedOutput", name, ok, err)
		}
	}
}
