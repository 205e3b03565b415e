package main

import "testing"

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
	}{
		{"met by moves", []Result{start, base("a", 50, 10, 100), base("b", 60, 2, 10), shipped(50, 7, 200), low}, true, true, "a"},
		{"met by bytes", []Result{base("a", 50, 10, 100), shipped(49, 20, 70)}, true, true, "a"},
		{"busier", []Result{base("a", 50, 10, 100), shipped(51, 1, 1)}, true, false, "a"},
		{"too costly", []Result{base("a", 50, 10, 100), shipped(40, 8, 80)}, true, false, "a"},
		{"tie goes to fewer moves", []Result{base("a", 50, 10, 100), base("b", 50.04, 4, 100), shipped(50, 3, 200)}, true, false, "b"},
		{"failed plan", []Result{base("a", 50, 10, 100), {Contender: shippedName, Kind: kindHvbalancer, MaxCPU: 40, Error: "boom"}}, true, false, "a"},
		{"no baseline", []Result{start, shipped(50, 1, 1), low}, false, false, ""},
		{"no shipped policy", []Result{base("a", 50, 10, 100)}, false, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := target(tt.results)
			if ok != tt.ok || got.Met != tt.met || got.Best != tt.best {
				t.Errorf("target = %+v, %v; want ok %v met %v best %q", got, ok, tt.ok, tt.met, tt.best)
			}
		})
	}
}

func TestVerdict(t *testing.T) {
	met := &Target{Met: true}
	miss := &Target{MaxCPU: 91.44, Moves: 3, BestMaxCPU: 85, BestMoves: 51}
	tests := []struct {
		name      string
		scenarios []ScenarioResult
		want      string
	}{
		{"every one", []ScenarioResult{{Name: "a", Target: met}, {Name: "b", Target: met}, {Name: "c"}},
			"Verdict: issue 13's balance target is met on every scenario (2 of 2)."},
		{"one missed", []ScenarioResult{{Name: "a", Target: met}, {Name: "dense", Target: miss}},
			"Verdict: issue 13's balance target is met on 1 of 2 scenarios; missed on dense (91.4 % in 3 moves, against 85.0 % in 51 moves)."},
		{"none judged", []ScenarioResult{{Name: "a"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := verdict(&Report{Scenarios: tt.scenarios}); got != tt.want {
				t.Errorf("verdict = %q, want %q", got, tt.want)
			}
		})
	}
}
