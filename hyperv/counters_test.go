package hyperv

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Timestamp_Sys100NS of the two reads: 2025-11-28 03:20:00 UTC as a
// FILETIME, and 2 s later.
const (
	stamp0 = fileTimeUnixEpoch + 1764300000*10000000
	stamp1 = stamp0 + 2*10000000
)

// raw is one instance of get-counters' output as Windows PowerShell 5.1
// prints it (uint64 properties as bare integers).
func raw(set string, sample int, name string, value int64) string {
	n := `"` + name + `"`
	if name == "" {
		n = "null"
	}
	ts := int64(stamp0)
	if sample == 1 {
		ts = stamp1
	}
	return fmt.Sprintf(`{"Set":%q,"Sample":%d,"Name":%s,"Value":%d,"Timestamp_Sys100NS":%d}`, set, sample, n, value, ts)
}

// busy returns the two reads of a PERF_100NSEC_TIMER instance that ran
// pct percent of the 2 s between them, from a start of base ticks.
func busy(set, name string, base int64, pct float64) []string {
	return []string{raw(set, 0, name, base), raw(set, 1, name, base+int64(pct/100*2e7))}
}

func TestParseCounters(t *testing.T) {
	ts := time.Unix(1764300002, 0).UTC()
	cat := func(parts ...[]string) []string {
		var out []string
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	one := func(s string) []string { return []string{s} }
	tests := []struct {
		name    string
		samples []string
		want    Counters
	}{
		{
			name: "host only: mean of the logical processors, _Total ignored",
			samples: cat(
				busy("LP", "Hv LP 0", 864000000000, 50),
				busy("LP", "Hv LP 1", 123, 70),
				busy("LP", "_Total", 999, 10),
				one(raw("Memory", 1, "", 81234)),
			),
			want: Counters{Time: ts, HostCPUPercent: 60, AvailableMemory: 81234 << 20, VMs: map[string]VMCounters{}},
		},
		{
			name: "vms, colon in name, duplicates, unsorted, clamped",
			samples: cat(
				busy("LP", "Hv LP 0", 0, 50),
				busy("VP", "web01:Hv VP 1", 5, 20),
				busy("VP", "web01:Hv VP 0", 5, 40),
				busy("VP", "a:Hv VP 9:Hv VP 0", 5, 10),
				busy("VP", "dup:Hv VP 0", 5, 10),
				busy("VP", "dup:Hv VP 0", 7, 30),
				busy("VP", "dup:Hv VP 10", 5, 50),
				busy("VP", "dup:Hv VP 2", 5, 0),
				busy("VP", "hot:Hv VP 0", 5, 100.5),
				busy("VP", "_Total", 5, 33),
				one(raw("VP", 1, "started:Hv VP 0", 77)),
				one(raw("VP", 0, "stopped:Hv VP 0", 77)),
				one(raw("Memory", 1, "", 1024)),
				one(raw("Pressure", 1, "web01", 78)),
				one(raw("Pressure", 1, "dup", 60)),
				one(raw("Pressure", 1, "dup", 90)),
				one(raw("Pressure", 1, "_Total", 50)),
				one(raw("Other", 1, "x", 1)),
			),
			want: Counters{Time: ts, HostCPUPercent: 50, AvailableMemory: 1 << 30, VMs: map[string]VMCounters{
				"web01":     {CPUPercent: []float64{40, 20}, MeanCPUPercent: 30, MemoryPressure: 78, HasPressure: true},
				"a:hv vp 9": {CPUPercent: []float64{10}, MeanCPUPercent: 10},
				"dup":       {CPUPercent: []float64{10, 30, 0, 50}, MeanCPUPercent: 22.5, MemoryPressure: 90, HasPressure: true},
				"hot":       {CPUPercent: []float64{100}, MeanCPUPercent: 100},
			}},
		},
		{
			name: "German host: instance names are not localized, class names never are",
			samples: cat(
				busy("LP", "Hv LP 0", 0, 25),
				busy("VP", "Web (1):Hv VP 0", 0, 7),
				one(raw("Memory", 1, "", 2)),
			),
			want: Counters{Time: ts, HostCPUPercent: 25, AvailableMemory: 2 << 20, VMs: map[string]VMCounters{
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
			opt := cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) < 1e-9 })
			if diff := cmp.Diff(tc.want, got, opt); diff != "" {
				t.Errorf("counters (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseCountersErrors(t *testing.T) {
	lp := busy("LP", "Hv LP 0", 0, 10)
	mem := raw("Memory", 1, "", 1)
	join := func(s ...string) string { return "[" + strings.Join(s, ",") + "]" }
	tests := []struct {
		name string
		out  string
	}{
		{"empty", ""},
		{"no memory", join(lp...)},
		{"no cpu", mem},
		{"cpu read once", join(lp[1], mem)},
		{"only _Total", join(raw("LP", 0, "_Total", 1), raw("LP", 1, "_Total", 9), mem)},
		{"counter went back", join(raw("LP", 0, "Hv LP 0", 9), raw("LP", 1, "Hv LP 0", 1), mem)},
		{"clock stood still", join(raw("LP", 0, "Hv LP 0", 1), strings.Replace(raw("LP", 0, "Hv LP 0", 9), `"Sample":0`, `"Sample":1`, 1), mem)},
		{"null value", join(lp[0], strings.Replace(lp[1], `"Value":2000000`, `"Value":null`, 1), mem)},
		{"negative memory", join(lp[0], lp[1], raw("Memory", 1, "", -1))},
		{"third read", join(lp[0], lp[1], strings.Replace(lp[1], `"Sample":1`, `"Sample":2`, 1), mem)},
		{"cooked Get-Counter output", `[{"Path":"\\\\hv01\\memory\\available mbytes","InstanceName":"","CookedValue":81234,"Timestamp":"\/Date(1764300000000)\/"}]`},
		{"value as text", join(lp[0], strings.Replace(lp[1], `"Value":2000000`, `"Value":"2000000"`, 1), mem)},
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
