package hyperv

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Realistic Windows PowerShell 5.1 ConvertTo-Json -Compress output.
const (
	psVMWeb01 = `{"Id":"3f1c2a9e-8b7d-4c6e-9f10-2a3b4c5d6e7f","Name":"web01","State":2,"CPUUsage":7,"ProcessorCount":4,"MemoryAssigned":4294967296,"MemoryDemand":3221225472,"MemoryStartup":4294967296,"DynamicMemoryEnabled":false,"IsClustered":false,"Uptime":{"Ticks":1234500000000,"Days":1,"Hours":10,"Milliseconds":0,"Minutes":17,"Seconds":30,"TotalDays":1.4288194444444444,"TotalHours":34.291666666666664,"TotalMilliseconds":123450000,"TotalMinutes":2057.5,"TotalSeconds":123450},"Notes":"role=sql\nowner=db-team","ComputerName":"HV01"}`
	psVMOff   = `{"Id":"0a1b2c3d-0000-4000-8000-000000000001","Name":"x\u0027; Stop-Computer -Force; \u0027","State":3,"CPUUsage":0,"ProcessorCount":2,"MemoryAssigned":0,"MemoryDemand":0,"MemoryStartup":2147483648,"DynamicMemoryEnabled":true,"IsClustered":true,"Uptime":{"Ticks":0,"Days":0,"Hours":0,"Milliseconds":0,"Minutes":0,"Seconds":0,"TotalDays":0,"TotalHours":0,"TotalMilliseconds":0,"TotalMinutes":0,"TotalSeconds":0},"Notes":"","ComputerName":"HV01"}`
	psVMOdd   = `{"Id":"0a1b2c3d-0000-4000-8000-000000000002","Name":"w\u00e9b \"01\"\n\u003cb\u003e \u0026 😀","State":9,"CPUUsage":0,"ProcessorCount":1,"MemoryAssigned":1073741824,"MemoryDemand":0,"MemoryStartup":1073741824,"DynamicMemoryEnabled":false,"IsClustered":false,"Uptime":null,"Notes":null,"ComputerName":"HV01","Extra":{"a":[1,2]}}`
)

var (
	wantWeb01 = VM{
		ID: "3f1c2a9e-8b7d-4c6e-9f10-2a3b4c5d6e7f", Name: "web01", State: VMStateRunning, CPUUsage: 7, ProcessorCount: 4,
		MemoryAssigned: 4294967296, MemoryDemand: 3221225472, MemoryStartup: 4294967296,
		Uptime: 123450 * time.Second, Notes: "role=sql\nowner=db-team",
		Tags: map[string]string{"role": "sql", "owner": "db-team"}, Host: "HV01",
	}
	wantOff = VM{
		ID: "0a1b2c3d-0000-4000-8000-000000000001", Name: "x'; Stop-Computer -Force; '", State: VMStateOff, ProcessorCount: 2,
		MemoryStartup: 2147483648, DynamicMemory: true, Clustered: true, Tags: map[string]string{}, Host: "HV01",
	}
	wantOdd = VM{
		ID: "0a1b2c3d-0000-4000-8000-000000000002", Name: "wéb \"01\"\n<b> & 😀", State: VMStatePaused, ProcessorCount: 1,
		MemoryAssigned: 1073741824, MemoryStartup: 1073741824, Tags: map[string]string{}, Host: "HV01",
	}
)

