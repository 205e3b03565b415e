package hyperv_test

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/wsman"
)

// noSecret fails the test if err's text holds the password.
func noSecret(t *testing.T, err error) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), wirePassword) {
		t.Errorf("error holds the password: %v", err)
	}
}

// clixml renders error text as powershell.exe 5.1 writes it to stderr.
func clixml(lines ...string) string {
	var b strings.Builder
	b.WriteString("#< CLIXML\r\n" + `<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04"><Obj S="progress" RefId="0"><TN RefId="0"><T>System.Management.Automation.PSCustomObject</T><T>System.Object</T></TN><MS><I64 N="SourceId">1</I64><PR N="Record"><AV>Preparing modules for first use.</AV><AI>0</AI><Nil /><PI>-1</PI><PC>-1</PC><T>Completed</T><SR>-1</SR><SD> </SD></PR></MS></Obj>`)
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\r", "_x000D_", "\n", "_x000A_")
	for _, l := range lines {
		b.WriteString(`<S S="Error">` + r.Replace(l+"\r\n") + `</S>`)
	}
	b.WriteString("</Objs>")
	return b.String()
}

func moveFailure(second string, category, errorID string) string {
	return clixml(
		"Move-VM : Virtual machine migration operation for 'web01' failed at migration source 'HV01'. (Virtual machine ID ",
		"3F1C2A9E-8B7D-4C6E-9F10-2A3B4C5D6E7F)",
		second,
		"At line:5 char:1",
		"+ Move-VM @m | Select-Object ...",
		"+ ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~",
		"    + CategoryInfo          : "+category,
		"    + FullyQualifiedErrorId : "+errorID,
		" ")
}

func TestWireUnauthorized(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	c := f.client(t, func(c *hyperv.Config) { c.Password = wirePassword + "-wrong" })
	_, err := c.VMs(t.Context())
	if !errors.Is(err, hyperv.ErrUnauthorized) {
		t.Fatalf("got %v, want ErrUnauthorized", err)
	}
	if strings.Contains(err.Error(), wirePassword) {
		t.Errorf("error holds the password: %v", err)
	}
	_, err = c.Move(t.Context(), vmID, "HV02", hyperv.MoveOptions{})
	if !errors.Is(err, hyperv.ErrUnauthorized) || errors.Is(err, hyperv.ErrOutcomeUnknown) {
		t.Errorf("Move: got %v, want ErrUnauthorized only", err)
	}
	noSecret(t, err)
	// NTLM with the wrong password is refused the same way.
	ntlm := f.client(t, func(c *hyperv.Config) { c.Auth, c.Password = hyperv.AuthNTLM, wirePassword+"-wrong" })
	_, err = ntlm.Host(t.Context())
	if !errors.Is(err, hyperv.ErrUnauthorized) {
		t.Errorf("NTLM: got %v, want ErrUnauthorized", err)
	}
	noSecret(t, err)
}

func TestWireUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	c, err := hyperv.New(hyperv.Config{Host: "127.0.0.1", Port: port, Username: wireUser, Password: wirePassword, Encryption: hyperv.EncryptionNever})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Host(t.Context())
	if !errors.Is(err, hyperv.ErrUnreachable) {
		t.Errorf("Host: got %v, want ErrUnreachable", err)
	}
	if want := "get host on 127.0.0.1:" + strconv.Itoa(port) + ": "; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q does not start with %q", err, want)
	}
	noSecret(t, err)
	_, err = c.Move(t.Context(), vmID, "HV02", hyperv.MoveOptions{})
	if !errors.Is(err, hyperv.ErrUnreachable) || errors.Is(err, hyperv.ErrOutcomeUnknown) {
		t.Errorf("Move: got %v, want ErrUnreachable only", err)
	}
	noSecret(t, err)
}

