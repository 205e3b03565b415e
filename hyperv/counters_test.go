package hyperv

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func sample(path, inst string, v string) string {
	return `{"Path":"` + path + `","InstanceName":"` + inst + `","CookedValue":` + v + `,"Timestamp":"\/Date(1764300000000)\/"}`
}

func TestParseCounters(t *testing.T) {
	const (
		lp  = `\\\\hv01\\hyper-v hypervisor logical processor(_total)\\% total run time`
		mem = `\\\\hv01\\memory\\available mbytes`
	)
	vp := func(inst string) string {
		return `\\\\hv01\\hyper-v hypervisor virtual processor(` + inst + `)\\% guest run time`
	}
	dm := func(inst string) string { return `\\\\hv01\\hyper-v dynamic memory vm(` + inst + `)\\average pressure` }
	ts := time.UnixMilli(1764300000000).UTC()
	tests := []struct {
		name    string
		samples []string
		want    Counters
	}{
		{
			name: "host only",
			samples: []string{
				sample(lp, "_total", "63.2"),
				sample(mem, "", "81234"),
				sample(vp("_total"), "_total", "12"),
			},
			want: Counters{Time: ts, HostCPUPercent: 63.2, AvailableMemory: 81234 << 20, VMs: map[string]VMCounters{}},
		},
		{
			name: "vms, colon in name, duplicates, unsorted",
			samples: []string{
				sample(lp, "_total", "50"),
				sample(vp("web01:hv vp 1"), "web01:hv vp 1", "20"),
				sample(vp("web01:hv vp 0"), "web01:hv vp 0", "40"),
				sample(vp("a:hv vp 9:hv vp 0"), "a:hv vp 9:hv vp 0", "10"),
				sample(vp("dup:hv vp 0"), "dup:hv vp 0", "10"),
				sample(vp("dup:hv vp 0"), "dup:hv vp 0", "30"),
				sample(vp("dup:hv vp 10"), "dup:hv vp 10", "50"),
				sample(vp("dup:hv vp 2"), "dup:hv vp 2", "0"),
				sample(mem, "", "1024"),
				sample(dm("web01"), "web01", "78"),
				sample(dm("dup"), "dup", "60"),
				sample(dm("dup"), "dup", "90"),
				sample(dm("nan"), "nan", `"NaN"`),
				sample(dm("_total"), "_total", "50"),
				sample(`\\\\hv01\\other counter(x)\\thing`, "x", "1"),
			},
			want: Counters{Time: ts, HostCPUPercent: 50, AvailableMemory: 1 << 30, VMs: map[string]VMCounters{
				"web01":     {CPUPercent: []float64{40, 20}, MeanCPUPercent: 30, MemoryPressure: 78, HasPressure: true},
				"a:hv vp 9": {CPUPercent: []float64{10}, MeanCPUPercent: 10},
				"dup":       {CPUPercent: []float64{10, 30, 0, 50}, MeanCPUPercent: 22.5, MemoryPressure: 90, HasPressure: true},
			}},
		},
		{
			name: "instance from path when InstanceName is empty; upper case",
			samples: []string{
				sample(`\\\\HV01\\Hyper-V Hypervisor Logical Processor(_Total)\\% Total Run Time`, "", "5"),
				sample(`\\\\HV01\\Memory\\Available MBytes`, "", "2"),
				sample(`\\\\HV01\\Hyper-V Hypervisor Virtual Processor(Web (1):HV VP 0)\\% Guest Run Time`, "", "7"),
			},
			want: Counters{Time: ts, HostCPUPercent: 5, AvailableMemory: 2 << 20, VMs: map[string]VMCounters{
				"web (1)": {CPUPercent: []float64{7}, MeanCPUPercent: 7},
			}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := "[" + strings.Join(tc.samples, ",") + "]\r\n"
			got, err := parseCounters([]byte(out))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("counters (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseCountersErrors(t *testing.T) {
	lp := sample(`\\\\hv01\\hyper-v hypervisor logical processor(_total)\\% total run time`, "_total", "1")
	mem := sample(`\\\\hv01\\memory\\available mbytes`, "", "1")
	tests := []struct {
		name string
		out  string
	}{
		{"empty", ""},
		{"no memory", lp},
		{"no cpu", mem},
		{"nan cpu", "[" + mem + "," + strings.Replace(lp, `"CookedValue":1`, `"CookedValue":null`, 1) + "]"},
		{"bad timestamp", strings.Replace(lp, `\/Date(1764300000000)\/`, "yesterday", 1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseCounters([]byte(tc.out))
			if !errors.Is(err, ErrUnexpectedOutput) {
				t.Errorf("got %v, want ErrUnexpectedOutput", err)
			}
		})
	}
}

func TestSplitCounterPath(t *testing.T) {
	tests := []struct{ path, obj, counter, inst string }{
		{`\\hv01\memory\available mbytes`, "memory", "available mbytes", ""},
		{`\\hv01\hyper-v hypervisor virtual processor(a\b:hv vp 0)\% guest run time`, "hyper-v hypervisor virtual processor", "% guest run time", `a\b:hv vp 0`},
		{`\memory\available mbytes`, "memory", "available mbytes", ""},
		{`\\hv01`, "", "", ""},
		{``, "", "", ""},
	}
	for _, tc := range tests {
		o, c, i := splitCounterPath(tc.path)
		if o != tc.obj || c != tc.counter || i != tc.inst {
			t.Errorf("splitCounterPath(%q) = %q, %q, %q; want %q, %q, %q", tc.path, o, c, i, tc.obj, tc.counter, tc.inst)
		}
	}
}
