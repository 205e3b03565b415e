package hyperv

import (
	"errors"
	"fmt"
	"math"
	"slices"
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

// vpRead is one read of a virtual processor with its CPU wait pair; a
// negative wait or dispatches leaves that property null, as a host
// without the counter prints it.
func vpRead(sample int, name string, value, wait, dispatches int64) string {
	s := raw("VP", sample, name, value)
	num := func(v int64) string {
		if v < 0 {
			return "null"
		}
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(s, "}") + `,"Wait":` + num(wait) + `,"Dispatches":` + num(dispatches) + "}"
}

func TestParseCountersWait(t *testing.T) {
	lp := busy("LP", "Hv LP 0", 0, 100)
	mem := raw("Memory", 1, "", 1)
	// Over the 2 s between the reads: VP 0 ran 77 % and was dispatched
	// 6,160 times (250 µs each), waiting 83 µs per dispatch; VP 1 ran 40 %
	// with 3,200 dispatches of 9 µs wait.
	saturated := []string{
		vpRead(0, "sql01:Hv VP 0", 5, 1000, 50), vpRead(1, "sql01:Hv VP 0", 5+int64(0.77*2e7), 1000+6160*83000, 50+6160),
		vpRead(0, "sql01:Hv VP 1", 5, 0, 0), vpRead(1, "sql01:Hv VP 1", 5+int64(0.40*2e7), 3200*9000, 3200),
	}
	tests := []struct {
		name string
		vps  []string
		want VMCounters
	}{
		{
			name: "wait per dispatch and dispatch rate per processor",
			vps:  saturated,
			want: VMCounters{CPUPercent: []float64{77, 40}, MeanCPUPercent: 58.5,
				WaitPerDispatch: []float64{83000, 9000}, DispatchesPerSecond: []float64{3080, 1600}, HasWait: true},
		},
		{
			name: "no dispatch between the reads: no wait, not unknown",
			vps:  []string{vpRead(0, "sql01:Hv VP 0", 5, 700, 9), vpRead(1, "sql01:Hv VP 0", 5, 700, 9)},
			want: VMCounters{CPUPercent: []float64{0}, WaitPerDispatch: []float64{0}, DispatchesPerSecond: []float64{0}, HasWait: true},
		},
		{
			name: "host without the counter: null pair, wait unknown",
			vps:  []string{vpRead(0, "sql01:Hv VP 0", 5, -1, -1), vpRead(1, "sql01:Hv VP 0", 5+int64(0.5*2e7), -1, -1)},
			want: VMCounters{CPUPercent: []float64{50}, MeanCPUPercent: 50},
		},
		{
			name: "older script: no pair at all",
			vps:  busy("VP", "sql01:Hv VP 0", 5, 50),
			want: VMCounters{CPUPercent: []float64{50}, MeanCPUPercent: 50},
		},
		{
			name: "one processor without the pair makes the VM's wait unknown",
			vps:  append(slices.Clone(saturated[:2]), busy("VP", "sql01:Hv VP 1", 5, 40)...),
			want: VMCounters{CPUPercent: []float64{77, 40}, MeanCPUPercent: 58.5},
		},
		{
			name: "wait count went back (a restart): unknown",
			vps:  []string{vpRead(0, "sql01:Hv VP 0", 5, 9000, 9), vpRead(1, "sql01:Hv VP 0", 5+int64(0.5*2e7), 10, 1)},
			want: VMCounters{CPUPercent: []float64{50}, MeanCPUPercent: 50},
		},
		{
			name: "German host: the class and property names are the same",
			vps:  []string{vpRead(0, "Datenbank (2):Hv VP 0", 5, 0, 0), vpRead(1, "Datenbank (2):Hv VP 0", 5+int64(0.5*2e7), 4000*20000, 4000)},
			want: VMCounters{CPUPercent: []float64{50}, MeanCPUPercent: 50, WaitPerDispatch: []float64{20000}, DispatchesPerSecond: []float64{2000}, HasWait: true},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := "[" + strings.Join(append(append(slices.Clone(lp), tc.vps...), mem), ",") + "]"
			got, err := parseCounters([]byte(out))
			if err != nil {
				t.Fatal(err)
			}
			if len(got.VMs) != 1 {
				t.Fatalf("VMs = %v, want one", got.VMs)
			}
			opt := cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) < 1e-6 })
			for _, vc := range got.VMs {
				if diff := cmp.Diff(tc.want, vc, opt); diff != "" {
					t.Errorf("counters (-want +got):\n%s", diff)
				}
			}
		})
	}
}
