package hyperv

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestOrphaned(t *testing.T) {
	self := processIdentity{machine: "node1", pid: 41, token: "aaaa0001"}
	running := map[int]bool{41: true, 77: true}
	alive := func(pid int) bool { return running[pid] }
	tests := []struct {
		name, shell, owner string
		want               bool
	}{
		{"our own live shell", "hvbalancer:node1:41:aaaa0001", `LAB\svc`, false},
		{"same pid, other token: an earlier process (a restarted container)", "hvbalancer:node1:41:bbbb0002", `LAB\svc`, true},
		{"a process of this machine that is gone", "hvbalancer:node1:99:cccc0003", "svc@LAB.EXAMPLE", true},
		{"a process of this machine still running", "hvbalancer:node1:77:dddd0004", "svc", false},
		{"another machine's", "hvbalancer:node2:99:eeee0005", `LAB\svc`, false},
		{"another installation's", "other-site:node1:99:ffff0006", `LAB\svc`, false},
		{"another account's", "hvbalancer:node1:99:cccc0003", `LAB\someone`, false},
		{"not named by us", "Runspace1", `LAB\svc`, false},
		{"unnamed", "", `LAB\svc`, false},
		{"malformed pid", "hvbalancer:node1:x:cccc0003", `LAB\svc`, false},
		{"prefix is case-insensitive", "HVBalancer:node1:99:cccc0003", `LAB\svc`, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sh := RemoteShell{ID: "5207F2DF-E6CA-4D10-8C7F-5380F01D6FDE", Name: tc.shell, Owner: tc.owner}
			if got := orphaned(sh, "hvbalancer", `LAB\svc`, self, alive); got != tc.want {
				t.Errorf("orphaned(%q, owner %q) = %t, want %t", tc.shell, tc.owner, got, tc.want)
			}
		})
	}
	name := self.shellName("hvbalancer")
	if p, ok := parseShellName(name, "hvbalancer"); !ok || p != self {
		t.Errorf("parseShellName(%q) = %+v, %t: does not give back the identity", name, p, ok)
	}
}

// windowsEnumeration is the shape of Windows' answer to an optimized
// Enumerate of the shell resource, with fields this client does not read.
const windowsEnumeration = `<s:Envelope xml:lang="en-US" xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd">` +
	`<s:Header><a:Action>http://schemas.xmlsoap.org/ws/2004/09/enumeration/EnumerateResponse</a:Action></s:Header><s:Body><n:EnumerateResponse>` +
	`<n:EnumerationContext>uuid:9A6B8F3C-0E5C-4A5B-8D0B-3F1E8C2D7A11</n:EnumerationContext><w:Items>` +
	`<rsp:Shell xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"><rsp:ShellId>5207f2df-e6ca-4d10-8c7f-5380f01d6fde</rsp:ShellId>` +
	`<rsp:Name>hvbalancer:node1:99:cccc0003</rsp:Name><rsp:ResourceUri>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd</rsp:ResourceUri>` +
	`<rsp:Owner>LAB\svc</rsp:Owner><rsp:ClientIP>10.0.0.5</rsp:ClientIP><rsp:ProcessId>4312</rsp:ProcessId><rsp:IdleTimeOut>PT900.000S</rsp:IdleTimeOut>` +
	`<rsp:InputStreams>stdin</rsp:InputStreams><rsp:OutputStreams>stdout stderr</rsp:OutputStreams><rsp:MaxIdleTimeOut>PT2147483.647S</rsp:MaxIdleTimeOut>` +
	`<rsp:Locale>en-US</rsp:Locale><rsp:DataLocale>en-US</rsp:DataLocale><rsp:CompressionMode>NoCompression</rsp:CompressionMode><rsp:ProfileLoaded>Yes</rsp:ProfileLoaded>` +
	`<rsp:Encoding>UTF8</rsp:Encoding><rsp:BufferMode>Block</rsp:BufferMode><rsp:State>Connected</rsp:State><rsp:ShellRunTime>P0DT0H12M3S</rsp:ShellRunTime>` +
	`<rsp:ShellInactivity>P0DT0H11M58S</rsp:ShellInactivity></rsp:Shell>` +
	`<rsp:Shell xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"><rsp:ShellId>0C9E1A66-1B4D-4F8E-9B55-7A2C3D4E5F60</rsp:ShellId>` +
	`<rsp:Name>Runspace1</rsp:Name><rsp:Owner>LAB\svc</rsp:Owner><rsp:ProcessId>5120</rsp:ProcessId><rsp:ShellInactivity>P0DT0H0M2S</rsp:ShellInactivity></rsp:Shell>` +
	`</w:Items><w:EndOfSequence/></n:EnumerateResponse></s:Body></s:Envelope>`

func TestParseEnumeration(t *testing.T) {
	shells, _, end, err := parseEnumeration(windowsEnumeration)
	if err != nil || !end {
		t.Fatalf("parseEnumeration = end %t, %v", end, err)
	}
	want := []RemoteShell{
		{ID: "5207F2DF-E6CA-4D10-8C7F-5380F01D6FDE", Name: "hvbalancer:node1:99:cccc0003", Owner: `LAB\svc`, ClientIP: "10.0.0.5", ProcessID: 4312, Inactivity: "P0DT0H11M58S"},
		{ID: "0C9E1A66-1B4D-4F8E-9B55-7A2C3D4E5F60", Name: "Runspace1", Owner: `LAB\svc`, ProcessID: 5120, Inactivity: "P0DT0H0M2S"},
	}
	if diff := cmp.Diff(want, shells); diff != "" {
		t.Errorf("shells (-want +got):\n%s", diff)
	}

	const pull = `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration"><s:Body><n:PullResponse>` +
		`<n:EnumerationContext>uuid:1</n:EnumerationContext><n:Items><rsp:Shell xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"><rsp:ShellId>A</rsp:ShellId></rsp:Shell></n:Items>` +
		`</n:PullResponse></s:Body></s:Envelope>`
	shells, ctx, end, err := parseEnumeration(pull)
	if err != nil || end || ctx != "uuid:1" || len(shells) != 1 {
		t.Errorf("pull page = %v, %q, end %t, %v; want one shell and a context to go on", shells, ctx, end, err)
	}

	for name, bad := range map[string]string{
		"not xml":          "<s:Envelope",
		"another response": `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/></s:Envelope>`,
		"no end, no context": `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration"><s:Body>` +
			`<n:PullResponse><n:Items/></n:PullResponse></s:Body></s:Envelope>`,
		"shell without id": `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration"><s:Body>` +
			`<n:PullResponse><n:Items><rsp:Shell xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"/></n:Items><n:EndOfSequence/></n:PullResponse></s:Body></s:Envelope>`,
	} {
		if _, _, _, err := parseEnumeration(bad); !errors.Is(err, ErrUnexpectedOutput) {
			t.Errorf("%s: got %v, want ErrUnexpectedOutput", name, err)
		}
	}
}

func FuzzParseEnumeration(f *testing.F) {
	f.Add(windowsEnumeration)
	f.Fuzz(func(t *testing.T, s string) {
		shells, ctx, end, err := parseEnumeration(s)
		if err == nil && !end && ctx == "" {
			t.Fatalf("neither end nor context, and no error: %v", shells)
		}
	})
}
