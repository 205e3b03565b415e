package powershell

import "testing"

// TestAChangeShowsInTheNextRead: what a host keeps between commands (its
// parsed texts, its VMs' order) does not keep a read from seeing a VM
// that arrived since the last one, in Get-VM and in the raw counters.
func TestAChangeShowsInTheNextRead(t *testing.T) {
	f := testFleet(t)
	sh := NewSharedShell(f, "CN02", NewParseCache())
	line := encode(t, "(@(Get-VM) | ForEach-Object { $_.Name }) -join ','; "+
		"(@(Get-CimInstance -ClassName Win32_PerfRawData_HvStats_HyperVHypervisorVirtualProcessor) | ForEach-Object { $_.Name }) -join ','", nil)
	if r := runLine(sh, line); r.code != 0 || r.out != "\r\n_Total\r\n" {
		t.Fatalf("before: exit %d, %q %q", r.code, r.out, r.errOut)
	}
	if err := f.Crash("CN01"); err != nil { // app-01 fails over to CN02
		t.Fatal(err)
	}
	want := "app-01\r\napp-01:Hv VP 0,app-01:Hv VP 1,app-01:Hv VP 2,app-01:Hv VP 3,_Total\r\n"
	if r := runLine(sh, line); r.code != 0 || r.out != want {
		t.Errorf("after CN01 crashed: exit %d, %q %q; want %q", r.code, r.out, r.errOut, want)
	}
}
