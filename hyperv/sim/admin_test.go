package sim

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/fleetfile"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/model"
)

func TestAdminHandler(t *testing.T) {
	f, clock := rulesFleet(t)
	clock.Advance(90 * time.Second)
	_, _ = f.Migrate(context.Background(), model.MigrationRequest{VMID: bigID, Source: "HV01", Destination: "HV06"}) // out of memory: one ledger entry
	srv := httptest.NewServer(AdminHandler(f))
	defer srv.Close()

	tests := []struct {
		name, method, path, body string
		wantStatus               int
		want                     string // JSON the answer must equal; empty to skip
		check                    func(t *testing.T, body map[string]any)
	}{
		{name: "clock", method: "GET", path: "/admin/clock", wantStatus: 200, want: `{"now": "2026-01-05T08:01:30Z", "speed": 0}`},
		{
			name: "ledger", method: "GET", path: "/admin/ledger", wantStatus: 200,
			check: func(t *testing.T, body map[string]any) {
				entries := body["entries"].([]any)
				e := entries[0].(map[string]any)
				if len(entries) != 1 || e["outcome"] != "failed" || e["hresult"] != float64(0x8007000E) || e["vm_name"] != "big" {
					t.Errorf("entries %v", entries)
				}
				hv01 := body["hosts"].(map[string]any)["HV01"].(map[string]any)
				if !cmp.Equal(hv01, map[string]any{"max": 2.0, "high_water": 0.0, "completed": 0.0, "failed": 1.0}) {
					t.Errorf("HV01 ledger %v", hv01)
				}
			},
		},
		{
			name: "fleet", method: "GET", path: "/admin/fleet", wantStatus: 200,
			check: func(t *testing.T, body map[string]any) {
				hosts, vms := body["hosts"].([]any), body["vms"].([]any)
				if len(hosts) != 8 || len(vms) != 5 || body["now"] != "2026-01-05T08:01:30Z" {
					t.Errorf("%d hosts, %d VMs at %v", len(hosts), len(vms), body["now"])
				}
				if h := hosts[0].(map[string]any); h["name"] != "HV01" || h["fqdn"] != "HV01.lab.example" || h["logical_processors"] != 16.0 {
					t.Errorf("first host %v", h)
				}
			},
		},
		{
			name: "get faults", method: "GET", path: "/admin/hosts/hv07/faults", wantStatus: 200,
			want: `{"unreachable": true, "latency": "0s", "wrong_credentials": false, "move_failure_rate": 0, "move_failure": "0x8009030E", "hang": false, "drop_connection": false, "crashed": false, "perf_counters_missing": false}`,
		},
		{
			name: "put faults", method: "PUT", path: "/admin/hosts/HV02/faults", wantStatus: 200,
			body: `{"latency": "250ms", "move_failure_rate": 0.25, "move_failure": "0x8009030d", "drop_connection": true}`,
			want: `{"unreachable": false, "latency": "250ms", "wrong_credentials": false, "move_failure_rate": 0.25, "move_failure": "0x8009030D", "hang": false, "drop_connection": true, "crashed": false, "perf_counters_missing": false}`,
		},
		{
			name: "put faults with an unknown field", method: "PUT", path: "/admin/hosts/HV02/faults", wantStatus: 400,
			body: `{"hung": true}`, want: `{"error": "decode faults: json: unknown field \"hung\""}`,
		},
		{
			name: "put faults that are not JSON", method: "PUT", path: "/admin/hosts/HV02/faults", wantStatus: 400,
			body: `hang=true`, want: `{"error": "decode faults: invalid character 'h' looking for beginning of value"}`,
		},
		{
			name: "put two faults objects", method: "PUT", path: "/admin/hosts/HV02/faults", wantStatus: 400,
			body: `{} {}`, want: `{"error": "decode faults: more than one JSON value"}`,
		},
		{
			name: "put faults with a bad duration", method: "PUT", path: "/admin/hosts/HV02/faults", wantStatus: 400,
			body: `{"latency": 5}`, want: `{"error": "decode faults: duration must be a string like \"90s\", got 5"}`,
		},
		{
			name: "put invalid faults", method: "PUT", path: "/admin/hosts/HV02/faults", wantStatus: 400,
			body: `{"move_failure_rate": 2}`, want: `{"error": "set faults of HV02: faults.move_failure_rate: must be between 0 and 1"}`,
		},
		{
			name: "get faults of an unknown host", method: "GET", path: "/admin/hosts/HV99/faults", wantStatus: 404,
			want: `{"error": "get faults of HV99: unknown host"}`,
		},
		{
			name: "put faults of an unknown host", method: "PUT", path: "/admin/hosts/HV99/faults", body: `{}`, wantStatus: 404,
			want: `{"error": "set faults of HV99: unknown host"}`,
		},
		{
			name: "crash", method: "POST", path: "/admin/hosts/HV01/crash", wantStatus: 200,
			check: func(t *testing.T, body map[string]any) {
				if body["name"] != "HV01" || body["faults"].(map[string]any)["crashed"] != true || body["cpu_percent"] != 0.0 {
					t.Errorf("crashed host %v", body)
				}
			},
		},
		{name: "crash an unknown host", method: "POST", path: "/admin/hosts/HV99/crash", wantStatus: 404, want: `{"error": "crash HV99: unknown host"}`},
		{name: "wrong method", method: "DELETE", path: "/admin/ledger", wantStatus: 405, want: `{"error": "method DELETE not allowed on /admin/ledger"}`},
		{name: "unknown path", method: "GET", path: "/admin/nope", wantStatus: 404, want: `{"error": "no such endpoint: /admin/nope"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.wantStatus || resp.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("%s %s: %d %s\n%s", tc.method, tc.path, resp.StatusCode, resp.Header.Get("Content-Type"), raw)
			}
			var got map[string]any
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatalf("answer is not a JSON object: %v\n%s", err, raw)
			}
			if tc.want != "" {
				var want map[string]any
				if err := json.Unmarshal([]byte(tc.want), &want); err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("answer (-want +got):\n%s", diff)
				}
			}
			if tc.check != nil {
				tc.check(t, got)
			}
		})
	}
	if fl, _ := f.Faults("HV02"); fl.MoveFailure != "0x8009030D" || fl.Latency != fleetfile.Duration(250*time.Millisecond) {
		t.Errorf("faults after the failed PUTs: %+v", fl)
	}
}

func TestAdminMethodNotAllowedNamesTheAllowedOnes(t *testing.T) {
	f, _ := rulesFleet(t)
	rec := httptest.NewRecorder()
	AdminHandler(f).ServeHTTP(rec, httptest.NewRequest("POST", "/admin/hosts/HV01/faults", nil))
	if rec.Code != 405 || rec.Header().Get("Allow") != "GET, PUT" {
		t.Errorf("%d, Allow %q", rec.Code, rec.Header().Get("Allow"))
	}
}

func TestAdminClockReportsTheSpeed(t *testing.T) {
	spec := &fleetfile.FleetSpec{Speed: 60, Hosts: []fleetfile.HostSpec{{Name: "HV01", LogicalProcessors: 4, MemoryGiB: 16}}}
	f, err := model.NewFleet(spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	AdminHandler(f).ServeHTTP(rec, httptest.NewRequest("GET", "/admin/clock", nil))
	var got struct {
		Now   time.Time `json:"now"`
		Speed float64   `json:"speed"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || got.Speed != 60 || got.Now.Before(fleetfile.DefaultStart) {
		t.Errorf("clock %+v, %v", got, err)
	}
}

// bigID is the VM of rulesFleet that fits on no host but its own.
const bigID = "3f1c2a4b-5d6e-4f70-8a9b-0c1d2e3f4a5c"

// rulesFleet has a host for every way a migration can be refused, as the
// model's own tests have, so the admin API shows each of them.
func rulesFleet(t *testing.T) (*model.Fleet, *model.ManualClock) {
	t.Helper()
	off := false
	hosts := []fleetfile.HostSpec{
		{Name: "HV01", LogicalProcessors: 16, MemoryGiB: 64},
		{Name: "HV02", LogicalProcessors: 16, MemoryGiB: 64},
		{Name: "HV03", LogicalProcessors: 16, MemoryGiB: 64, Cluster: "CL01"},
		{Name: "HV04", LogicalProcessors: 16, MemoryGiB: 64, Cluster: "CL01"},
		{Name: "HV05", LogicalProcessors: 16, MemoryGiB: 64, MigrationEnabled: &off},
		{Name: "HV06", LogicalProcessors: 16, MemoryGiB: 16},
		{Name: "HV07", LogicalProcessors: 16, MemoryGiB: 64, Faults: fleetfile.Faults{Unreachable: true}},
		{Name: "HV08", LogicalProcessors: 16, MemoryGiB: 64, Faults: fleetfile.Faults{Crashed: true}},
	}
	vms := []fleetfile.VMSpec{
		{ID: "3f1c2a4b-5d6e-4f70-8a9b-0c1d2e3f4a5b", Name: "web01", Host: "HV01", CPUs: 2, MemoryGiB: 4},
		{ID: bigID, Name: "big", Host: "HV01", CPUs: 2, MemoryGiB: 16},
		{ID: "3f1c2a4b-5d6e-4f70-8a9b-0c1d2e3f4a5d", Name: "sql01", Host: "HV03", CPUs: 4, MemoryGiB: 8, Clustered: true},
		{ID: "3f1c2a4b-5d6e-4f70-8a9b-0c1d2e3f4a5e", Name: "plain", Host: "HV03", CPUs: 1, MemoryGiB: 1},
		{ID: "3f1c2a4b-5d6e-4f70-8a9b-0c1d2e3f4a5f", Name: "alone", Host: "HV05", CPUs: 1, MemoryGiB: 1},
	}
	clock := model.NewManualClock(fleetfile.DefaultStart)
	f, err := model.NewFleet(&fleetfile.FleetSpec{Seed: 11, Hosts: hosts, VMs: vms}, clock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f, clock
}
