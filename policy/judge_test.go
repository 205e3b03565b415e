package policy

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestJudge(t *testing.T) {
	const rules = `package hvbalancer

deny contains sprintf("%s: destination %s is %s", [input.move.vm, input.move.to, h.health]) if {
	h := input.fleet.hosts[input.move.to]
	h.health != "ok"
}

deny contains sprintf("%s: %s would reach CPU %v%%", [input.move.vm, input.move.to, input.projected.to.cpu]) if {
	input.projected.to.cpu > 80
}

penalty := 7 if count(input.projected.to.vms) > 1
`
	in := emptyInput()
	in.Fleet.Hosts["HV03"] = Host{Name: "HV03", Health: "stale"}
	e := mustLoad(t, Options{Dir: writePolicy(t, map[string]string{"p.rego": rules})})
	r := mustBegin(t, e, in)
	tests := []struct {
		name    string
		move    Move
		proj    Projected
		want    Verdict
		wantErr string
	}{{
		name: "allowed, no penalty",
		move: Move{VM: "vm1", From: "HV01", To: "HV02"},
		proj: Projected{To: HostLoad{CPU: 50, VMs: []string{"vm1"}}},
	}, {
		name: "penalty only",
		move: Move{VM: "vm1", From: "HV01", To: "HV02"},
		proj: Projected{To: HostLoad{CPU: 50, VMs: []string{"vm1", "vm9"}}},
		want: Verdict{Penalty: 7},
	}, {
		name: "denied twice, sorted",
		move: Move{VM: "vm1", From: "HV01", To: "HV03"},
		proj: Projected{To: HostLoad{CPU: 90.5, VMs: []string{"vm1"}}},
		want: Verdict{Deny: []string{"vm1: HV03 would reach CPU 90.5%", "vm1: destination HV03 is stale"}},
	}, {
		name:    "unknown VM and host",
		move:    Move{VM: "vm9", From: "HV01", To: "HV99"},
		wantErr: "judge vm9 from HV01 to HV99: vm \"vm9\" is not in the fleet\ndestination \"HV99\" is not a host in the fleet",
	}, {
		name:    "same host",
		move:    Move{VM: "vm1", From: "HV01", To: "HV01"},
		wantErr: "judge vm1 from HV01 to HV01: source and destination are the same host",
	}, {
		name:    "not a number",
		move:    Move{VM: "vm1", From: "HV01", To: "HV02"},
		proj:    Projected{To: HostLoad{CPU: nan()}},
		wantErr: "judge vm1 from HV01 to HV02: projected load NaN is not a finite number",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := r.Judge(context.Background(), tc.move, tc.proj)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("Judge error = %v\nwant %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Judge: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Verdict (-want +got):\n%s", diff)
			}
		})
	}
}

func TestJudgeDecoding(t *testing.T) {
	tests := []struct {
		name    string
		rule    string
		wantErr string
	}{
		{"deny not strings", `deny contains 1`, "deny holds the number 1, want strings only"},
		{"deny not a set", `deny := "no"`, "deny is a string, want a set of strings"},
		{"penalty not a number", `penalty := "high"`, `penalty is the string "high", want a number`},
		{"penalty negative", `penalty := -1`, "penalty -1 is negative"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := mustLoad(t, Options{Dir: writePolicy(t, map[string]string{"p.rego": "package hvbalancer\n\n" + tc.rule + "\n"})})
			r := mustBegin(t, e, emptyInput())
			_, err := r.Judge(context.Background(), Move{VM: "vm1", From: "HV01", To: "HV02"}, Projected{})
			want := "judge vm1 from HV01 to HV02: " + tc.wantErr
			if err == nil || err.Error() != want {
				t.Errorf("Judge error = %v\nwant %s", err, want)
			}
			// An error is not cached: asking again evaluates again.
			r.Judge(context.Background(), Move{VM: "vm1", From: "HV01", To: "HV02"}, Projected{})
			if r.Evaluations() != 2 {
				t.Errorf("Evaluations() = %d after two failed calls, want 2", r.Evaluations())
			}
		})
	}
}

func TestJudgeCache(t *testing.T) {
	in := goldenInput()
	r := mustBegin(t, mustLoad(t, Options{Dir: examplesDir}), in)
	ctx := context.Background()
	m := Move{VM: "0002-sql", From: "HV01", To: "HV03"}
	p := project(in, m)

	first, err := r.Judge(ctx, m, p)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		again, err := r.Judge(ctx, m, Projected{From: p.From, To: HostLoad{CPU: p.To.CPU, Memory: p.To.Memory, VMs: append([]string(nil), p.To.VMs...)}})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(first, again); diff != "" {
			t.Errorf("cached verdict differs (-first +again):\n%s", diff)
		}
	}
	if n := r.Evaluations(); n != 1 {
		t.Errorf("Evaluations() = %d after the same candidate four times, want 1", n)
	}

	// A different projection of the same move is a different candidate.
	p2 := p
	p2.To.CPU += 50
	denied, err := r.Judge(ctx, m, p2)
	if err != nil {
		t.Fatal(err)
	}
	if len(denied.Deny) == 0 {
		t.Errorf("Judge with the destination at %v%% CPU allowed the move", p2.To.CPU)
	}
	if n := r.Evaluations(); n != 2 {
		t.Errorf("Evaluations() = %d, want 2", n)
	}

	// Changing a returned verdict does not change the cache.
	denied.Deny[0] = "changed"
	again, _ := r.Judge(ctx, m, p2)
	if again.Deny[0] == "changed" {
		t.Error("a caller's change to a verdict reached the cache")
	}
}

func TestJudgeConcurrent(t *testing.T) {
	in := goldenInput()
	e := mustLoad(t, Options{Dir: examplesDir})
	r := mustBegin(t, e, in)
	moves := candidates(in)
	want := make([]Verdict, len(moves))
	serial := mustBegin(t, e, in)
	for i, m := range moves {
		v, err := serial.Judge(context.Background(), m, project(in, m))
		if err != nil {
			t.Fatal(err)
		}
		want[i] = v
	}

	const workers = 8
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for k := range moves {
				i := (k + w*7) % len(moves) // every worker asks for every candidate, in its own order
				got, err := r.Judge(context.Background(), moves[i], project(in, moves[i]))
				if err != nil {
					errs <- err
					return
				}
				if diff := cmp.Diff(want[i], got); diff != "" {
					errs <- fmt.Errorf("Judge(%v) (-serial +concurrent):\n%s", moves[i], diff)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := r.Evaluations(); n != len(moves) {
		t.Errorf("Evaluations() = %d with %d workers asking for %d candidates, want %d", n, workers, len(moves), len(moves))
	}
}

func TestJudgeCancelled(t *testing.T) {
	in := goldenInput()
	r := mustBegin(t, mustLoad(t, Options{Dir: examplesDir}), in)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	m := Move{VM: "0002-sql", From: "HV01", To: "HV03"}
	if _, err := r.Judge(ctx, m, project(in, m)); err == nil {
		t.Fatal("Judge with a cancelled context succeeded")
	}
	if _, err := r.Judge(context.Background(), m, project(in, m)); err != nil {
		t.Errorf("Judge after a cancelled call: %v", err)
	}
}