func TestWireTimeout(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.host.set(hyperv.ScriptGetVMs, reply{block: true})
	f.host.set(hyperv.ScriptMoveVM, reply{block: true})
	c := f.client(t, func(c *hyperv.Config) { c.CallTimeout, c.MoveTimeout = 2*time.Second, 2*time.Second })

	_, err := c.VMs(t.Context())
	if !errors.Is(err, hyperv.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "no result within 2s") {
		t.Errorf("VMs: got %v, want ErrTimeout and context.DeadlineExceeded after the call's 2s", err)
	}
	noSecret(t, err)

	// A caller's deadline that comes first (a poll's, for all its reads)
	// is the one the error names, not the call's own.
	long := f.client(t, func(c *hyperv.Config) { c.CallTimeout = time.Minute })
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	if _, err := long.VMs(ctx); !errors.Is(err, hyperv.ErrTimeout) || !strings.Contains(err.Error(), "no result within 1s") {
		t.Errorf("VMs under a 1s caller deadline: got %v, want a timeout naming 1s, not the call's 1m", err)
	}
	long.Close()

	_, err = c.Move(t.Context(), vmID, "HV02", hyperv.MoveOptions{})
	if !errors.Is(err, hyperv.ErrOutcomeUnknown) || !errors.Is(err, hyperv.ErrTimeout) {
		t.Errorf("Move: got %v, want ErrOutcomeUnknown and ErrTimeout", err)
	}
	noSecret(t, err)

	// The abandoned commands are cancelled; their shell, the client's
	// one, stays open until the client closes.
	for f.host.blocked.Load() != 0 {
		select {
		case <-t.Context().Done():
			t.Fatal("timed-out commands were never cancelled")
		case <-time.After(50 * time.Millisecond):
		}
	}
	if n := f.ws.ShellCount(); n != 1 {
		t.Errorf("%d shells open, want the client's one", n)
	}
	c.Close()
	if n := f.ws.ShellCount(); n != 0 {
		t.Errorf("%d shells open after Close, want none", n)
	}
}

