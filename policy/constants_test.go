package policy

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/open-policy-agent/opa/v1/ast"
)

func TestConstTrie(t *testing.T) {
	e := mustLoad(t, Options{Dir: examplesDir})
	consts := e.cur.Load().consts
	tests := []struct {
		ref  string
		want bool
	}{
		{"data.hvbalancer.config", true},
		{"data.hvbalancer.settings.config.cpu_high", true},
		{"data.hvbalancer.business_hours", true},
		{"data.hvbalancer.frozen", true},
		{`data.hvbalancer.frozen["vm1"]`, true},
		{`data.hvbalancer.vm_name["vm1"]`, true}, // a function and its argument
		{"data.hvbalancer.requests", true},
		{"data.hvbalancer_settings.config", true},
		{"data.hvbalancer.deny", false},
		{"data.hvbalancer.penalty", false},
		{"data.hvbalancer.costs", false},
		{"data.hvbalancer.costs.cross_group", false},
		{"data.hvbalancer.dest", false},
		{"data.hvbalancer.moving", false},
		{"data.hvbalancer.crosses_group", false},
		{"data.hvbalancer", false},
		{"data", false},
	}
	for _, tc := range tests {
		t.Run(tc.ref, func(t *testing.T) {
			if got := consts.constant(ast.MustParseRef(tc.ref)); got != tc.want {
				t.Errorf("constant(%s) = %v, want %v", tc.ref, got, tc.want)
			}
		})
	}
}

func TestRefersToCandidate(t *testing.T) {
	tests := []struct {
		body string
		want bool
	}{
		{`input.fleet.hosts[x].health == "ok"`, false},
		{`input.now != ""`, false},
		{`input.move.to == "HV01"`, true},
		{`input["projected"].to.cpu > 1`, true},
		{`x := input`, true},
		{`input[k]`, true},
		{`object.get(input, "move", {})`, true},
	}
	for _, tc := range tests {
		t.Run(tc.body, func(t *testing.T) {
			if got := refersToCandidate(ast.MustParseBody(tc.body)); got != tc.want {
				t.Errorf("refersToCandidate(%s) = %v, want %v", tc.body, got, tc.want)
			}
		})
	}
}

// TestSharedValuesAgree: sharing session-constant values between evaluations
// gives the same verdicts as evaluating everything every time.
func TestSharedValuesAgree(t *testing.T) {
	e := mustLoad(t, Options{Dir: examplesDir})
	for _, in := range []*Input{goldenInput(), generatedInput(16, 400, 3)} {
		shared := mustBegin(t, e, in)
		alone := mustBegin(t, e, in)
		alone.shared = nil
		moves := candidates(in)
		if len(moves) > 2000 {
			moves = moves[:2000]
		}
		for _, m := range moves {
			p := project(in, m)
			a, err := shared.Judge(context.Background(), m, p)
			if err != nil {
				t.Fatal(err)
			}
			b, err := alone.Judge(context.Background(), m, p)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(b, a); diff != "" {
				t.Fatalf("Judge(%v), alone vs shared (-alone +shared):\n%s", m, diff)
			}
		}
	}
}
