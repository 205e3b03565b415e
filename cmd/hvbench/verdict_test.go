package main

import (
	"context"
	"strings"
	"testing"

	"github.com/hvbalancer/hvbalancer/collector/collectortest"
	"github.com/hvbalancer/hvbalancer/policy"
)

func TestTarget(t *testing.T) {
	base := func(name string, cpu float64, moves int, gib float64) Result {
		return Result{Contender: name, Kind: kindBaseline, MaxCPU: cpu, Moves: moves, GiBMoved: gib}
	}
	shipped := func(cpu float64, moves int, gib float64) Result {
		return Result{Contender: shippedName, Kind: kindHvbalancer, MaxCPU: cpu, Moves: moves, GiBMoved: gib}
	}
	start := Result{Contender: "as is", Kind: kindStart, MaxCPU: 10}
	low := Result{Contender: "ideal (fractional)", Kind: kindIdeal, MaxCPU: 1}
	tests := []struct {
		name    string
		results []Result
		ok, met bool
		best    string
		miss    string
	}{
		{"met by moves", []Result{start, base("a", 50, 10, 100), base("b", 60, 2, 10), shipped(50, 7, 200), low}, true, true, "a", ""},
		{"met by bytes", []Result{base("a", 50, 10, 100), shipped(49, 20, 70)}, true, true, "a", ""},
		{"busier", []Result{base("a", 50, 10, 100), shipped(51, 1, 1)}, true, false, "a", "peak"},
		{"too costly", []Result{base("a", 50, 10, 100), shipped(40, 8, 80)}, true, false, "a", "cost"},
		{"tie goes to fewer moves", []Result{base("a", 50, 10, 100), base("b", 50.04, 4, 100), shipped(50, 3, 200)}, true, false, "b", "cost"},
		{"failed plan", []Result{base("a", 50, 10, 100), {Contender: shippedName, Kind: kindHvbalancer, MaxCPU: 40, Error: "boom"}}, true, false, "a", "error"},
		{"no baseline", []Result{start, shipped(50, 1, 1), low}, false, false, "", ""},
		{"no shipped policy", []Result{base("a", 50, 10, 100)}, false, false, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := target(tt.results, nil)
			if ok != tt.ok || got.Met != tt.met || got.Best != tt.best || got.Miss != tt.miss {
				t.Errorf("target = %+v, %v; want ok %v met %v best %q miss %q", got, ok, tt.ok, tt.met, tt.best, tt.miss)
			}
		})
	}
}

// The target is judged twice: against the baselines as published, and in
// Bound against those held to the shipped policy's rules, each set's best
// chosen among its own kind.
func TestTargetAgainstTheBaselinesHeldToThePolicy(t *testing.T) {
	free := Result{Contender: "greedy", Kind: kindBaseline, MaxCPU: 40, Moves: 60, GiBMoved: 600}
	held := Result{Contender: "greedy" + boundSuffix, Kind: kindBound, MaxCPU: 46, Moves: 30, GiBMoved: 300}
	shipped := Result{Contender: shippedName, Kind: kindHvbalancer, MaxCPU: 45, Moves: 10, GiBMoved: 100}
	got, ok := target([]Result{free, held, shipped}, nil)
	if !ok || got.Met || got.Miss != "peak" || got.Best != "greedy" {
		t.Fatalf("target = %+v; want missed on the peak against the published greedy", got)
	}
	if b := got.Bound; b == nil || !b.Met || b.Best != held.Contender || b.BestMaxCPU != 46 {
		t.Fatalf("Bound = %+v; want met against %q at 46 %%", b, held.Contender)
	}
	if line := got.String(); !strings.Contains(line, "Against the baselines held to the shipped policy's rules, as hvbalancer is, the target is met: the best, greedy"+boundSuffix+", leaves 46.0 % in 30 moves") {
		t.Errorf("line %q does not give the judgement against the baselines held to the policy", line)
	}
	if got, _ := target([]Result{free, shipped}, nil); got.Bound != nil {
		t.Errorf("Bound = %+v with no baseline held to the policy, want nil", got.Bound)
	}
}

