package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/collector/collectortest"
	"github.com/hvbalancer/hvbalancer/policy"
)

const shippedPolicy = "../../examples/policies"

// quickReports are the --quick reports of the seeds the tests read,
// with 8 rounds: each is made once and read by every test that checks it.
var quickReports sync.Map // seed → *quickReport

type quickReport struct {
	once sync.Once
	rep  *Report
	err  error
}

// quickBench returns seed's --quick report with 8 rounds.
func quickBench(t *testing.T, seed uint64) *Report {
	t.Helper()
	v, _ := quickReports.LoadOrStore(seed, &quickReport{})
	q := v.(*quickReport)
	q.once.Do(func() {
		e, err := policy.Load(policy.Options{Dir: shippedPolicy})
		if err != nil {
			q.err = err
			return
		}
		q.rep, q.err = bench(context.Background(), options{Seed: seed, Quick: true, Rounds: 8}, e)
	})
	if q.err != nil {
		t.Fatal(q.err)
	}
	return q.rep
}

func loadPolicy(t *testing.T) *policy.Engine {
	t.Helper()
	e, err := policy.Load(policy.Options{Dir: shippedPolicy})
	if err != nil {
		t.Fatalf("load the shipped policy: %v", err)
	}
	return e
}

// Every contender keeps every hard limit on every scenario, over several
// seeds, and the recorder checked each move before applying it.
func TestContendersKeepHardLimits(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		rep := quickBench(t, seed)
		for _, s := range rep.Scenarios {
			for _, r := range s.Results {
				if r.Violations != 0 || r.Error != "" {
					t.Errorf("seed %d %s %s: %d violations, error %q", seed, s.Name, r.Contender, r.Violations, r.Error)
				}
			}
		}
	}
}

// A baseline held to the shipped policy's rules makes no move the policy
// denies, each asked again on a fleet replayed move by move; the same
// baseline as published does make such moves, so the check can fail.
func TestBoundBaselinesKeepThePolicy(t *testing.T) {
	engine := loadPolicy(t)
	ctx := context.Background()
	rep := quickBench(t, 2)
	freeDenied := 0
	snaps := scenarios(2, 16)
	for si, s := range rep.Scenarios {
		snap := snaps[si].Snap
		bound := 0
		for _, r := range s.Results {
			if r.Kind != kindBound && r.Kind != kindBaseline {
				continue
			}
			d, denied, err := firstDenied(ctx, engine, snap, rep.Limits, r.Contender, r.Log)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case r.Kind == kindBaseline && denied:
				freeDenied++
			case r.Kind == kindBound && denied:
				t.Errorf("%s: %s made a move the policy denies: %+v", s.Name, r.Contender, d)
			case r.Kind == kindBound:
				bound++
			}
		}
		if bound != 8 {
			t.Errorf("%s: %d baselines held to the policy, want 8", s.Name, bound)
		}
	}
	if freeDenied == 0 {
		t.Error("no baseline as published made a move the policy denies: the check above cannot fail")
	}
}

// Held to the shipped policy, ProxLB passes over the host its method
// would choose when the policy denies the move there (a sql VM beside
// another) and takes the next: the rule reaches the method, not only the
// check after it.
func TestBoundBaselineTakesTheNextHost(t *testing.T) {
	engine := loadPolicy(t)
	sql := map[string]string{"role": "sql"}
	s := collectortest.Snapshot(
		collectortest.HostSpec{Name: "HV01", VMs: []collectortest.VMSpec{
			{ID: "s1", Name: "s1", CPUs: 16, CPU: 14, MemoryGiB: 16, Tags: sql},
			{ID: "w1", Name: "w1", CPUs: 8, CPU: 6, MemoryGiB: 16}, {ID: "w2", Name: "w2", CPUs: 8, CPU: 6, MemoryGiB: 16},
		}},
		collectortest.HostSpec{Name: "HV02", LPs: 64, VMs: []collectortest.VMSpec{{ID: "s2", Name: "s2", CPUs: 2, CPU: 1, MemoryGiB: 8, Tags: sql}}},
		collectortest.HostSpec{Name: "HV03", VMs: []collectortest.VMSpec{{ID: "w3", Name: "w3", CPUs: 2, CPU: 1, MemoryGiB: 8}}},
	)
	first := func(c contender) (vm, to string, r Result) {
		r = measure(context.Background(), c, scenario{Name: "sql", Snap: s}, defaultLimits())
		if r.Error != "" || len(r.Log) == 0 {
			t.Fatalf("%s: error %q, %d moves", c.Name, r.Error, len(r.Log))
		}
		return s.VMs[r.Log[0][0]].ID, s.Hosts[r.Log[0][1]].Name, r
	}
	if vm, to, _ := first(proxLB(true, false)); vm != "s1" || to != "HV02" {
		t.Fatalf("ProxLB as published moved %s to %s first, want s1 to HV02 (the most free processors)", vm, to)
	}
	vm, to, r := first(bound(proxLB(true, false), engine))
	if vm != "s1" || to != "HV03" {
		t.Errorf("ProxLB held to the policy moved %s to %s first, want s1 to HV03", vm, to)
	}
	if r.Kind != kindBound || !strings.HasSuffix(r.Contender, boundSuffix) {
		t.Errorf("result %q of kind %q, want a name ending %q of kind %q", r.Contender, r.Kind, boundSuffix, kindBound)
	}
}

