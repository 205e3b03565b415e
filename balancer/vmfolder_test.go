package balancer

import (
	"testing"

	"github.com/hvbalancer/hvbalancer/collector"
)

func TestVMFolder(t *testing.T) {
	const id = "0b000000-0000-4000-8000-000000000001"
	for _, tc := range []struct{ path, name, want string }{
		{`D:\Hyper-V`, "web01", `D:\Hyper-V\web01`},
		{`D:\Hyper-V\`, "web 01 (prod)", `D:\Hyper-V\web 01 (prod)`},
		{`\\fs01\vms`, "sql-01.corp", `\\fs01\vms\sql-01.corp`},
		{`D:\Hyper-V`, `..\..\Windows`, `D:\Hyper-V\` + id},
		{`D:\Hyper-V`, "a/b", `D:\Hyper-V\` + id},
		{`D:\Hyper-V`, "C:evil", `D:\Hyper-V\` + id},
		{`D:\Hyper-V`, "..", `D:\Hyper-V\` + id},
		{`D:\Hyper-V`, "trailing.", `D:\Hyper-V\` + id},
		{`D:\Hyper-V`, "trailing ", `D:\Hyper-V\` + id},
		{`D:\Hyper-V`, "con", `D:\Hyper-V\` + id},
		{`D:\Hyper-V`, "LPT1.vm", `D:\Hyper-V\` + id},
		{`D:\Hyper-V`, "COMx", `D:\Hyper-V\COMx`},
		{`D:\Hyper-V`, "tab\there", `D:\Hyper-V\` + id},
		{`D:\Hyper-V`, "", `D:\Hyper-V\` + id},
	} {
		if got := vmFolder(tc.path, &collector.VM{ID: id, Name: tc.name}); got != tc.want {
			t.Errorf("vmFolder(%q, %q) = %q, want %q", tc.path, tc.name, got, tc.want)
		}
	}
}