func TestWireCallerCancel(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.host.set(hyperv.ScriptGetHost, reply{block: true})
	c := f.client(t, nil)
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		for f.host.lastCall().Script == "" {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
	}()
	_, err := c.Host(ctx)
	if !errors.Is(err, context.Canceled) || errors.Is(err, hyperv.ErrTimeout) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

func TestWireDroppedConnection(t *testing.T) {
	tests := []struct {
		op          wsman.Op
		wantUnknown bool
	}{
		{wsman.OpCreate, false}, // nothing was started
		{wsman.OpCommand, true}, // the command may have started
		{wsman.OpReceive, true}, // the command started
	}
	for _, tc := range tests {
		t.Run(string(tc.op), func(t *testing.T) {
			f := newFixture(t, fixtureOpts{intercept: func(op wsman.Op, _, _ string) wsman.Action {
				return wsman.Action{Drop: op == tc.op}
			}})
			f.host.set(hyperv.ScriptMoveVM, reply{stdout: outMove})
			c := f.client(t, nil)
			_, err := c.Move(t.Context(), vmID, "HV02", hyperv.MoveOptions{})
			if err == nil {
				t.Fatal("no error")
			}
			if got := errors.Is(err, hyperv.ErrOutcomeUnknown); got != tc.wantUnknown {
				t.Errorf("ErrOutcomeUnknown = %t, want %t: %v", got, tc.wantUnknown, err)
			}
			if !strings.HasPrefix(err.Error(), "move vm "+vmID+" to HV02 on 127.0.0.1:") {
				t.Errorf("error %q lacks the operation", err)
			}
			noSecret(t, err)
		})
	}
}

func TestWirePowerShellError(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.host.set(hyperv.ScriptGetVMs, reply{exit: 1, stderr: clixml(
		"Get-VM : The term 'Get-VM' is not recognized as the name of a cmdlet, function, script file, or operable program. Check the ",
		"spelling of the name, or if a path was included, verify that the path is correct and try again. "+wirePassword,
		"At line:3 char:1",
		"+ Get-VM | Select-Object @{n='Id';e={$_.Id.ToString()}}, Name, State, CPUUsage, ...",
		"+ ~~~~~~",
		"    + CategoryInfo          : ObjectNotFound: (Get-VM:String) [], CommandNotFoundException",
		"    + FullyQualifiedErrorId : CommandNotFoundException",
		" ")})
	c := f.client(t, nil)
	_, err := c.VMs(t.Context())
	var pe *hyperv.PowerShellError
	if !errors.As(err, &pe) {
		t.Fatalf("got %v, want *PowerShellError", err)
	}
	if pe.Script != hyperv.ScriptGetVMs || pe.ExitCode != 1 || pe.Category != "ObjectNotFound" || pe.ErrorID != "CommandNotFoundException" ||
		!strings.HasPrefix(pe.Message, "Get-VM : The term 'Get-VM' is not recognized") {
		t.Errorf("PowerShellError = %+v", pe)
	}
	noSecret(t, err)
}

func TestWireMigrationError(t *testing.T) {
	tests := []struct {
		name   string
		stderr string
		want   error
		code   uint32
	}{
		{"double hop", moveFailure("Failed to establish a connection with host 'HV02': No credentials are available in the security package (0x8009030E).", "NotSpecified: (:) [Move-VM], VirtualizationException", "OperationFailed,Microsoft.HyperV.PowerShell.Commands.MoveVM"), hyperv.ErrDoubleHop, 0x8009030E},
		{"delegation", moveFailure("Failed to authenticate the connection at the source host: no suitable credentials available. (0x8009030D)", "NotSpecified: (:) [Move-VM], VirtualizationException", "OperationFailed,Microsoft.HyperV.PowerShell.Commands.MoveVM"), hyperv.ErrDoubleHop, 0x8009030D},
		{"memory", moveFailure("Not enough memory in the system to start the virtual machine web01. (Virtual machine ID 3F1C2A9E-8B7D-4C6E-9F10-2A3B4C5D6E7F) (0x8007000E)", "NotSpecified: (:) [Move-VM], VirtualizationException", "OperationFailed,Microsoft.HyperV.PowerShell.Commands.MoveVM"), hyperv.ErrDestinationOutOfMemory, 0x8007000E},
		{"timeout", moveFailure("Failed to receive data for a Virtual Machine migration: This operation returned because the timeout period expired. (0x800705B4).", "NotSpecified: (:) [Move-VM], VirtualizationException", "OperationFailed,Microsoft.HyperV.PowerShell.Commands.MoveVM"), hyperv.ErrMigrationTimeout, 0x800705B4},
		{"refused", moveFailure("Failed to establish a connection with host 'HV02': No connection could be made because the target machine actively refused it. (0x8007274D).", "NotSpecified: (:) [Move-VM], VirtualizationException", "OperationFailed,Microsoft.HyperV.PowerShell.Commands.MoveVM"), hyperv.ErrConnectionRefused, 0x8007274D},
		{"incompatible", clixml("Move-VM : The virtual machine 'web01' is using processor-specific features not supported on host 'HV02'. To allow for migration of this virtual machine to physical computers with different processors, modify the virtual machine settings to limit the processor features used by the virtual machine.", "At line:5 char:1", "    + CategoryInfo          : InvalidArgument: (:) [Move-VM], VirtualizationException", "    + FullyQualifiedErrorId : InvalidParameter,Microsoft.HyperV.PowerShell.Commands.MoveVM"), hyperv.ErrIncompatibleHardware, 0},
		{"disabled", moveFailure("The Virtual Machine Management Service on host 'HV02' is not configured to accept live migrations. (0x80042001)", "NotSpecified: (:) [Move-VM], VirtualizationException", "OperationFailed,Microsoft.HyperV.PowerShell.Commands.MoveVM"), hyperv.ErrMigrationDisabled, 0x80042001},
		{"not found", clixml(`Get-VM : Hyper-V was unable to find a virtual machine with ID "3f1c2a9e-8b7d-4c6e-9f10-2a3b4c5d6e7f".`, "At line:3 char:13", "    + CategoryInfo          : InvalidArgument: (3f1c2a9e-8b7d-4c6e-9f10-2a3b4c5d6e7f:Guid) [Get-VM], VirtualizationException", "    + FullyQualifiedErrorId : InvalidParameter,Microsoft.HyperV.PowerShell.Commands.GetVM"), hyperv.ErrVMNotFound, 0},
		{"other", moveFailure("Something else went wrong (0x80004005). "+wirePassword, "NotSpecified: (:) [Move-VM], VirtualizationException", "OperationFailed,Microsoft.HyperV.PowerShell.Commands.MoveVM"), hyperv.ErrMigrationFailed, 0x80004005},
		{"plain text", "fatal: out of cheese\r\n", hyperv.ErrMigrationFailed, 0},
	}
	f := newFixture(t, fixtureOpts{})
	c := f.client(t, nil)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f.host.set(hyperv.ScriptMoveVM, reply{exit: 1, stderr: tc.stderr})
			_, err := c.Move(t.Context(), vmID, "HV02", hyperv.MoveOptions{})
			var me *hyperv.MigrationError
			if !errors.As(err, &me) {
				t.Fatalf("got %v, want *MigrationError", err)
			}
			if !errors.Is(err, tc.want) || me.HResult != tc.code {
				t.Errorf("cause %v, HResult %#x; want %v, %#x: %v", me.Err, me.HResult, tc.want, tc.code, err)
			}
			if me.VMID != vmID || me.Destination != "HV02" || me.Source != "127.0.0.1" || errors.Is(err, hyperv.ErrOutcomeUnknown) {
				t.Errorf("MigrationError = %+v", me)
			}
			var pe *hyperv.PowerShellError
			if !errors.As(err, &pe) || pe.Script != hyperv.ScriptMoveVM {
				t.Errorf("no *PowerShellError inside: %v", err)
			}
			if !strings.HasPrefix(err.Error(), "move vm "+vmID+" to HV02 on "+c.Address()+": ") || strings.Contains(err.Error(), "At line") {
				t.Errorf("Error() = %q", err)
			}
			noSecret(t, err)
		})
	}
}

