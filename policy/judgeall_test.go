package policy

import (
	"context"
	"runtime"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestJudgeAll(t *testing.T) {
	in := goldenInput()
	e := mustLoad(t, Options{Dir: examplesDir})
	moves := candidates(in)
	// A move of a VM not in the fleet is an error of its own, in its place.
	moves = append(moves[:2:2], append([]Move{{VM: "no-such-vm", From: "HV01", To: "HV03"}}, moves[2:]...)...)
	serial := mustBegin(t, e, in)
	want := make([]Verdict, len(moves))
	wantErr := make([]bool, len(moves))
	cands := make([]Candidate, len(moves))
	for i, m := range moves {
		cands[i] = Candidate{Move: m, Projected: project(in, m)}
		v, err := serial.Judge(context.Background(), m, cands[i].Projected)
		want[i], wantErr[i] = v, err != nil
	}
	if !wantErr[2] {
		t.Fatal("judging a VM not in the fleet succeeded")
	}

	for _, procs := range []int{1, 2, 8} {
		prev := runtime.GOMAXPROCS(procs)
		r := mustBegin(t, e, in)
		got, errs := r.JudgeAll(context.Background(), cands)
		runtime.GOMAXPROCS(prev)
		if len(got) != len(cands) || len(errs) != len(cands) {
			t.Fatalf("GOMAXPROCS %d: %d verdicts and %d errors for %d candidates", procs, len(got), len(errs), len(cands))
		}
		for i := range cands {
			if (errs[i] != nil) != wantErr[i] {
				t.Errorf("GOMAXPROCS %d: candidate %d (%v): error %v, want an error: %v", procs, i, moves[i], errs[i], wantErr[i])
			}
			if diff := cmp.Diff(want[i], got[i]); diff != "" {
				t.Errorf("GOMAXPROCS %d: candidate %d (%v) (-Judge +JudgeAll):\n%s", procs, i, moves[i], diff)
			}
		}
		// The verdicts are kept: asking again evaluates nothing.
		n := r.Evaluations()
		for i, c := range cands {
			if wantErr[i] {
				continue
			}
			if _, err := r.Judge(context.Background(), c.Move, c.Projected); err != nil {
				t.Fatal(err)
			}
		}
		if again := r.Evaluations(); again != n {
			t.Errorf("GOMAXPROCS %d: %d evaluations asking again for the judged candidates, want 0", procs, again-n)
		}
	}
}
