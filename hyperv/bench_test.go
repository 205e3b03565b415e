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
	items := busy("LP", "Hv LP 0", 0, 63.2)
	items = append(items, raw("Memory", 1, "", 81234))
	for vm := range 250 {
		for vp := range 4 {
			items = append(items, busy("VP", fmt.Sprintf("vm%03d:Hv VP %d", vm, vp), 1000, 12.5)...)
		}
		items = append(items, raw("Pressure", 1, fmt.Sprintf("vm%03d", vm), 70))
	}
	out := []byte("[" + strings.Join(items, ",") + "]\r\n")
	b.SetBytes(int64(len(out)))
	for b.Loop() {
		if _, err := parseCounters(out); err != nil {
			b.Fatal(err)
		}
	}
}