func TestWireUnexpectedOutput(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.host.set(hyperv.ScriptGetVMs, reply{stdout: `{"Id":"a","Name":42}`})
	f.host.set(hyperv.ScriptMoveVM, reply{stdout: "WARNING: not json\r\n"})
	c := f.client(t, nil)
	_, err := c.VMs(t.Context())
	if !errors.Is(err, hyperv.ErrUnexpectedOutput) || !strings.Contains(err.Error(), "field Name") {
		t.Errorf("VMs: got %v", err)
	}
	// The move ran but its answer is unreadable: the caller must check.
	_, err = c.Move(t.Context(), vmID, "HV02", hyperv.MoveOptions{})
	if !errors.Is(err, hyperv.ErrOutcomeUnknown) || !errors.Is(err, hyperv.ErrUnexpectedOutput) {
		t.Errorf("Move: got %v", err)
	}
	// Success with an error record and no VM: where the VM is is unknown.
	f.host.set(hyperv.ScriptMoveVM, reply{stderr: clixml("Move-VM : something odd " + wirePassword)})
	_, err = c.Move(t.Context(), vmID, "HV02", hyperv.MoveOptions{})
	var me *hyperv.MigrationError
	if !errors.Is(err, hyperv.ErrOutcomeUnknown) || errors.As(err, &me) || !strings.Contains(err.Error(), "something odd") {
		t.Errorf("Move without output: got %v", err)
	}
	noSecret(t, err)
	// Progress records alone on stderr are not errors.
	f.host.set(hyperv.ScriptGetVMs, reply{stderr: clixml()})
	if vms, err := c.VMs(t.Context()); err != nil || len(vms) != 0 {
		t.Errorf("VMs with progress on stderr = %v, %v", vms, err)
	}
	f.host.set(hyperv.ScriptGetVMs, reply{stderr: clixml("Get-VM : non-terminating")})
	var pe *hyperv.PowerShellError
	if _, err := c.VMs(t.Context()); !errors.As(err, &pe) || pe.ExitCode != 0 {
		t.Errorf("VMs with only an error record = %v", err)
	}
}

func TestWireTLSVerification(t *testing.T) {
	f := newFixture(t, fixtureOpts{https: true})
	f.host.set(hyperv.ScriptGetHost, reply{stdout: outHost})
	tests := []struct {
		name    string
		mod     func(*hyperv.Config)
		wantErr []string // in the message; none: success
	}{
		{"trusted ca", nil, nil},
		{"system roots", func(c *hyperv.Config) { c.CACert = nil },
			[]string{`: wsman: certificate not accepted: certificate "127.0.0.1" signed by an unknown authority (issuer "WinRM simulator CA `,
				`"): set ca_file to the PEM of the CA that issued it`}},
		{"wrong name", func(c *hyperv.Config) { c.TLSServerName = "hv99.lab.example" },
			[]string{": wsman: certificate not accepted: certificate is valid for 127.0.0.1, not hv99.lab.example: set tls_server_name to one of its names"}},
		{"right name", func(c *hyperv.Config) { c.TLSServerName = "127.0.0.1" }, nil},
		{"insecure", func(c *hyperv.Config) { c.CACert = nil; c.InsecureSkipVerify = true }, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.client(t, tc.mod).Host(t.Context())
			if len(tc.wantErr) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if !errors.Is(err, hyperv.ErrCertificate) || errors.Is(err, hyperv.ErrUnauthorized) {
				t.Errorf("got %v, want ErrCertificate only", err)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nlacks %q", err, w)
				}
			}
			noSecret(t, err)
		})
	}
}

func TestInvalidArguments(t *testing.T) {
	c, err := hyperv.New(hyperv.Config{Host: "127.0.0.1", Port: 1, Username: "u", Password: wirePassword, Encryption: hyperv.EncryptionNever})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	checks := map[string]error{}
	_, _, checks["locate bad id"] = c.Locate(ctx, "x'); Stop-Computer; #")
	_, checks["move bad id"] = c.Move(ctx, "", "HV02", hyperv.MoveOptions{})
	_, checks["move no destination"] = c.Move(ctx, vmID, "", hyperv.MoveOptions{})
	_, checks["move spaced destination"] = c.Move(ctx, vmID, "HV02; Stop-Computer", hyperv.MoveOptions{})
	_, checks["move huge path"] = c.Move(ctx, vmID, "HV02", hyperv.MoveOptions{StoragePath: strings.Repeat("&", 1000)})
	for name, err := range checks {
		if !errors.Is(err, hyperv.ErrInvalidArgument) {
			t.Errorf("%s: got %v, want ErrInvalidArgument", name, err)
		}
	}
}
