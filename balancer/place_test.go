package balancer_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/policy"
)

// placeFleet: hv01..hv03 at 20, 40 and 60 % CPU (32 LPs, 256 GiB),
// hv04 hot at 80 %, hv05 in maintenance and idle, hv06 stale and idle,
// hv07 idle with its memory nearly full.
func placeFleet() *collector.Snapshot {
	hosts := []collector.Host{
		newHost("hv01", 32, 256), newHost("hv02", 32, 256), newHost("hv03", 32, 256),
		newHost("hv04", 32, 256), newHost("hv05", 32, 256, maintenance()),
		newHost("hv06", 32, 256, health(collector.HealthStale)), newHost("hv07", 32, 256),
	}
	cpu := map[string]float64{"hv01": 20, "hv02": 40, "hv03": 60, "hv04": 80, "hv05": 2, "hv06": 2, "hv07": 2}
	var vms []collector.VM
	vms = append(vms, newVM("g01", "hv07", 0.2, 232))
	s := fleet(hosts, vms)
	for i := range s.Hosts {
		h := &s.Hosts[i]
		c := cpu[h.Name]
		h.CPU = collector.Stat{Last: c, Mean: c, P95: c, Max: c}
	}
	return s
}

func place(t *testing.T, s *collector.Snapshot, rules balancer.Rules, req balancer.PlaceRequest) *balancer.Placement {
	t.Helper()
	p, err := balancer.Place(context.Background(), s, balancer.DefaultConfig(), rules, req)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func rankedHosts(p *balancer.Placement) []string {
	var out []string
	for _, c := range p.Ranked {
		out = append(out, c.Host)
	}
	return out
}

func refusedBy(p *balancer.Placement) map[string]balancer.PlaceReason {
	out := map[string]balancer.PlaceReason{}
	for _, r := range p.Refused {
		out[r.Host] = r.Reason
	}
	return out
}

// TestPlaceRanksByTheObjective: the least loaded host that takes the VM
// comes first, then the others by the imbalance they would leave; hot,
// maintenance, stale and full hosts are refused with why.
func TestPlaceRanksByTheObjective(t *testing.T) {
	s := placeFleet()
	rules := &fakeRules{}
	p := place(t, s, rules, balancer.PlaceRequest{CPUs: 4, MemoryBytes: 16 * gib})
	if got, want := rankedHosts(p), []string{"hv01", "hv02", "hv03"}; !slices.Equal(got, want) {
		t.Errorf("ranked %v, want %v", got, want)
	}
	want := map[string]balancer.PlaceReason{
		"hv04": balancer.PlaceCPU, "hv05": balancer.PlaceMaintenance,
		"hv06": balancer.PlaceUnhealthy, "hv07": balancer.PlaceMemoryHigh,
	}
	if diff := cmp.Diff(want, refusedBy(p)); diff != "" {
		t.Errorf("refused (-want +got):\n%s", diff)
	}
	for _, r := range p.Refused {
		if !strings.HasPrefix(r.Message, "host "+r.Host+" ") {
			t.Errorf("%s: message %q does not name the host", r.Host, r.Message)
		}
	}
	best := p.Ranked[0]
	// 4 vCPUs, taken to be busy, on 32 LPs: 12.5 points; 16 GiB of 256:
	// 6.25.
	if best.CPUBefore != 20 || best.CPUAfter != 32.5 || math.Abs(best.MemoryAfter-best.MemoryBefore-6.25) > 1e-9 {
		t.Errorf("best %+v, want CPU 20 → 32.5 and memory up 6.25 points", best)
	}
	for i := 1; i < len(p.Ranked); i++ {
		if p.Ranked[i].Score < p.Ranked[i-1].Score {
			t.Errorf("ranked out of order: %+v", p.Ranked)
		}
	}
	if p.Candidates != 3 || p.CPULimit != 75 || p.MemoryLimit != 85 || p.Request.CPULoad != 100 {
		t.Errorf("candidates %d, limits %v/%v, cpu load %v", p.Candidates, p.CPULimit, p.MemoryLimit, p.Request.CPULoad)
	}
	// Only the hosts within the hard limits are judged, each as a VM
	// from no host.
	var judged []string
	for _, m := range rules.judged {
		if m.VM != balancer.NewVMID || m.From != "" {
			t.Errorf("judged %+v, want the new VM from no host", m)
		}
		judged = append(judged, m.To)
	}
	if !slices.Equal(judged, []string{"hv01", "hv02", "hv03"}) {
		t.Errorf("judged %v", judged)
	}

	// The expected load counts: 8 busy vCPUs (25 points) take hv03 past
	// cpu_high, at 25 % they are 6.25 points and it takes them.
	p = place(t, s, &fakeRules{}, balancer.PlaceRequest{CPUs: 8, MemoryBytes: 16 * gib})
	if got := rankedHosts(p); !slices.Equal(got, []string{"hv01", "hv02"}) || refusedBy(p)["hv03"] != balancer.PlaceCPU {
		t.Errorf("8 busy vCPUs: ranked %v, refused %v; want hv01, hv02 and hv03 refused for CPU", got, p.Refused)
	}
	p = place(t, s, &fakeRules{}, balancer.PlaceRequest{CPUs: 8, MemoryBytes: 16 * gib, CPULoad: 25, Top: 2})
	if got := rankedHosts(p); !slices.Equal(got, []string{"hv01", "hv02"}) || p.Candidates != 3 {
		t.Errorf("ranked %v of %d, want hv01, hv02 of 3", got, p.Candidates)
	}
	if p.Best() != "hv01" {
		t.Errorf("best %q", p.Best())
	}
}

// TestPlacePenaltyAndDeny: a penalty moves a host down the ranking, and a
// deny refuses it with the policy's messages.
func TestPlacePenaltyAndDeny(t *testing.T) {
	rules := &fakeRules{
		penalty: func(m policy.Move, _ policy.Projected) float64 {
			if m.To == "hv01" {
				return 100
			}
			return 0
		},
		deny: func(m policy.Move, p policy.Projected) []string {
			if m.To == "hv02" {
				return []string{"new-vm: not on hv02", "new-vm: nor there"}
			}
			if m.To == "hv03" && !slices.Contains(p.To.VMs, balancer.NewVMID) {
				return []string{"the projected host lacks the new VM"}
			}
			return nil
		},
	}
	p := place(t, placeFleet(), rules, balancer.PlaceRequest{CPUs: 2, MemoryBytes: 4 * gib})
	if got := rankedHosts(p); !slices.Equal(got, []string{"hv03", "hv01"}) {
		t.Errorf("ranked %v, want hv03 then hv01 (penalized)", got)
	}
	if c := p.Ranked[1]; c.Penalty != 100 || c.Score != c.Imbalance+100 {
		t.Errorf("hv01: %+v, want its score its imbalance plus the penalty 100", c)
	}
	for _, r := range p.Refused {
		if r.Host != "hv02" {
			continue
		}
		if r.Reason != balancer.PlacePolicy || !slices.Equal(r.Deny, []string{"new-vm: not on hv02", "new-vm: nor there"}) ||
			r.Message != "denied by the policy: new-vm: not on hv02; new-vm: nor there" {
			t.Errorf("hv02 refused %+v", r)
		}
	}
	if refusedBy(p)["hv02"] != balancer.PlacePolicy {
		t.Errorf("hv02 not refused by the policy: %+v", p.Refused)
	}

	rules = &fakeRules{err: errJudge}
	if _, err := balancer.Place(context.Background(), placeFleet(), balancer.DefaultConfig(), rules, balancer.PlaceRequest{CPUs: 2, MemoryBytes: 4 * gib}); !errors.Is(err, errJudge) {
		t.Errorf("a policy that cannot judge: %v, want errJudge", err)
	}
}

// TestPlaceTiesAreDeterministic: identical hosts rank by name, whatever
// the snapshot's order.
func TestPlaceTiesAreDeterministic(t *testing.T) {
	var hosts []collector.Host
	for _, n := range []string{"hv09", "hv03", "hv01", "hv07", "hv05"} {
		hosts = append(hosts, newHost(n, 16, 128))
	}
	s := fleet(hosts, nil)
	slices.Reverse(s.Hosts)
	want := []string{"hv01", "hv03", "hv05", "hv07", "hv09"}
	for range 3 {
		p := place(t, s, &fakeRules{}, balancer.PlaceRequest{CPUs: 2, MemoryBytes: 2 * gib})
		if got := rankedHosts(p); !slices.Equal(got, want) {
			t.Fatalf("ranked %v, want %v", got, want)
		}
		if p.Ranked[0].Score != p.Ranked[4].Score {
			t.Errorf("identical hosts scored apart: %+v", p.Ranked)
		}
		slices.Reverse(s.Hosts)
	}
}

// TestPlaceClusterVersionAndProcessors: the request's cluster and
// configuration version, and the VM's virtual processors, bound the hosts.
func TestPlaceClusterVersionAndProcessors(t *testing.T) {
	s := fleet([]collector.Host{
		newHost("hv01", 32, 256, cluster("CL1"), versions("9.0", "10.0")),
		newHost("hv02", 32, 256, cluster("CL1"), versions("9.0")),
		newHost("hv03", 8, 256, cluster("CL1")),
		newHost("hv04", 32, 256),
	}, nil)
	p := place(t, s, &fakeRules{}, balancer.PlaceRequest{CPUs: 12, MemoryBytes: 8 * gib, Cluster: "cl1", ConfigVersion: "10.0", CPULoad: 10})
	if got := rankedHosts(p); !slices.Equal(got, []string{"hv01"}) {
		t.Errorf("ranked %v, want hv01", got)
	}
	want := map[string]balancer.PlaceReason{"hv02": balancer.PlaceConfigVersion, "hv03": balancer.PlaceProcessors, "hv04": balancer.PlaceCluster}
	if diff := cmp.Diff(want, refusedBy(p)); diff != "" {
		t.Errorf("refused (-want +got):\n%s", diff)
	}
	for _, r := range p.Refused {
		if r.Host == "hv04" && r.Message != "host hv04 is not a node of cluster cl1 (stand-alone)" {
			t.Errorf("hv04: %q", r.Message)
		}
	}
}

// TestPlaceWithTheShippedPolicy: the shipped rules judge the new VM as
// they judge a move: anti-affinity keeps a role=sql VM off the hosts that
// hold one, naming the rule's message, and a pin allows only its host.
func TestPlaceWithTheShippedPolicy(t *testing.T) {
	e := loadShipped(t)
	s := policyFleet(time.Date(2026, 1, 10, 2, 0, 0, 0, time.UTC)) // Saturday night
	judge := func(req balancer.PlaceRequest) *balancer.Placement {
		t.Helper()
		session, err := e.Begin(context.Background(), balancer.PlacementInput(s, policy.History{}, time.UTC, &req))
		if err != nil {
			t.Fatal(err)
		}
		return place(t, s, session, req)
	}
	p := judge(balancer.PlaceRequest{Name: "sql9", CPUs: 2, MemoryBytes: 8 * gib, Tags: map[string]string{"Role": "SQL"}})
	for _, r := range p.Refused {
		switch r.Host {
		case "hv01":
			if r.Reason != balancer.PlaceCPU {
				t.Errorf("hv01 (hot): %+v", r)
			}
		case "hv02":
			if r.Reason != balancer.PlacePolicy || len(r.Deny) != 1 || !strings.HasPrefix(r.Deny[0], "sql9: anti-affinity role=sql with ") {
				t.Errorf("%s: %+v, want the anti-affinity rule's message", r.Host, r)
			}
		case "hv06":
			if r.Reason != balancer.PlaceMaintenance {
				t.Errorf("hv06: %+v", r)
			}
		default:
			t.Errorf("%s refused: %+v", r.Host, r)
		}
	}
	if got := rankedHosts(p); !slices.Equal(slices.Sorted(slices.Values(got)), []string{"hv03", "hv04", "hv05"}) {
		t.Errorf("ranked %v, want hv03, hv04, hv05", got)
	}

	p = judge(balancer.PlaceRequest{CPUs: 2, MemoryBytes: 8 * gib, Tags: map[string]string{"pin": "HV04"}})
	if got := rankedHosts(p); !slices.Equal(got, []string{"hv04"}) {
		t.Errorf("ranked %v, want only hv04 (pinned)", got)
	}
	for _, r := range p.Refused {
		if r.Host == "hv03" && (len(r.Deny) != 1 || r.Deny[0] != "new-vm: pinned to hv04") {
			t.Errorf("hv03: %+v, want the pin rule's message", r)
		}
	}
}

func TestPlaceRequestBounds(t *testing.T) {
	ok := balancer.PlaceRequest{CPUs: 4, MemoryBytes: 16 * gib}
	for _, tc := range []struct {
		name string
		edit func(*balancer.PlaceRequest)
		want string
	}{
		{"no cpus", func(r *balancer.PlaceRequest) { r.CPUs = 0 }, "cpus 0: a VM has 1 to 240 virtual processors"},
		{"too many cpus", func(r *balancer.PlaceRequest) { r.CPUs = 241 }, "cpus 241"},
		{"too little memory", func(r *balancer.PlaceRequest) { r.MemoryBytes = 31 << 20 }, "a VM has 32 MiB to 12 TiB"},
		{"too much memory", func(r *balancer.PlaceRequest) { r.MemoryBytes = 13 << 40 }, "a VM has 32 MiB to 12 TiB"},
		{"load", func(r *balancer.PlaceRequest) { r.CPULoad = 101 }, "cpu_load 101"},
		{"NaN load", func(r *balancer.PlaceRequest) { r.CPULoad = math.NaN() }, "cpu_load NaN"},
		{"tag name", func(r *balancer.PlaceRequest) { r.Tags = map[string]string{"ro le": "web"} }, `tag "ro le"`},
		{"long tag name", func(r *balancer.PlaceRequest) { r.Tags = map[string]string{strings.Repeat("k", 64): "web"} }, "a tag's name has 1 to 63"},
		{"tag twice", func(r *balancer.PlaceRequest) { r.Tags = map[string]string{"Role": "web", "role": "sql"} }, "tag role given twice"},
		{"tag value", func(r *balancer.PlaceRequest) { r.Tags = map[string]string{"role": "web\nsql"} }, "tag role: control characters"},
		{"long tag value", func(r *balancer.PlaceRequest) { r.Tags = map[string]string{"role": strings.Repeat("w", 257)} }, "tag role: at most 256 characters"},
		{"cluster", func(r *balancer.PlaceRequest) { r.Cluster = strings.Repeat("c", 64) }, "cluster: at most 63"},
		{"name", func(r *balancer.PlaceRequest) { r.Name = "a\x00b" }, "name: control characters"},
		{"not UTF-8", func(r *balancer.PlaceRequest) { r.Name = "\xff" }, "name: not UTF-8"},
		{"version", func(r *balancer.PlaceRequest) { r.ConfigVersion = "ten" }, `config_version "ten"`},
		{"top", func(r *balancer.PlaceRequest) { r.Top = -1 }, "top -1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ok
			tc.edit(&r)
			err := r.Validate()
			if !errors.Is(err, balancer.ErrPlaceRequest) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want ErrPlaceRequest saying %q", err, tc.want)
			}
			if _, perr := balancer.Place(context.Background(), placeFleet(), balancer.DefaultConfig(), &fakeRules{}, r); !errors.Is(perr, balancer.ErrPlaceRequest) {
				t.Errorf("Place: %v, want ErrPlaceRequest", perr)
			}
		})
	}
	if err := ok.Validate(); err != nil {
		t.Errorf("a good request: %v", err)
	}
}

