package powershell

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/google/go-cmp/cmp"

	"github.com/hvbalancer/hvbalancer/hyperv"
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

func TestSplitScriptRecognizesEveryEncodedScript(t *testing.T) {
	for name, body := range hyperv.Scripts() {
		t.Run(name, func(t *testing.T) {
			line, err := hyperv.EncodeCommand(name, map[string]any{"Id": "x'; Stop-Computer -Force; '"})
			if err != nil {
				t.Fatal(err)
			}
			inv, _, err := parseCommandLine(line)
			if err != nil {
				t.Fatal(err)
			}
			s := splitScript(inv.Text)
			if !s.HasParams {
				t.Fatal("parameter line not found")
			}
			if diff := cmp.Diff(strings.TrimRight(body, "\n"), s.Body); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
			p, perr := decodeParams(s)
			if perr != nil {
				t.Fatal(perr.Message)
			}
			if got, _ := p.str("Id"); got != "x'; Stop-Computer -Force; '" {
				t.Errorf("Id = %q", got)
			}
		})
	}
}

func TestSplitScriptVariants(t *testing.T) {
	body := "# hvbalancer get-vms\nGet-VM"
	tests := []struct {
		name string
		text string
	}{
		{"no prologue", body},
		{"progress prefix on its own line", "$ProgressPreference = 'SilentlyContinue';\n" + body},
		{"progress prefix glued, as winrm.Powershell does", "$ProgressPreference = 'SilentlyContinue';" + body},
		{"CRLF and BOM", "\ufeff$progresspreference='SilentlyContinue'\r\n" + strings.ReplaceAll(body, "\n", "\r\n") + "\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := splitScript(tc.text).Body; got != body {
				t.Errorf("body = %q, want %q", got, body)
			}
		})
	}
}

func TestLineOf(t *testing.T) {
	s := splitScript("$ProgressPreference = 'SilentlyContinue';\n$a = 1\n# x\n$m = @{}\n  Move-VM @m | Out-Null")
	line, char, src := s.lineOf("Move-VM")
	if line != 5 || char != 3 || src != "  Move-VM @m | Out-Null" {
		t.Errorf("lineOf = %d, %d, %q", line, char, src)
	}
}

func TestFirstWord(t *testing.T) {
	for in, want := range map[string]string{
		"# c\n\nStop-Computer -Force": "Stop-Computer",
		"Get-Date;Get-VM":             "Get-Date",
		"(Get-Counter).x":             "Get-Counter",
		"   ":                         "",
	} {
		if got := firstWord(in); got != want {
			t.Errorf("firstWord(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseGUID(t *testing.T) {
	const want = "3f1c2b7a-0d4e-4c55-9a6b-1e2f3a4b5c6d"
	for _, in := range []string{want, strings.ToUpper(want), "{" + want + "}", strings.ReplaceAll(want, "-", "")} {
		if got, ok := parseGUID(in); !ok || got != want {
			t.Errorf("parseGUID(%q) = %q, %v", in, got, ok)
		}
	}
	for _, in := range []string{"", "x'; Stop-Computer", want + "0", "3f1c2b7a0-d4e-4c55-9a6b-1e2f3a4b5c6d", "zz1c2b7a-0d4e-4c55-9a6b-1e2f3a4b5c6d"} {
		if _, ok := parseGUID(in); ok {
			t.Errorf("parseGUID(%q) accepted", in)
		}
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
		s := splitScript(inv.Text)
		_, _ = decodeParams(s)
		_ = firstWord(s.Body)
	})
}
