package fleetfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const demoFleetPath = "../../../examples/fleets/demo.yaml"

func TestLoadFleetDemo(t *testing.T) {
	s, err := LoadFleet(demoFleetPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Hosts) != 8 || len(s.VMs) != 120 {
		t.Errorf("demo has %d hosts and %d VMs, want 8 and 120", len(s.Hosts), len(s.VMs))
	}
	names := map[string]int{}
	var off, dynamic, clustered int
	tags := map[string]bool{}
	for _, v := range s.VMs {
		names[v.Name]++
		if v.State == "Off" {
			off++
		}
		if v.Dynamic {
			dynamic++
		}
		if v.Clustered {
			clustered++
		}
		for _, line := range strings.Split(v.Notes, "\n") {
			tags[line] = true
		}
	}
	for _, hostile := range []string{"x'; Stop-Computer -Force; '", `db <&> "reports"`, "résumé-サーバー-01"} {
		if names[hostile] != 1 {
			t.Errorf("demo lacks the VM named %q", hostile)
		}
	}
	if names["legacy-app"] != 2 {
		t.Errorf("demo has %d VMs named legacy-app, want 2", names["legacy-app"])
	}
	for _, tag := range []string{"role=sql", "rack=b", "env=lab", "tier=web"} {
		if !tags[tag] {
			t.Errorf("no VM carries the Notes tag %s", tag)
		}
	}
	if off == 0 || dynamic == 0 || clustered == 0 {
		t.Errorf("demo has %d off, %d dynamic and %d clustered VMs, want some of each", off, dynamic, clustered)
	}
}