// A baseline that went past a limit hvbalancer keeps is still
// the one the verdict compares against when its peak is the lowest; the
// verdict then also says how many of its moves did, and the judgement
// against the best baseline that kept those limits. A miss on cost with a
// lower peak says what that peak had cost hvbalancer.
func TestTargetNotesABaselinePastThePlannersLimits(t *testing.T) {
	over := Result{Contender: "proxlb", Kind: kindBaseline, MaxCPU: 84.4, Moves: 1050, GiBMoved: 15454, PastLimits: 312}
	fair := Result{Contender: "fair", Kind: kindBaseline, MaxCPU: 88, Moves: 10, GiBMoved: 100}
	shipped := Result{Contender: shippedName, Kind: kindHvbalancer, MaxCPU: 85.2, Moves: 22, GiBMoved: 172,
		Steps: []Step{{Moves: 1, GiB: 8, MaxCPU: 93}, {Moves: 2, GiB: 12, MaxCPU: 87.9}, {Moves: 3, GiB: 14, MaxCPU: 87}}}
	got, ok := target([]Result{over, fair, shipped}, nil)
	if !ok || got.Met || got.Miss != "peak" || got.Best != "proxlb" || got.BestPastLimits != 312 {
		t.Fatalf("target = %+v; want missed on the peak against proxlb, its 312 moves over memory_high counted", got)
	}
	w := got.Within
	if w == nil || w.Best != "fair" || w.Miss != "cost" || w.Reached == nil || w.Reached.Moves != 2 {
		t.Fatalf("within memory_high: %+v; want missed on cost against fair, its peak reached after 2 moves", w)
	}
	for _, want := range []string{"missed on the peak", "312 of proxlb's 1050 moves left a host's memory above memory_high, or its CPU above cpu_high and not below the source's",
		"the best, fair, leaves 88.0 % in 10 moves (100 GiB): against it the target is missed on cost",
		"brought the busiest host to 88.0 % or below after 2 moves (12 GiB)"} {
		if s := got.String(); !strings.Contains(s, want) {
			t.Errorf("verdict %q does not say %q", s, want)
		}
	}
	// A best baseline within the limits: no note.
	over.PastLimits = 0
	if got, _ := target([]Result{over, fair, shipped}, nil); got.Within != nil || got.BestPastLimits != 0 {
		t.Errorf("target = %+v; want no note when the best baseline kept memory_high", got)
	}
}

// The recorder counts a move past a limit hvbalancer keeps apart from
// the hard limits' violations: memory above memory_high, or CPU above
// cpu_high and not below the source's (a dense fleet's move off its
// busiest host ends below its source, and is not counted).
func TestRecorderCountsMovesPastThePlannersLimits(t *testing.T) {
	f := newFleet(collectortest.Snapshot(
		collectortest.HostSpec{Name: "HV01", VMs: []collectortest.VMSpec{
			{ID: "a", CPUs: 4, CPU: 1, MemoryGiB: 32}, {ID: "b", CPUs: 4, CPU: 1, MemoryGiB: 16},
			{ID: "d", CPUs: 8, CPU: 3.2, MemoryGiB: 4}, {ID: "g", CPUs: 32, CPU: 26.4, MemoryGiB: 4},
		}},
		collectortest.HostSpec{Name: "HV02", VMs: []collectortest.VMSpec{{ID: "c", CPUs: 4, CPU: 1, MemoryGiB: 200}}},
		collectortest.HostSpec{Name: "HV03", VMs: []collectortest.VMSpec{{ID: "h", CPUs: 32, CPU: 22.4, MemoryGiB: 8}}},
	), defaultLimits())
	vm := func(id string) int {
		for i, v := range f.snap.VMs {
			if v.ID == id {
				return i
			}
		}
		t.Fatalf("no vm %s", id)
		return -1
	}
	rec := &recorder{f: f}
	steps := []struct {
		vm, to string
		past   int
	}{
		{"b", "HV02", 0}, // 216 of 256 GiB: 84.4 % memory
		{"a", "HV02", 1}, // 248 of 256 GiB: 96.9 %, within the 4 GiB reserve
		{"d", "HV03", 1}, // HV03 80 %, HV01 left at 82.5 %: below the source
		{"d", "HV01", 2}, // HV01 back to 92.5 %, over the ceiling, HV03 left at 70 %
		{"d", "HV02", 3}, // HV02 at 19.4 % CPU and 252 of 256 GiB (98.4 %), the reserve just kept
	}
	for _, st := range steps {
		rec.move(vm(st.vm), f.index[st.to])
		if rec.pastLimits != st.past {
			t.Fatalf("after %s to %s: %d moves past the limits, want %d", st.vm, st.to, rec.pastLimits, st.past)
		}
	}
	if rec.violations != 1 {
		t.Errorf("counted %d violations, want 1 (the move over the CPU ceiling)", rec.violations)
	}
}