// The fleet's key names a placement: a move tried and undone restores it,
// and two placements that differ have different keys.
func TestFleetKeyNamesThePlacement(t *testing.T) {
	s := scenarios(1, 16)[0]
	f := newFleet(s.Snap, defaultLimits())
	start := f.key
	seen := map[uint64]bool{start: true}
	for vi := range 40 {
		from, to := f.hostOf[vi], (f.hostOf[vi]+1+vi%3)%len(s.Snap.Hosts)
		f.move(vi, to)
		if seen[f.key] {
			t.Fatalf("move %d: a new placement has a key seen before", vi)
		}
		seen[f.key] = true
		f.move(vi, from)
		if f.key != start {
			t.Fatalf("move %d undone: key %x, want %x", vi, f.key, start)
		}
	}
}

// The recorder counts a move the limits forbid: the count above can fail.
func TestRecorderCountsViolations(t *testing.T) {
	s := scenarios(1, 16)[2] // mixed-sizes: its last host has migration disabled
	f := newFleet(s.Snap, defaultLimits())
	rec := &recorder{f: f}
	last := len(s.Snap.Hosts) - 1
	if s.Snap.Hosts[last].MigrationEnabled {
		t.Fatal("the last mixed-sizes host has migration enabled")
	}
	vi := 0
	for f.hostOf[vi] == last {
		vi++
	}
	rec.move(vi, last)
	if rec.violations != 1 || rec.moves != 1 {
		t.Errorf("a move into a host with migration disabled: %d violations, %d moves", rec.violations, rec.moves)
	}
	// Overfilling memory is one too.
	big := newFleet(s.Snap, limits{ReserveBytes: s.Snap.Hosts[0].MemoryBytes, CPUCeiling: 85})
	rec = &recorder{f: big}
	for vi := range s.Snap.VMs {
		if big.hostOf[vi] != 0 && big.movable(vi) {
			rec.move(vi, 0)
			break
		}
	}
	if rec.violations != 1 {
		t.Errorf("a move that leaves no reserve: %d violations", rec.violations)
	}
}

// The fractional ideal is a lower bound of every contender's busiest and
// fullest host.
func TestIdealIsLowerBound(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		rep := quickBench(t, seed)
		for _, s := range rep.Scenarios {
			id := s.Results[len(s.Results)-1]
			if id.Contender != "ideal (fractional)" {
				t.Fatalf("last result is %q", id.Contender)
			}
			for _, r := range s.Results {
				if r.MaxCPU < id.MaxCPU-1e-9 || r.MaxMemory < id.MaxMemory-1e-9 {
					t.Errorf("seed %d %s %s: max CPU %.2f mem %.2f below the ideal %.2f %.2f", seed, s.Name, r.Contender, r.MaxCPU, r.MaxMemory, id.MaxCPU, id.MaxMemory)
				}
			}
		}
	}
}

// Scenarios are valid snapshots, the same for one seed and different for
// another, with hosts and VMs of different sizes.
func TestScenariosSeeded(t *testing.T) {
	a, b, c := scenarios(7, 16), scenarios(7, 16), scenarios(8, 16)
	for i := range a {
		if a[i].Snap.Digest() != b[i].Snap.Digest() {
			t.Errorf("%s: one seed, two snapshots", a[i].Name)
		}
		if a[i].Snap.Digest() == c[i].Snap.Digest() {
			t.Errorf("%s: two seeds, one snapshot", a[i].Name)
		}
		var buf bytes.Buffer
		if err := a[i].Snap.Write(&buf); err != nil {
			t.Fatal(err)
		}
		if _, err := collector.ReadSnapshot(&buf); err != nil {
			t.Errorf("%s: %v", a[i].Name, err)
		}
		lps, mem := map[int]bool{}, map[int64]bool{}
		for _, h := range a[i].Snap.Hosts {
			lps[h.LogicalProcessors] = true
		}
		for _, v := range a[i].Snap.VMs {
			mem[v.MemoryAssigned] = true
		}
		if len(lps) < 2 || len(mem) < 3 {
			t.Errorf("%s: %d host sizes, %d VM sizes", a[i].Name, len(lps), len(mem))
		}
	}
}

