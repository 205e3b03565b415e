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

// TestFunctionOfTheCandidateNotShared: a function whose body reads the
// candidate is evaluated for each candidate. OPA keys a function's result
// by the function's ref and its arguments, the same for every candidate:
// shared, the first candidate's result answered for all of them.
func TestFunctionOfTheCandidateNotShared(t *testing.T) {
	dir := writePolicy(t, map[string]string{"p.rego": `package hvbalancer

deny contains msg if {
	some msg in to_host("denied")
}

to_host(word) := {sprintf("%s %s", [word, input.move.to]) | input.move.to == "HV02"}
`})
	e := mustLoad(t, Options{Dir: dir})
	in := emptyInput()
	in.Fleet.Hosts["HV03"] = Host{Name: "HV03", Health: "ok"}
	s := mustBegin(t, e, in)
	for _, tc := range []struct {
		to   string
		deny []string
	}{{"HV03", nil}, {"HV02", []string{"denied HV02"}}, {"HV03", nil}} {
		m := Move{VM: "vm1", From: "HV01", To: tc.to}
		v, err := s.Judge(context.Background(), m, project(in, m))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.deny, v.Deny); diff != "" {
			t.Errorf("Judge(%v) deny (-want +got):\n%s", m, diff)
		}
	}
}
