package balancer_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/policy"
)

func planJSON(t *testing.T) (*balancer.Plan, string) {
	t.Helper()
	pl, err := balancer.NewPlanner(balancer.DefaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := pl.Plan(context.Background(), hotFleet(nil, nil), &fakeRules{}, "sha256:test", nil)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := p.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	return p, b.String()
}

func TestReadPlan(t *testing.T) {
	p, good := planJSON(t)
	tests := []struct {
		name     string
		in       string
		tampered bool
		want     string // error prefix; "" = no error
	}{
		{name: "as written", in: good},
		{name: "move redirected", in: strings.Replace(good, `"to": "hv02"`, `"to": "hv03"`, 1), tampered: true,
			want: "read plan " + p.ID + ": digest " + p.Checksum + ", content sha256:"},
		{name: "limit raised", in: strings.Replace(good, `"max_moves": 10`, `"max_moves": 99`, 1), tampered: true,
			want: "read plan " + p.ID + ": digest"},
		{name: "digest removed", in: strings.Replace(good, `"digest": "`+p.Checksum+`"`, `"digest": ""`, 1), tampered: true,
			want: "read plan " + p.ID + ": no digest"},
		{name: "other schema", in: strings.Replace(good, balancer.PlanSchema, "hvbalancer.plan/v2", 1),
			want: `read plan: schema "hvbalancer.plan/v2", want "hvbalancer.plan/v1"`},
		{name: "unknown field", in: strings.Replace(good, `"balanced"`, `"approved": true, "balanced"`, 1),
			want: `read plan: json: unknown field "approved"`},
		{name: "trailing data", in: good + "{}", want: "read plan: data after the plan"},
		{name: "not json", in: "plan", want: "read plan: invalid character"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := balancer.ReadPlan(strings.NewReader(tc.in))
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(p, got); diff != "" {
					t.Errorf("plan (-want +got):\n%s", diff)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("error %v, want prefix %q", err, tc.want)
			}
			if errors.Is(err, balancer.ErrTamperedPlan) != tc.tampered {
				t.Errorf("errors.Is(%v, ErrTamperedPlan) = %v", err, !tc.tampered)
			}
		})
	}
}

func TestPlanDigestAndExpiry(t *testing.T) {
	p, _ := planJSON(t)
	if p.Digest() != p.Checksum || !strings.HasPrefix(p.Digest(), "sha256:") {
		t.Errorf("digest %s, checksum %s", p.Digest(), p.Checksum)
	}
	if !strings.HasPrefix(p.ID, "plan-20260105-080000-") || len(p.ID) != len("plan-20260105-080000-1a2b3c4d") {
		t.Errorf("id %s", p.ID)
	}
	tests := []struct {
		at   time.Time
		want bool
	}{
		{taken, false},
		{taken.Add(59 * time.Minute), false},
		{taken.Add(time.Hour), true},
		{taken.Add(3 * time.Hour), true},
	}
	for _, tc := range tests {
		t.Run(tc.at.Format(time.Kitchen), func(t *testing.T) {
			if got := p.Expired(tc.at); got != tc.want {
				t.Errorf("Expired(%s) = %v", tc.at, got)
			}
		})
	}
	// A different policy is a different plan.
	pl, _ := balancer.NewPlanner(balancer.DefaultConfig(), nil)
	other, err := pl.Plan(context.Background(), hotFleet(nil, nil), &fakeRules{}, "sha256:other", nil)
	if err != nil {
		t.Fatal(err)
	}
	if other.ID == p.ID || other.Checksum == p.Checksum {
		t.Errorf("plans of different policies share id %s or digest", p.ID)
	}
}

func TestPolicyInput(t *testing.T) {
	s := fleet([]collector.Host{newHost("hv01", 16, 64, cluster("c1"), processor("GenuineIntel", "Intel64 Family 6 Model 106 Stepping 6"),
		versions("9.0", "10.0"), switches("prod"), vhdPath(`D:\VHD`), volume(`D:\`, "", 500)), newHost("hv02", 32, 128)},
		[]collector.VM{newVM("b", "hv01", 2, 8, vmVersion("9.0"), compatible(), vmSwitches("prod"), configPath(`D:\VMs\b`), disk(`D:\VHD\b.vhdx`, 40)),
			newVM("a", "hv01", 1.5, 4, state("Off"), configPath(`\\fs01\vms\a`), disk(`\\fs01\vms\a\a.vhdx`, 30))})
	s.VMs[1].Tags = map[string]string{"role": "sql"} // b; fleet sorts by ID
	h := policy.History{Moves: []policy.Event{
		{VM: "b", From: "hv02", To: "hv01", At: "2026-01-05T07:00:00Z"},
		{VM: "b", From: "hv01", To: "hv02", At: "2026-01-05T07:30:00Z"},
		{VM: "b", At: "yesterday"},
	}, MovesByVM: map[string]int{"b": 3}}
	in := balancer.PolicyInput(s, h, nil)
	want := &policy.Input{
		Now: "2026-01-05T08:00:00Z",
		Fleet: policy.Fleet{
			Hosts: map[string]policy.Host{
				"hv01": {Name: "hv01", Cluster: "c1", Labels: map[string]string{}, Health: "ok",
					Capacity: policy.Capacity{CPUs: 16, MemoryBytes: 64 * gib},
					CPU:      policy.CPULoad{Mean: 14.5, P95: 14.5}, Memory: policy.LoadStat{Mean: 25, P95: 25}, VMs: []string{"a", "b"},
					ProcessorVendor: "GenuineIntel", ProcessorModel: "Intel64 Family 6 Model 106 Stepping 6",
					ConfigVersions: []string{"9.0", "10.0"}, Switches: []string{"prod"}, VHDPath: `D:\VHD`,
					Volumes: []policy.Volume{{Path: `D:\`, Kind: "local", SizeBytes: 1000 * gib, FreeBytes: 500 * gib}}},
				"hv02": {Name: "hv02", Labels: map[string]string{}, Health: "ok",
					Capacity: policy.Capacity{CPUs: 32, MemoryBytes: 128 * gib},
					CPU:      policy.CPULoad{Mean: 2, P95: 2}, Memory: policy.LoadStat{Mean: 3.125, P95: 3.125}, VMs: []string{},
					ConfigVersions: []string{}, Switches: []string{}, Volumes: []policy.Volume{}},
			},
			VMs: map[string]policy.VM{
				"a": {Name: "a", Host: "hv01", State: "Off", CPUs: 4, MemoryBytes: 4 * gib, CPU: policy.CPULoad{Mean: 37.5, P95: 37.5},
					Tags: map[string]string{}, Switches: []string{}, Path: `\\fs01\vms\a`, Storage: "smb"},
				"b": {Name: "b", Host: "hv01", State: "Running", CPUs: 5, MemoryBytes: 8 * gib, CPU: policy.CPULoad{Mean: 40, P95: 40},
					Tags: map[string]string{"role": "sql"}, LastMigration: "2026-01-05T07:30:00Z",
					ConfigVersion: "9.0", ProcessorCompatibility: true, Switches: []string{"prod"}, Path: `D:\VMs\b`, Storage: "local", StorageBytes: 40 * gib},
			},
		},
		History: policy.History{Moves: h.Moves, Failures: []policy.Event{}, MovesByVM: map[string]int{"b": 3}},
	}
	if diff := cmp.Diff(want, in); diff != "" {
		t.Errorf("input (-want +got):\n%s", diff)
	}
	if got := balancer.PolicyInput(s, policy.History{}, nil).History.MovesByVM; got == nil {
		t.Error("no history gives nil moves_by_vm, want an empty map")
	}
}