func TestParseFleetInvalid(t *testing.T) {
	tests := map[string]string{
		"invalid-cluster.yaml": `hosts[1].cluster: must be 1 to 15 letters, digits or hyphens
vms[0].clustered: host HV01 is in no cluster
vms[1].cpus: 16 exceed the 8 logical processors of host HV02`,
		"invalid-duplicates.yaml": `hosts[1].name: duplicate host name "hv01" (also hosts[0])
vms[1].id: duplicate VM id "3f1c2a4b-5d6e-4f70-8a9b-0c1d2e3f4a5b" (also vms[0])`,
		"invalid-duration.yaml": `decode fleet: line 4: invalid duration "soon" (want e.g. "90s" or "24h")`,
		"invalid-dynamic-memory.yaml": `vms[0].memory_min_gib: must not exceed memory_gib
vms[1].memory_max_gib: must be >= memory_gib
vms[2].memory_min_gib: must be > 0
vms[2].memory_max_gib: must be >= memory_gib
vms[3].memory_min_gib: only valid with dynamic: true
vms[3].memory_max_gib: only valid with dynamic: true`,
		"invalid-empty.yaml": `decode fleet: empty document`,
		"invalid-faults.yaml": `hosts[0].faults.latency: must be >= 0
hosts[0].faults.move_failure_rate: must be between 0 and 1
hosts[0].faults.move_failure: must be one of 0x8009030E, 0x8009030D, 0x800705B4, 0x8007274D, 0x8007000E`,
		"invalid-host-memory.yaml": `hosts[0].memory_gib: must be > 0`,
		"invalid-limits.yaml": `hosts[0].max_migrations: must be between 1 and 64
hosts[0].overhead_percent: must be >= 0 and below 100
vms[0].name: must not contain control characters
vms[0].notes: must not contain control characters other than tab and line breaks
vms[0].dirty_rate_mbps: must be > 0 and at most 1048576
vms[0].uptime: must be >= 0`,
		"invalid-many.yaml": `speed: must be > 0
domain: must be a DNS name such as lab.example
hosts[0].logical_processors: must be between 1 and 2048
hosts[0].reserve_gib: must be less than memory_gib
hosts[0].authentication: must be Kerberos or CredSSP
hosts[1].name: must be 1 to 15 letters, digits or hyphens
hosts[1].performance: must be TCPIP, Compression or SMB
hosts[1].bandwidth_gbps: must be > 0 and at most 1000
vms[0].name: must not be empty
vms[0].host: unknown host "HV09"
vms[0].state: must be Running, Off, Saved or Paused
vms[0].cpus: must be >= 1
vms[0].memory_gib: must be > 0
vms[1].id: must be a GUID such as 3f1c2a4b-5d6e-4f70-8a9b-0c1d2e3f4a5b
vms[1].load.profile: must be steady, diurnal, bursty or randomwalk
vms[1].load.cpu: must be between 0 and 1
vms[1].load.amplitude: must be between 0 and 1
vms[1].load.memory: must be > 0 and at most 1`,
		"invalid-lockout.yaml": `credentials.lockout.threshold: must be between 0 (never lock) and 999
credentials.lockout.duration: must be between 1m and 99999m, as Windows allows
credentials.lockout.window: must not be longer than duration (30s), as Windows requires`,
		"invalid-winrm.yaml": `hosts[0].winrm.auth: must list at least one of negotiate, kerberos, basic
hosts[1].winrm: give basic or auth, not both: basic turns Basic on or off in the inherited auth list
hosts[2].winrm.basic: false leaves the host no authentication scheme
hosts[3].winrm.auth[1]: ntlm is not a WinRM service scheme: NTLM is accepted through negotiate
hosts[3].winrm.auth[2]: negotiate is listed twice
hosts[3].winrm.auth[3]: unknown scheme "digest" (want negotiate, kerberos or basic)`,
		"invalid-winrm-key.yaml": `decode fleet: yaml: unmarshal errors:
  line 3: field allow_unencripted not found in type fleetfile.WinRMSpec
  line 4: cannot unmarshal !!str ` + "`maybe`" + ` into bool`,
		"invalid-memory-fit.yaml":    `hosts[0].memory_gib: running VMs need 64 GiB of startup memory but only 56 GiB is free after the reserve`,
		"invalid-no-hosts.yaml":      `hosts: must list at least one host`,
		"invalid-two-documents.yaml": `decode fleet: more than one YAML document`,
		"invalid-unknown-key.yaml": `decode fleet: yaml: unmarshal errors:
  line 6: field colour not found in type fleetfile.HostSpec
  line 12: field laod not found in type fleetfile.VMSpec`,
	}
	files, err := filepath.Glob("testdata/invalid-*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		if _, ok := tests[filepath.Base(file)]; !ok {
			t.Errorf("%s has no expected message", file)
		}
	}
	for name, want := range tests {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			s, err := ParseFleet(data)
			if err == nil {
				t.Fatalf("ParseFleet accepted it: %+v", s)
			}
			if diff := cmp.Diff(want, err.Error()); diff != "" {
				t.Errorf("message (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseFleetReportsFieldErrors(t *testing.T) {
	data, err := os.ReadFile("testdata/invalid-many.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, err = ParseFleet(data)
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Path != "speed" {
		t.Fatalf("errors.As(%v) = %v, want the speed *FieldError first", err, fe)
	}
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		t.Fatalf("%T is not a joined error", err)
	}
	for _, e := range joined.Unwrap() {
		if !errors.As(e, &fe) {
			t.Errorf("%v is not a *FieldError", e)
		}
	}
}

func TestParseFleetDefaults(t *testing.T) {
	s, err := ParseFleet([]byte(`
hosts:
  - {name: HV01, logical_processors: 16, memory_gib: 128, authentication: credssp, performance: smb}
vms:
  - {name: web01, host: hv01, cpus: 2, memory_gib: 4, state: off, load: {profile: Diurnal}}
  - {id: 3F1C2A4B-5D6E-4F70-8A9B-0C1D2E3F4A5B, name: web02, host: HV01, cpus: 2, memory_gib: 4}
`))
	if err != nil {
		t.Fatal(err)
	}
	enabled, threshold := true, 5
	want := &FleetSpec{
		Name: "fleet", Start: DefaultStart, Speed: 1, Domain: "lab.example",
		Credentials: Credentials{Username: "hvadmin", Password: "hvsim-demo-password",
			Lockout: Lockout{Threshold: &threshold, Window: Duration(30 * time.Minute), Duration: Duration(30 * time.Minute)}},
		Hosts: []HostSpec{{
			Name: "HV01", LogicalProcessors: 16, MemoryGiB: 128, ReserveGiB: 4, MaxMigrations: 2, MigrationEnabled: &enabled,
			Authentication: "CredSSP", Performance: "SMB", BandwidthGbps: 10, OverheadPercent: 3,
		}},
		VMs: []VMSpec{
			{
				ID: deriveID(0, 0, "web01"), Name: "web01", Host: "hv01", State: "Off", CPUs: 2, MemoryGiB: 4, DirtyRateMBps: 50,
				Load: Load{Profile: "diurnal", Period: Duration(24 * time.Hour), Memory: 0.6},
			},
			{
				ID: "3f1c2a4b-5d6e-4f70-8a9b-0c1d2e3f4a5b", Name: "web02", Host: "HV01", State: "Running", CPUs: 2, MemoryGiB: 4,
				DirtyRateMBps: 50, Load: Load{Profile: "steady", Memory: 0.6},
			},
		},
	}
	if diff := cmp.Diff(want, s); diff != "" {
		t.Errorf("parsed fleet (-want +got):\n%s", diff)
	}
	if !validGUID(want.VMs[0].ID) || want.VMs[0].ID != strings.ToLower(want.VMs[0].ID) || want.VMs[0].ID[14] != '4' {
		t.Errorf("derived ID %s is not a lower-case version-4 GUID", want.VMs[0].ID)
	}
}

func TestFleetMarshalRoundTrips(t *testing.T) {
	s, err := LoadFleet(demoFleetPath)
	if err != nil {
		t.Fatal(err)
	}
	s.Hosts[0].Faults = Faults{Latency: Duration(1500 * time.Millisecond), MoveFailureRate: 0.25, MoveFailure: "0x800705b4"}
	s.Hosts[0].Faults.Normalize()
	s.VMs[0].Uptime = Duration(72 * time.Hour)
	data, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseFleet(data)
	if err != nil {
		t.Fatalf("ParseFleet(Marshal()): %v\n%s", err, data)
	}
	if diff := cmp.Diff(s, back, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if back.Hosts[0].Faults.MoveFailure != "0x800705B4" {
		t.Errorf("move_failure = %q, want the canonical 0x800705B4", back.Hosts[0].Faults.MoveFailure)
	}
}

func TestLoadFleetMissingFile(t *testing.T) {
	_, err := LoadFleet(filepath.Join(t.TempDir(), "none.yaml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("err = %v, want os.ErrNotExist", err)
	}
}

func TestDurationJSON(t *testing.T) {
	tests := []struct {
		in      string
		want    Duration
		wantErr string
	}{
		{in: `"90s"`, want: Duration(90 * time.Second)},
		{in: `"1h30m"`, want: Duration(90 * time.Minute)},
		{in: `"0s"`, want: 0},
		{in: `90`, wantErr: `duration must be a string like "90s", got 90`},
		{in: `"soon"`, wantErr: `invalid duration "soon" (want e.g. "90s" or "24h")`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			var d Duration
			err := d.UnmarshalJSON([]byte(tc.in))
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || d != tc.want {
				t.Fatalf("got %v, %v; want %v", d, err, tc.want)
			}
			out, err := d.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			var back Duration
			if err := back.UnmarshalJSON(out); err != nil || back != d {
				t.Errorf("%s does not round-trip: %v, %v", out, back, err)
			}
		})
	}
}

func FuzzParseFleet(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	files = append(files, demoFleetPath, storageFleetPath)
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("hosts: [{name: HV01, logical_processors: 4, memory_gib: 8}]\nvms: [{name: a, host: HV01, cpus: 1, memory_gib: 1}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseFleet(data)
		if err != nil {
			return
		}
		out, err := s.Marshal()
		if err != nil {
			t.Fatalf("Marshal of a valid fleet: %v", err)
		}
		back, err := ParseFleet(out)
		if err != nil {
			t.Fatalf("ParseFleet(Marshal()) = %v\n%s", err, out)
		}
		if diff := cmp.Diff(s, back, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("round trip (-want +got):\n%s", diff)
		}
	})
}
