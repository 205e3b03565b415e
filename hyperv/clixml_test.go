package hyperv

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Stderr of a failed Move-VM as powershell.exe 5.1 writes it.
const clixmlDoubleHop = "#< CLIXML\r\n" + `<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04"><Obj S="progress" RefId="0"><TN RefId="0"><T>System.Management.Automation.PSCustomObject</T><T>System.Object</T></TN><MS><I64 N="SourceId">1</I64><PR N="Record"><AV>Preparing modules for first use.</AV><AI>0</AI><Nil /><PI>-1</PI><PC>-1</PC><T>Completed</T><SR>-1</SR><SD> </SD></PR></MS></Obj><S S="Error">Move-VM : Virtual machine migration operation for 'web01' failed at migration source 'HV01'. (Virtual machine ID _x000D__x000A_</S><S S="Error">3F1C2A9E-8B7D-4C6E-9F10-2A3B4C5D6E7F)_x000D__x000A_</S><S S="Error">Failed to establish a connection with host 'HV02': No credentials are available in the security package (0x8009030E)._x000D__x000A_</S><S S="Error">At line:5 char:1_x000D__x000A_</S><S S="Error">+ Move-VM @m | Select-Object ..._x000D__x000A_</S><S S="Error">+ ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~_x000D__x000A_</S><S S="Error">    + CategoryInfo          : NotSpecified: (:) [Move-VM], VirtualizationException_x000D__x000A_</S><S S="Error">    + FullyQualifiedErrorId : OperationFailed,Microsoft.HyperV.PowerShell.Commands.MoveVM_x000D__x000A_</S><S S="Error"> _x000D__x000A_</S></Objs>`

const clixmlNotRecognized = "#< CLIXML\r\n" + `<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04"><S S="Error">Get-Frob : The term 'Get-Frob' is not recognized as the name of a cmdlet, function, script file, or operable program. Check the _x000D__x000A_</S><S S="Error">spelling of the name, or if a path was included, verify that the path is correct and try again._x000D__x000A_</S><S S="Error">At line:3 char:1_x000D__x000A_</S><S S="Error">+ Get-Frob_x000D__x000A_</S><S S="Error">+ ~~~~~~~~_x000D__x000A_</S><S S="Error">    + CategoryInfo          : ObjectNotFound: (Get-Frob:String) [], CommandNotFoundException_x000D__x000A_</S><S S="Error">    + FullyQualifiedErrorId : CommandNotFoundException_x000D__x000A_</S><S S="Error"> _x000D__x000A_</S></Objs>`

func TestStderrText(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"plain text", "  oops\r\n", "oops"},
		{"empty", "", ""},
		{"entities and escapes", "#< CLIXML\r\n<Objs><S S=\"Error\">a &lt;b&gt; &amp; &quot;c&quot; &#39;d&#39;_x000D__x000A_e_x0009_f</S></Objs>", "a <b> & \"c\" 'd'\r\ne\tf"},
		{"escaped underscore", "#< CLIXML\r\n<Objs><S S=\"Error\">_x005F_x000D_ and snake_case_x</S></Objs>", "_x000D_ and snake_case_x"},
		{"surrogate pair", "#< CLIXML\r\n<Objs><S S=\"Error\">smile _xD83D__xDE00_!</S></Objs>", "smile 😀!"},
		{"lone surrogates", "#< CLIXML\r\n<Objs><S S=\"Error\">_xD83D_x _xDE00_</S></Objs>", "\uFFFDx \uFFFD"},
		{"progress only", "#< CLIXML\r\n<Objs Version=\"1.1.0.1\"><Obj S=\"progress\" RefId=\"0\"><MS><S N=\"x\">hidden</S></MS></Obj></Objs>", ""},
		{"other streams skipped", "#< CLIXML\r\n<Objs><S S=\"warning\">warn</S><S S=\"Error\">err</S><S S=\"verbose\">v</S></Objs>", "err"},
		{"truncated document", "#< CLIXML\r\n<Objs><S S=\"Error\">first_x000D__x000A_</S><S S=\"Error\">sec", "first\r\nsec"},
		{"garbage after header", "#< CLIXML\r\nnot xml at all", ""},
		{"invalid utf-8 text", "bad \xff byte", "bad \uFFFD byte"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := stderrText([]byte(tc.in)); got != tc.want {
				t.Errorf("stderrText = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestParseErrorText(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want errorRecord
	}{
		{"double hop", clixmlDoubleHop, errorRecord{
			Message:  "Move-VM : Virtual machine migration operation for 'web01' failed at migration source 'HV01'. (Virtual machine ID 3F1C2A9E-8B7D-4C6E-9F10-2A3B4C5D6E7F) Failed to establish a connection with host 'HV02': No credentials are available in the security package (0x8009030E).",
			Category: "NotSpecified",
			ErrorID:  "OperationFailed,Microsoft.HyperV.PowerShell.Commands.MoveVM",
		}},
		{"not recognized", clixmlNotRecognized, errorRecord{
			Message:  "Get-Frob : The term 'Get-Frob' is not recognized as the name of a cmdlet, function, script file, or operable program. Check the spelling of the name, or if a path was included, verify that the path is correct and try again.",
			Category: "ObjectNotFound",
			ErrorID:  "CommandNotFoundException",
		}},
		{"no position", "Move-VM : The operation failed.\r\n    + CategoryInfo          : InvalidArgument\r\n    + FullyQualifiedErrorId : InvalidParameter,Microsoft.HyperV.PowerShell.Commands.MoveVM\r\n",
			errorRecord{Message: "Move-VM : The operation failed.", Category: "InvalidArgument", ErrorID: "InvalidParameter,Microsoft.HyperV.PowerShell.Commands.MoveVM"}},
		{"script file position", "Oops\r\nAt C:\\x\\y.ps1:3 char:5\r\n+ foo\r\n", errorRecord{Message: "Oops"}},
		{"two records keep the first", "first\r\nAt line:1 char:1\r\n+ CategoryInfo : A: x\r\n+ FullyQualifiedErrorId : One\r\nsecond\r\nAt line:2 char:1\r\n+ CategoryInfo : B: y\r\n+ FullyQualifiedErrorId : Two\r\n",
			errorRecord{Message: "first", Category: "A", ErrorID: "One"}},
		{"plain", "just text", errorRecord{Message: "just text"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := parseErrorText(stderrText([]byte(tc.in)))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("record (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStderrBounded(t *testing.T) {
	big := strings.Repeat("x", 10*maxStderr)
	if got := stderrText([]byte(big)); len(got) > maxStderr {
		t.Errorf("stderr text is %d bytes, want at most %d", len(got), maxStderr)
	}
	if got := parseErrorText(big); len(got.Message) > maxMessage {
		t.Errorf("message is %d bytes, want at most %d", len(got.Message), maxMessage)
	}
}