// A pinned host that stays the busiest under every baseline fixes the
// fleet's peak: the target is judged on the busiest host that can migrate,
// against the baseline that brings that one lowest. A pinned host below
// the baselines' peak changes nothing.
func TestTargetWithAPinnedHost(t *testing.T) {
	res := func(name, kind string, cpu, movable float64, moves int, gib float64) Result {
		return Result{Contender: name, Kind: kind, MaxCPU: cpu, MovableMaxCPU: movable, Moves: moves, GiBMoved: gib}
	}
	pin := &Pinned{Host: "hv064", CPU: 82.2, Reason: "live migration is disabled on it"}
	tests := []struct {
		name     string
		results  []Result
		pin      *Pinned
		met      bool
		best     string
		cpu      float64
		bestCPU  float64
		isPinned bool
	}{
		{"peak fixed, movable hosts balanced cheaper", []Result{
			res("fair", kindBaseline, 82.2, 80, 3, 12), res("proxlb", kindBaseline, 82.2, 61.4, 633, 8860), res(shippedName, kindHvbalancer, 82.2, 54.9, 38, 676),
		}, pin, true, "proxlb", 54.9, 61.4, true},
		{"peak fixed, movable hosts left busier", []Result{
			res("fair", kindBaseline, 82.2, 80, 3, 12), res(shippedName, kindHvbalancer, 82.2, 81, 1, 2),
		}, pin, false, "fair", 81, 80, true},
		{"peak fixed, without a pinned host the cost alone decides", []Result{
			res("fair", kindBaseline, 82.2, 80, 3, 12), res(shippedName, kindHvbalancer, 82.2, 54.9, 38, 676),
		}, nil, false, "fair", 82.2, 82.2, false},
		{"pinned host below the peak", []Result{
			res("fair", kindBaseline, 90, 90, 3, 12), res(shippedName, kindHvbalancer, 88, 88, 2, 10),
		}, pin, true, "fair", 88, 90, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := target(tt.results, tt.pin)
			if !ok || got.Met != tt.met || got.Best != tt.best || got.MaxCPU != tt.cpu || got.BestMaxCPU != tt.bestCPU || (got.Pinned != nil) != tt.isPinned {
				t.Errorf("target = %+v; want met %v best %q at %.1f against %.1f, pinned %v", got, tt.met, tt.best, tt.cpu, tt.bestCPU, tt.isPinned)
			}
			if s := got.String(); tt.isPinned && !strings.Contains(s, "hv064 at 82.2 % CPU") || !strings.Contains(s, "live migration is disabled") == tt.isPinned {
				t.Errorf("verdict %q does not say the pinned host and why (pinned %v)", s, tt.isPinned)
			}
		})
	}
}

// pinnedHost finds the busiest host no move may leave or reach.
func TestPinnedHost(t *testing.T) {
	f := newFleet(collectortest.Snapshot(
		collectortest.HostSpec{Name: "HV01", VMs: []collectortest.VMSpec{{ID: "a", CPUs: 4, CPU: 3}}},
		collectortest.HostSpec{Name: "HV02", MigrationDisabled: true, VMs: []collectortest.VMSpec{{ID: "b", CPUs: 4, CPU: 2}}},
		collectortest.HostSpec{Name: "HV03", MigrationDisabled: true, VMs: []collectortest.VMSpec{{ID: "c", CPUs: 4, CPU: 1}}},
	), defaultLimits())
	p, ok := pinnedHost(f)
	if !ok || p.Host != "HV02" || p.Reason != "live migration is disabled on it" {
		t.Fatalf("pinnedHost = %+v, %v; want HV02, migration disabled", p, ok)
	}
	if m := movableMaxCPU(f); m != f.cpu(0) {
		t.Errorf("movableMaxCPU = %.2f, want HV01's %.2f", m, f.cpu(0))
	}
}