func TestParseMemorySize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		err  string
	}{
		{"16GiB", 16 * gib, ""},
		{"512 MiB", 512 << 20, ""},
		{"1.5TiB", 3 << 39, ""},
		{"4gb", 4 * gib, ""},
		{"16", 0, "a size with its unit"},
		{"GiB", 0, "a size with its unit"},
		{"16 PiB", 0, `unit "PiB"`},
		{"-1GiB", 0, "a size with its unit"},
		{"99999999999999TiB", 0, "a VM has 32 MiB to 12 TiB"},
		{"1e3GiB", 0, `unit "e3GiB"`},
	} {
		got, err := balancer.ParseMemorySize(tc.in)
		switch {
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("%q: %d, %v; want %d", tc.in, got, err, tc.want)
		case tc.err != "" && (!errors.Is(err, balancer.ErrPlaceRequest) || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%q: error %v, want one saying %q", tc.in, err, tc.err)
		}
	}
}

// BenchmarkPlace places a VM on the 64 × 8,000 benchmark fleet with the
// shipped policy: the session begun on the fleet with the new VM, and
// every host judged. Every host of that fleet holds a role=sql VM and is
// a cluster node, so the VM is a web server of cluster cl1.
func BenchmarkPlace(b *testing.B) {
	s := withStorage(benchFleet(64, 8000, 4))
	e, err := policy.Load(policy.Options{Dir: shippedPolicy})
	if err != nil {
		b.Skipf("the policy engine cannot load the shipped policy: %v", err)
	}
	req := balancer.PlaceRequest{CPUs: 4, MemoryBytes: 16 * gib, Tags: map[string]string{"role": "web"}, Cluster: "cl1"}
	ctx := context.Background()
	var p *balancer.Placement
	var placing time.Duration // Place alone, the session's beginning aside
	for b.Loop() {
		session, err := e.Begin(ctx, balancer.PlacementInput(s, policy.History{}, time.UTC, &req))
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if p, err = balancer.Place(ctx, s, balancer.DefaultConfig(), session, req); err != nil {
			b.Fatal(err)
		}
		placing += time.Since(start)
	}
	b.ReportMetric(placing.Seconds()*1e3/float64(b.N), "place-ms/op")
	if p.Best() == "" {
		b.Fatalf("no host takes the VM: %d refused, the first %+v", len(p.Refused), p.Refused[0])
	}
	b.ReportMetric(float64(p.Candidates), "candidates/op")
	b.ReportMetric(float64(len(p.Refused)), "refused/op")
}

// FuzzParseMemorySize: any text either fails with ErrPlaceRequest or
// gives a size that is not negative and not far past the bound Validate
// then applies.
func FuzzParseMemorySize(f *testing.F) {
	for _, s := range []string{"16GiB", "512 MiB", "1.5TiB", "4gb", "", "GiB", "1e308TiB", "0.0000001MiB", "99999999999999999999999TiB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := balancer.ParseMemorySize(s)
		if err != nil {
			if !errors.Is(err, balancer.ErrPlaceRequest) {
				t.Errorf("%q: error %v does not wrap ErrPlaceRequest", s, err)
			}
			return
		}
		if n < 0 || n > 2*balancer.MaxPlaceMemoryBytes {
			t.Errorf("%q: %d bytes", s, n)
		}
	})
}