func TestParseVMs(t *testing.T) {
	tests := []struct {
		name string
		out  string
		want []VM
	}{
		{"empty", "", []VM{}},
		{"whitespace", " \r\n\t\r\n", []VM{}},
		{"null", "null\r\n", []VM{}},
		{"single object", psVMWeb01 + "\r\n", []VM{wantWeb01}},
		{"bom", "\xef\xbb\xbf" + psVMWeb01 + "\r\n", []VM{wantWeb01}},
		{"array", "[" + psVMWeb01 + "," + psVMOff + "," + psVMOdd + "]\r\n", []VM{wantWeb01, wantOff, wantOdd}},
		{"array with null", "[null," + psVMOff + "]", []VM{wantOff}},
		{"empty array", "[]", []VM{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseVMs([]byte(tc.out))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("VMs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseVMsErrors(t *testing.T) {
	tests := []struct {
		name string
		out  string
		want []string // substrings of the error
	}{
		{"name is a number", `{"Id":"a","Name":5}`, []string{"parse get-vms output", "field Name", "got number", "want a string"}},
		{"state is text", `[{"Id":"a","State":2},{"Id":"b","State":"Running"}]`, []string{"item 1", "field State", "want an integer"}},
		{"fractional memory", `{"Id":"a","MemoryAssigned":1.5}`, []string{"field MemoryAssigned", "number 1.5"}},
		{"uptime as text", `{"Id":"a","Uptime":"soon"}`, []string{"field Uptime", `string "soon"`, "TimeSpan"}},
		{"uptime without ticks", `{"Id":"a","Uptime":{"Days":1}}`, []string{"field Uptime", "TimeSpan"}},
		{"uptime overflow", `{"Id":"a","Uptime":{"Ticks":9223372036854775807}}`, []string{"field Uptime"}},
		{"missing id", `{"Name":"web01"}`, []string{"item 0", "field Id", "missing"}},
		{"truncated", `[{"Id":"a"`, []string{"parse get-vms output"}},
		{"syntax", `{"Id":"a",}`, []string{"invalid JSON"}},
		{"trailing", `{"Id":"a"} {"Id":"b"}`, []string{"trailing data"}},
		{"scalar", `"hello"`, []string{"got a string", "want a JSON object or array"}},
		{"array of numbers", `[1,2]`, []string{"item 0", "got a number"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseVMs([]byte(tc.out))
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, ErrUnexpectedOutput) {
				t.Errorf("error %q does not match ErrUnexpectedOutput", err)
			}
			for _, s := range tc.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q lacks %q", err, s)
				}
			}
		})
	}
}

func TestParseHost(t *testing.T) {
	const out = `{"Name":"HV01","FullyQualifiedDomainName":"HV01.lab.example","LogicalProcessorCount":32,"MemoryCapacity":274877906944,"VirtualMachineMigrationEnabled":true,"MaximumVirtualMachineMigrations":2,"VirtualMachineMigrationAuthenticationType":1,"VirtualMachineMigrationPerformanceOption":2,"Cluster":null}` + "\r\n"
	got, err := parseHost([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	want := HostInfo{Name: "HV01", FQDN: "HV01.lab.example", LogicalProcessors: 32, MemoryCapacity: 274877906944,
		MigrationEnabled: true, MaxMigrations: 2, AuthType: MigrationAuthKerberos, PerformanceOption: MigrationSMB}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("host (-want +got):\n%s", diff)
	}
	if _, err := parseHost(nil); !errors.Is(err, ErrUnexpectedOutput) {
		t.Errorf("empty output: got %v, want ErrUnexpectedOutput", err)
	}
	if _, err := parseHost([]byte("[" + out + "," + out + "]")); err == nil {
		t.Error("two hosts: no error")
	}
}

func TestParseLocation(t *testing.T) {
	tests := []struct {
		name   string
		out    string
		want   VMLocation
		wantOK bool
	}{
		{"not here", "", VMLocation{}, false},
		{"running", `{"Id":"3f1c2a9e-8b7d-4c6e-9f10-2a3b4c5d6e7f","Name":"web01","State":2,"Status":"Operating normally","ComputerName":"HV01","IsClustered":false}` + "\r\n",
			VMLocation{ID: "3f1c2a9e-8b7d-4c6e-9f10-2a3b4c5d6e7f", Name: "web01", Host: "HV01", State: VMStateRunning, Status: "Operating normally"}, true},
		{"migrating", `{"Id":"a","Name":"web01","State":2,"Status":"Migrating - 45% complete","ComputerName":"HV01","IsClustered":true}`,
			VMLocation{ID: "a", Name: "web01", Host: "HV01", State: VMStateRunning, Status: "Migrating - 45% complete", Clustered: true}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok, err := parseLocation(ScriptLocateVM, []byte(tc.out))
			if err != nil {
				t.Fatal(err)
			}
			if ok != tc.wantOK {
				t.Errorf("ok = %t, want %t", ok, tc.wantOK)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("location (-want +got):\n%s", diff)
			}
		})
	}
	loc, ok, err := parseClusterMove("id1", []byte(`{"Name":"web01","OwnerNode":"HV02","State":0}`))
	if err != nil || !ok {
		t.Fatalf("cluster move: %v %t", err, ok)
	}
	want := VMLocation{ID: "id1", Name: "web01", Host: "HV02", State: VMStateRunning, Status: "Online", Clustered: true}
	if diff := cmp.Diff(want, loc); diff != "" {
		t.Errorf("cluster move (-want +got):\n%s", diff)
	}
	if !(VMLocation{Status: "Migrating - 45% complete"}).Migrating() || want.Migrating() {
		t.Error("Migrating() wrong")
	}
}

func TestPSDate(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{`/Date(1700000000000)/`, time.UnixMilli(1700000000000).UTC(), true},
		{`/Date(1700000000000+0100)/`, time.UnixMilli(1700000000000).UTC(), true},
		{`/Date(1700000000123-0530)/`, time.UnixMilli(1700000000123).UTC(), true},
		{`/Date(-62135596800000)/`, time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{`2025-11-28T03:20:00.5+01:00`, time.Date(2025, 11, 28, 2, 20, 0, 5e8, time.UTC), true},
		{`/Date(abc)/`, time.Time{}, false},
		{`/Date(99999999999999999999)/`, time.Time{}, false},
		{`Date(1)`, time.Time{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, ok := parsePSDate(tc.in)
			if ok != tc.ok || !got.Equal(tc.want) || (ok && got.Location() != time.UTC) {
				t.Errorf("parsePSDate(%q) = %v, %t; want %v, %t", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestTimeSpanText(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"00:00:00", 0, true},
		{"1.10:17:30", 34*time.Hour + 17*time.Minute + 30*time.Second, true},
		{"-00:00:01.5", -1500 * time.Millisecond, true},
		{"00:00:00.0000001", 100, true},
		{"25:00:00", 0, false},
		{"abc", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, ok := parseTimeSpanText(tc.in)
			if got != tc.want || ok != tc.ok {
				t.Errorf("parseTimeSpanText(%q) = %v, %t; want %v, %t", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestQuoteNonFinite(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"a":1}`, `{"a":1}`},
		{`{"a":NaN,"b":"NaN is a string","c":-Infinity,"d":Infinity}`, `{"a":"NaN","b":"NaN is a string","c":"-Infinity","d":"Infinity"}`},
		{`{"a":"\"NaN"}`, `{"a":"\"NaN"}`},
	}
	for _, tc := range tests {
		if got := string(quoteNonFinite([]byte(tc.in))); got != tc.want {
			t.Errorf("quoteNonFinite(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
	var f struct{ V psFloat }
	list, err := decodeList[struct{ V psFloat }]("test", []byte(`{"V":NaN}`))
	if err != nil || len(list) != 1 || !math.IsNaN(float64(list[0].V)) {
		t.Errorf("bare NaN: %v %v %v", list, err, f)
	}
}