func TestVerdict(t *testing.T) {
	met := &Target{Met: true}
	miss := &Target{MaxCPU: 91.44, Moves: 3, BestMaxCPU: 85, BestMoves: 51, Miss: "peak"}
	tests := []struct {
		name      string
		scenarios []ScenarioResult
		want      string
	}{
		{"every one", []ScenarioResult{{Name: "a", Target: met}, {Name: "b", Target: met}, {Name: "c"}},
			"Verdict: issue 13's balance target is met on every scenario (2 of 2)."},
		{"one missed", []ScenarioResult{{Name: "a", Target: met}, {Name: "dense", Target: miss}},
			"Verdict: issue 13's balance target is met on 1 of 2 scenarios; missed on dense (peak: 91.4 % in 3 moves, against 85.0 % in 51 moves)."},
		{"none judged", []ScenarioResult{{Name: "a"}}, ""},
		{"both ways", []ScenarioResult{{Name: "a", Target: &Target{Met: true, Bound: met}}, {Name: "dense", Target: &Target{Met: true, Bound: miss}}},
			"Verdict: issue 13's balance target is met on every scenario (2 of 2); against the baselines held to the shipped policy's rules, it is met on 1 of 2 scenarios; missed on dense (peak: 91.4 % in 3 moves, against 85.0 % in 51 moves)."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := verdict(&Report{Scenarios: tt.scenarios}); got != tt.want {
				t.Errorf("verdict = %q, want %q", got, tt.want)
			}
		})
	}
}

// firstDenied asks the shipped policy about a baseline's moves one by one,
// on the fleet as the moves before left it: the first move here is
// allowed (HV02 ends at 53 % CPU); the second takes HV02 past cpu_high
// and above what HV01 is left at, which the shipped destination rule
// denies.
func TestFirstDeniedAsksTheShippedPolicy(t *testing.T) {
	engine, err := policy.Load(policy.Options{Dir: shippedPolicy})
	if err != nil {
		t.Fatal(err)
	}
	s := collectortest.Snapshot(
		collectortest.HostSpec{Name: "HV01", VMs: []collectortest.VMSpec{
			{ID: "a", Name: "a", CPUs: 8, CPU: 8, MemoryGiB: 8}, {ID: "b", Name: "b", CPUs: 8, CPU: 8, MemoryGiB: 8}, {ID: "c", Name: "c", CPUs: 8, CPU: 8, MemoryGiB: 8},
		}},
		collectortest.HostSpec{Name: "HV02", VMs: []collectortest.VMSpec{{ID: "d", Name: "d", CPUs: 8, CPU: 9, MemoryGiB: 8}}},
	)
	f := newFleet(s, defaultLimits())
	vm := func(id string) int {
		for i, v := range s.VMs {
			if v.ID == id {
				return i
			}
		}
		t.Fatalf("no vm %s", id)
		return -1
	}
	moves := [][2]int{{vm("a"), f.index["HV02"]}, {vm("b"), f.index["HV02"]}}
	d, ok, err := firstDenied(context.Background(), engine, s, defaultLimits(), "greedy", moves)
	if err != nil {
		t.Fatal(err)
	}
	if !ok || d.Move != 2 || d.VM != "b" || d.To != "HV02" || !strings.Contains(d.Reason, "would reach CPU") {
		t.Fatalf("firstDenied = %+v, %v; want the second move denied for CPU", d, ok)
	}
	if _, ok, err := firstDenied(context.Background(), engine, s, defaultLimits(), "greedy", moves[:1]); ok || err != nil {
		t.Errorf("the first move alone: denied %v (%v), want allowed", ok, err)
	}
}
