package hyperv

import (
	"errors"
	"strings"
	"testing"
)

func TestShellFaultClassification(t *testing.T) {
	const windowsQuota = `http error 500: <s:Envelope><s:Body><s:Fault><s:Reason><s:Text xml:lang="en-US">The WS-Management service cannot process the request. ` +
		`The maximum number of concurrent shells for this user has been exceeded. Close existing shells or raise the quota for this user. </s:Text></s:Reason>` +
		`<s:Detail><f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" Code="2150859173" Machine="hv01.lab.example"><f:Message>The WS-Management service ` +
		`cannot process the request. This user is allowed a maximum number of 30 concurrent shells, which has been exceeded. Close existing shells or raise ` +
		`the quota for this user. </f:Message></f:WSManFault></s:Detail></s:Fault></s:Body></s:Envelope>`
	tests := []struct {
		name        string
		text        string
		quota, gone bool
	}{
		{"windows quota fault", windowsQuota, true, false},
		{"single-quoted code, as the Ruby client prints it", `<f:WSManFault Code='2150859173' Machine='127.0.0.1' xmlns:f='http://schemas.microsoft.com/wbem/wsman/1/wsmanfault'><f:Message>This user is allowed a maximum number of 5 concurrent shells, which has been exceeded.</f:Message></f:WSManFault>`, true, false},
		{"words without a code", "The maximum number of concurrent shells for this user has been exceeded.", true, false},
		{"the operations quota is another limit", `<f:WSManFault Code='2150859174' Machine='m'><f:Message>This user is allowed a maximum number of 15 concurrent operations, which has been exceeded.</f:Message></f:WSManFault>`, false, false},
		{"shell not found", `<f:WSManFault xmlns:f="x" Code="2150858843" Machine="HV01"><f:Message>The request for the Windows Remote Shell with ShellId 5207F2DF failed because the shell was not found on the server.</f:Message></f:WSManFault>`, false, true},
		{"command not found is not a lost shell", `<f:WSManFault xmlns:f="x" Code="2150858843" Machine="HV01"><f:Message>The Windows Remote Shell received a request to perform an operation on a command identifier that does not exist.</f:Message></f:WSManFault>`, false, false},
		{"unrelated", "dial tcp 127.0.0.1:5985: connection refused", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := isShellQuota(tc.text); got != tc.quota {
				t.Errorf("isShellQuota = %t, want %t", got, tc.quota)
			}
			if got := isShellGone(tc.text); got != tc.gone {
				t.Errorf("isShellGone = %t, want %t", got, tc.gone)
			}
		})
	}
	c := &Client{cfg: Config{Password: "pw"}, addr: "hv01:5985"}
	err := c.transportError(errors.New(windowsQuota), phaseShell)
	if !errors.Is(err, ErrShellQuota) || errors.Is(err, ErrUnreachable) {
		t.Fatalf("transportError = %v, want ErrShellQuota alone", err)
	}
	const want = "wsman: winrm shell quota exceeded: every shell the account may have (WinRS MaxShellsPerUser, 30 by default) is open on the host."
	if got := err.Error(); !strings.HasPrefix(got, want) || !strings.HasSuffix(got, "(the host says: The WS-Management service cannot process the request. This user is allowed a maximum number of 30 concurrent shells, which has been exceeded. Close existing shells or raise the quota for this user.)") {
		t.Errorf("message = %q, want it to start %q and end with the host's message", got, want)
	}
}
