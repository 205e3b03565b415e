package sim_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/masterzen/winrm"

	"github.com/hvbalancer/hvbalancer/hyperv/sim"
)

// adminFleet is one host an administrator reaches with Basic over HTTP,
// as a lab host configured for it would be.
const adminFleet = `
name: admin
seed: 5
credentials: {username: hvadmin, password: "s3cret-Pa55"}
hosts:
  - {name: HV01, logical_processors: 24, memory_gib: 256, winrm: {basic: true, allow_unencrypted: true}}
  - {name: HV02, logical_processors: 16, memory_gib: 128, language: de-DE, winrm: {basic: true, allow_unencrypted: true}}
vms:
  - {name: web01, host: HV01, cpus: 2, memory_gib: 4}
  - {name: sql01, host: HV01, cpus: 8, memory_gib: 64}
  - {name: app01, host: HV01, cpus: 4, memory_gib: 16}
  - {name: old01, host: HV01, cpus: 1, memory_gib: 2, state: Off}
  - {name: build01, host: HV01, cpus: 4, memory_gib: 8}
  - {name: de01, host: HV02, cpus: 2, memory_gib: 4}
`

// adminRun sends one PowerShell command line to host with the
// masterzen/winrm client, as an administrator's tool would.
func adminRun(t *testing.T, srv *sim.Server, host, script string) (string, string, int) {
	t.Helper()
	ep, ok := srv.Endpoint(host)
	if !ok {
		t.Fatalf("no endpoint %s", host)
	}
	c, err := winrm.NewClient(winrm.NewEndpoint(ep.IP, ep.Port, false, false, nil, nil, nil, 30*time.Second), "hvadmin", "s3cret-Pa55")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, errOut, code, err := c.RunWithContextWithString(ctx, winrm.Powershell(script), "")
	if err != nil {
		t.Fatalf("%s: %v", script, err)
	}
	return out, errOut, code
}

// TestAdministratorOneLiners proves an administrator's read-only
// one-liners answer over WinRM as Windows would, from the fleet.
func TestAdministratorOneLiners(t *testing.T) {
	spec, err := sim.ParseFleet([]byte(adminFleet))
	if err != nil {
		t.Fatal(err)
	}
	fleet, err := sim.NewFleet(spec, sim.NewScaledClock(spec.Start, 600))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sim.Serve(fleet, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })

	t.Run("top three running VMs by memory", func(t *testing.T) {
		out, errOut, code := adminRun(t, srv, "HV01", "Get-VM | Where-Object State -eq 'Running' | Sort-Object MemoryAssigned -Descending | Select-Object -First 3 Name, MemoryAssigned | ConvertTo-Json")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		var got []struct {
			Name           string
			MemoryAssigned int64
		}
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%v: %q", err, out)
		}
		if len(got) != 3 || got[0].Name != "sql01" || got[1].Name != "app01" || got[2].Name != "build01" || got[0].MemoryAssigned != 64<<30 {
			t.Errorf("got %+v", got)
		}
		if !strings.Contains(out, "[\r\n    {\r\n        \"Name\":  \"sql01\",\r\n") {
			t.Errorf("not indented as Windows PowerShell 5.1 indents: %q", out)
		}
	})
	t.Run("logical processors", func(t *testing.T) {
		out, _, code := adminRun(t, srv, "HV01", "(Get-VMHost).LogicalProcessorCount")
		if code != 0 || out != "24\r\n" {
			t.Errorf("exit %d, %q", code, out)
		}
	})
	t.Run("memory sum", func(t *testing.T) {
		out, _, code := adminRun(t, srv, "HV01", "(Get-VM | Measure-Object -Property MemoryAssigned -Sum).Sum / 1GB")
		// web01 4 + sql01 64 + app01 16 + build01 8; old01 is off and has none.
		if code != 0 || out != "92\r\n" {
			t.Errorf("exit %d, %q", code, out)
		}
	})
	t.Run("count and names", func(t *testing.T) {
		out, _, code := adminRun(t, srv, "HV01", "(Get-VM | ? { $_.State -ne 'Off' }).Count; (Get-VM -Name old01).State")
		if code != 0 || out != "4\r\nOff\r\n" {
			t.Errorf("exit %d, %q", code, out)
		}
	})
	t.Run("a cmdlet that does not exist", func(t *testing.T) {
		out, errOut, code := adminRun(t, srv, "HV01", "Get-VMFrob | ConvertTo-Json")
		if code != 1 || out != "" || !strings.Contains(errOut, "CommandNotFoundException") {
			t.Errorf("exit %d, %q, %q", code, out, errOut)
		}
	})
	t.Run("PowerShell 7 syntax", func(t *testing.T) {
		_, errOut, code := adminRun(t, srv, "HV01", "Get-VM | ForEach-Object -Parallel { $_.Name }")
		if code != 1 || !strings.Contains(errOut, "NamedParameterNotFound,Microsoft.PowerShell.Commands.ForEachObjectCommand") {
			t.Errorf("exit %d, %q", code, errOut)
		}
	})
	t.Run("absent VM", func(t *testing.T) {
		_, errOut, code := adminRun(t, srv, "HV01", "$ErrorActionPreference = 'Stop'; Get-VM -Id 00000000-0000-4000-8000-000000000001")
		if code != 1 || !strings.Contains(errOut, "Microsoft.HyperV.PowerShell.Commands.GetVM") {
			t.Errorf("exit %d, %q", code, errOut)
		}
		// Silenced, the error still fails the pipeline: powershell.exe exits 1, with nothing on stderr.
		out, errOut, code := adminRun(t, srv, "HV01", "Get-VM -Id 00000000-0000-4000-8000-000000000001 -ErrorAction SilentlyContinue")
		if code != 1 || out != "" || strings.Contains(errOut, "Error") {
			t.Errorf("silenced: exit %d, %q, %q", code, out, errOut)
		}
	})
	t.Run("German counter names", func(t *testing.T) {
		out, _, code := adminRun(t, srv, "HV02", `(Get-Counter '\Memory\Available MBytes' -ErrorAction SilentlyContinue).CounterSamples.Count; (Get-Counter '\Arbeitsspeicher\Verfügbare MB').CounterSamples[0].Path`)
		if code != 0 || out != "0\r\n\\\\hv02\\arbeitsspeicher\\verfügbare mb\r\n" {
			t.Errorf("exit %d, %q", code, out)
		}
	})
	t.Run("raw counters rise with simulated time", func(t *testing.T) {
		out, errOut, code := adminRun(t, srv, "HV01", `$x = Get-CimInstance -ClassName Win32_PerfRawData_HvStats_HyperVHypervisorLogicalProcessor -Filter "Name='Hv LP 0'"; Start-Sleep -Seconds 2; $y = Get-CimInstance Win32_PerfRawData_HvStats_HyperVHypervisorLogicalProcessor -Filter "Name='Hv LP 0'"; 100 * ($y.PercentTotalRunTime - $x.PercentTotalRunTime) / ($y.Timestamp_Sys100NS - $x.Timestamp_Sys100NS) -gt 0`)
		if code != 0 || out != "True\r\n" {
			t.Errorf("exit %d, %q, %s", code, out, errOut)
		}
	})
}
