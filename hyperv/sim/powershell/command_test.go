package powershell

import (
	"encoding/base64"
	"errors"
	"testing"
	"unicode/utf16"

	"github.com/hvbalancer/hvbalancer/hyperv"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/powershell/lang"
)

func encodeUTF16(s string) string {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, r := range u {
		b[2*i], b[2*i+1] = byte(r), byte(r>>8)
	}
	return base64.StdEncoding.EncodeToString(b)
}

func TestParseCommandLine(t *testing.T) {
	enc := encodeUTF16("Get-VM")
	tests := []struct {
		name    string
		line    string
		want    string
		wantExe string
		wantErr error
	}{
		{name: "powershell.exe -EncodedCommand", line: "powershell.exe -EncodedCommand " + enc, want: "Get-VM"},
		{name: "lower case and -encodedcommand", line: "powershell -encodedcommand " + enc, want: "Get-VM"},
		{name: "-enc", line: "POWERSHELL -enc " + enc, want: "Get-VM"},
		{name: "-e", line: "powershell -e " + enc, want: "Get-VM"},
		{name: "-ec", line: "powershell -ec " + enc, want: "Get-VM"},
		{name: "switches first", line: "powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand " + enc, want: "Get-VM"},
		{name: "full path", line: `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe -enc ` + enc, want: "Get-VM"},
		{name: "-Command", line: "powershell -Command Get-VM | ConvertTo-Json", want: "Get-VM | ConvertTo-Json"},
		{name: "bare text", line: "powershell Get-VM", want: "Get-VM"},
		{name: "not powershell", line: "ipconfig /all", wantExe: "ipconfig", wantErr: errNotPowerShell},
		{name: "bad base64", line: "powershell -enc !!!", wantErr: errBadEncoding},
		{name: "odd byte count", line: "powershell -enc " + base64.StdEncoding.EncodeToString([]byte("abc")), wantErr: errBadEncoding},
		{name: "missing value", line: "powershell -EncodedCommand", wantErr: errBadEncoding},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv, exe, err := parseCommandLine(tc.line)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if inv.Text != tc.want || exe != tc.wantExe {
				t.Errorf("got (%q, %q), want (%q, %q)", inv.Text, exe, tc.want, tc.wantExe)
			}
		})
	}
}

func FuzzParseCommandLine(f *testing.F) {
	line, _ := hyperv.EncodeCommand(hyperv.ScriptGetVMs, nil)
	f.Add(line)
	f.Add("powershell -enc " + encodeUTF16("$a = 1"))
	f.Add("cmd /c dir")
	f.Fuzz(func(t *testing.T, line string) {
		inv, _, err := parseCommandLine(line)
		if err != nil {
			return
		}
		_, _ = lang.Parse(inv.Text)
	})
}
