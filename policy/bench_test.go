package policy

import (
	"context"
	"testing"

	"github.com/hvbalancer/hvbalancer/internal/proctime"
)

// benchFleet is the benchmark fleet: 64 hosts, 8,000 VMs.
func benchFleet() *Input { return generatedInput(64, 8000, 7) }

// benchMoves are candidate moves across the fleet with their projections.
func benchMoves(in *Input, n int) ([]Move, []Projected) {
	hosts := sortedKeys(in.Fleet.Hosts)
	ids := sortedKeys(in.Fleet.VMs)
	moves := make([]Move, 0, n)
	projs := make([]Projected, 0, n)
	for i := 0; len(moves) < n; i++ {
		id := ids[(i*7919)%len(ids)]
		from := in.Fleet.VMs[id].Host
		to := hosts[(i*31)%len(hosts)]
		if to == from {
			continue
		}
		m := Move{VM: id, From: from, To: to}
		moves = append(moves, m)
		projs = append(projs, project(in, m))
	}
	return moves, projs
}

// BenchmarkJudge measures one candidate judged by the shipped policy on a
// 64-host, 8,000-VM fleet, every call a cache miss (a new session for each
// pass over the candidates).
func BenchmarkJudge(b *testing.B) {
	in := benchFleet()
	e := mustLoad(b, Options{Dir: examplesDir})
	moves, projs := benchMoves(in, 4096)
	ctx := context.Background()
	r := mustBegin(b, e, in)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		k := i % len(moves)
		if k == 0 && i > 0 {
			b.StopTimer()
			r = mustBegin(b, e, in)
			b.StartTimer()
		}
		if _, err := r.Judge(ctx, moves[k], projs[k]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJudgeCached measures a candidate asked for again in a session.
func BenchmarkJudgeCached(b *testing.B) {
	in := benchFleet()
	e := mustLoad(b, Options{Dir: examplesDir})
	moves, projs := benchMoves(in, 64)
	ctx := context.Background()
	r := mustBegin(b, e, in)
	for k := range moves {
		if _, err := r.Judge(ctx, moves[k], projs[k]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		k := i % len(moves)
		if _, err := r.Judge(ctx, moves[k], projs[k]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBegin measures beginning a session on a 64-host, 8,000-VM fleet:
// converting the input and evaluating config, requests and frozen.
func BenchmarkBegin(b *testing.B) {
	in := benchFleet()
	e := mustLoad(b, Options{Dir: examplesDir})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Begin(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkConvertInput measures converting a 64-host, 8,000-VM fleet to
// OPA's value form, the part of beginning a session that does not depend
// on the policy. cpu-ns/op is the process's CPU time per conversion (both
// goroutines of a large fleet's), steadier than the wall time on a
// loaded machine.
func BenchmarkConvertInput(b *testing.B) { benchConvert(b, benchFleet()) }

// BenchmarkConvertInputSaturated converts the same fleet with a demand
// recorded on an eighth of its hosts and their VMs, as on a fleet with
// saturated hosts: the demand is written only there.
func BenchmarkConvertInputSaturated(b *testing.B) {
	in := benchFleet()
	hosts := sortedKeys(in.Fleet.Hosts)
	for _, name := range hosts[:len(hosts)/8] {
		h := in.Fleet.Hosts[name]
		h.CPU.Demand = LoadStat{Mean: h.CPU.Mean * 1.3, P95: h.CPU.P95 * 1.3}
		in.Fleet.Hosts[name] = h
		for _, id := range h.VMs {
			v := in.Fleet.VMs[id]
			v.CPU.Demand = LoadStat{Mean: v.CPU.Mean * 1.3, P95: v.CPU.P95 * 1.3}
			in.Fleet.VMs[id] = v
		}
	}
	benchConvert(b, in)
}

func benchConvert(b *testing.B, in *Input) {
	b.ReportAllocs()
	start, ok := proctime.CPU()
	n := 0
	for b.Loop() {
		if _, err := convertInput(in); err != nil {
			b.Fatal(err)
		}
		n++
	}
	if end, ok2 := proctime.CPU(); ok && ok2 && n > 0 {
		b.ReportMetric(float64(end-start)/float64(n), "cpu-ns/op")
	}
}
