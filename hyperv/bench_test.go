package hyperv

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkParseVMs decodes get-vms output of a large host (1000 VMs).
func BenchmarkParseVMs(b *testing.B) {
	items := make([]string, 1000)
	for i := range items {
		items[i] = strings.Replace(psVMWeb01, `"web01"`, fmt.Sprintf(`"web%04d"`, i), 1)
	}
	out := []byte("[" + strings.Join(items, ",") + "]\r\n")
	b.SetBytes(int64(len(out)))
	for b.Loop() {
		if _, err := parseVMs(out); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseCounters decodes get-counters output for 250 VMs of 4 vCPUs.
func BenchmarkParseCounters(b *testing.B) {
	items := []string{
		sample(`\\\\hv01\\hyper-v hypervisor logical processor(_total)\\% total run time`, "_total", "63.2"),
		sample(`\\\\hv01\\memory\\available mbytes`, "", "81234"),
	}
	for vm := range 250 {
		for vp := range 4 {
			inst := fmt.Sprintf("vm%03d:hv vp %d", vm, vp)
			items = append(items, sample(`\\\\hv01\\hyper-v hypervisor virtual processor(`+inst+`)\\% guest run time`, inst, "12.5"))
		}
		inst := fmt.Sprintf("vm%03d", vm)
		items = append(items, sample(`\\\\hv01\\hyper-v dynamic memory vm(`+inst+`)\\average pressure`, inst, "70"))
	}
	out := []byte("[" + strings.Join(items, ",") + "]\r\n")
	b.SetBytes(int64(len(out)))
	for b.Loop() {
		if _, err := parseCounters(out); err != nil {
			b.Fatal(err)
		}
	}
}