// The JSON report decodes to what was measured.
func TestJSONRoundTrip(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"--quick", "--json", "--seed", "3", "--policy", shippedPolicy}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	var got Report
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	again, err := json.Marshal(&got)
	if err != nil {
		t.Fatal(err)
	}
	var twice Report
	if err := json.Unmarshal(again, &twice); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, twice) {
		t.Error("the report changed on a second round trip")
	}
	if got.Schema != reportSchema || got.Seed != 3 || !got.Quick || len(got.Scenarios) != 5 {
		t.Errorf("report header: %q seed %d quick %v, %d scenarios", got.Schema, got.Seed, got.Quick, len(got.Scenarios))
	}
	if got.Limits != defaultLimits() {
		t.Errorf("limits %+v", got.Limits)
	}
	for _, s := range got.Scenarios {
		if len(s.Results) != len(contenders(nil, 1, nil))+1 || s.Hosts == 0 || s.VMs == 0 {
			t.Errorf("%s: %d results, %d hosts, %d VMs", s.Name, len(s.Results), s.Hosts, s.VMs)
		}
	}
}

// The chart is well-formed XML with a dot per result and per legend entry.
func TestSVGWellFormed(t *testing.T) {
	rep := quickBench(t, 1)
	var buf bytes.Buffer
	if err := writeSVG(&buf, rep); err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(&buf)
	circles, root := 0, ""
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if root == "" {
				root = se.Name.Local
			}
			if se.Name.Local == "circle" {
				circles++
			}
		}
	}
	want := 0
	for _, s := range rep.Scenarios {
		want += len(s.Results)
	}
	want += len(rep.Scenarios[0].Results)
	if root != "svg" || circles != want {
		t.Errorf("root %q, %d circles, want %d", root, circles, want)
	}
}

// In the chart every contender as published has a colour of its own, and
// a baseline held to the shipped policy a ring of its method's colour.
func TestChartMarksTheHeldBaselinesWithTheirMethodsColour(t *testing.T) {
	results := quickBench(t, 1).Scenarios[0].Results
	m := marks(results)
	seen := map[string]string{}
	for i, x := range results {
		if x.Kind == kindBound {
			continue
		}
		if other, dup := seen[m[i]]; dup {
			t.Errorf("%s and %s share %s", other, x.Contender, m[i])
		}
		seen[m[i]] = x.Contender
	}
	held := 0
	for i, x := range results {
		if x.Kind != kindBound {
			continue
		}
		held++
		for j, y := range results {
			if y.Contender == strings.TrimSuffix(x.Contender, boundSuffix) {
				fill := strings.TrimSuffix(strings.TrimPrefix(m[j], `fill="`), `" fill-opacity="0.8"`)
				if want := `fill="none" stroke="` + fill + `" stroke-width="2"`; m[i] != want {
					t.Errorf("%s: %s, want %s", x.Contender, m[i], want)
				}
			}
		}
	}
	if held != 8 {
		t.Errorf("%d baselines held to the policy in the chart, want 8", held)
	}
}

// --quick runs end to end through the command's entry point and writes the
// Markdown report and the chart.
func TestRunQuick(t *testing.T) {
	svg := filepath.Join(t.TempDir(), "chart.svg")
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"--quick", "--policy", shippedPolicy, "--svg", svg}, &out, &errb); err != nil {
		t.Fatalf("%v: %s", err, errb.String())
	}
	md := out.String()
	for _, want := range []string{"### two-hot", "### memory-tight", "### mixed-sizes", "### dense", "### roles",
		"| hvbalancer shipped policy |", "| node fairness L3 |", "| ProxLB cpu (free %) |", "| Sandpiper |", "| Sandpiper, shipped policy's rules |", "| full repack (LPT) |", "| ideal (fractional) |", "Issue 13 target "} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if fi, err := os.Stat(svg); err != nil || fi.Size() == 0 {
		t.Errorf("chart: %v", err)
	}
	if err := run(context.Background(), []string{"--policy", filepath.Join(t.TempDir(), "none")}, io.Discard, io.Discard); err == nil {
		t.Error("a missing policy directory ran")
	}
}

// hvbalancer's figures are those after convergence, or the table says the
// round cap stopped it: with one round the shipped policy still has moves
// to make on every quick scenario; with the default cap it converges, a
// last plan with no move ending its rounds.
func TestRoundCapIsReported(t *testing.T) {
	engine := loadPolicy(t)
	for _, tc := range []struct {
		rounds int
		capped bool
	}{{1, true}, {60, false}} {
		rep, err := bench(context.Background(), options{Seed: 1, Quick: true, Rounds: tc.rounds}, engine)
		if err != nil {
			t.Fatal(err)
		}
		var md bytes.Buffer
		if err := writeMarkdown(&md, rep); err != nil {
			t.Fatal(err)
		}
		for _, s := range rep.Scenarios {
			for _, r := range s.Results {
				if r.Contender != shippedName {
					continue
				}
				if r.Capped != tc.capped || !tc.capped && r.Rounds >= tc.rounds {
					t.Errorf("%s, --rounds %d: %d rounds, capped %v, want capped %v", s.Name, tc.rounds, r.Rounds, r.Capped, tc.capped)
				}
			}
		}
		if got := strings.Contains(md.String(), "(cap: still moving)"); got != tc.capped {
			t.Errorf("--rounds %d: the table says the cap stopped hvbalancer: %v, want %v", tc.rounds, got, tc.capped)
		}
	}
}
