package policy

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestFailingDenyVetoes: a deny or penalty rule that fails at run time for
// a candidate (here a division by zero) vetoes that candidate with the
// rule's message, instead of losing its veto; candidates it does not fail
// for are judged as before.
func TestFailingDenyVetoes(t *testing.T) {
	const rules = `package hvbalancer

# The mean CPU of the destination's VMs: a division by zero when it would
# hold none.
deny contains "destination VMs too busy" if {
	input.projected.to.cpu / count(input.projected.to.vms) > 40
}

penalty := 100 / input.projected.to.memory
`
	e := mustLoad(t, Options{Dir: writePolicy(t, map[string]string{"p.rego": rules})})
	r := mustBegin(t, e, emptyInput())
	m := Move{VM: "vm1", From: "HV01", To: "HV02"}
	tests := []struct {
		name     string
		proj     Projected
		wantDeny []string
		wantErr  string // in Verdict.Error
		penalty  float64
	}{{
		name: "no failure", proj: Projected{To: HostLoad{CPU: 30, Memory: 50, VMs: []string{"vm1"}}}, penalty: 2,
	}, {
		name: "denied as written", proj: Projected{To: HostLoad{CPU: 90, Memory: 50, VMs: []string{"vm1"}}}, penalty: 2,
		wantDeny: []string{"destination VMs too busy"},
	}, {
		name: "deny divides by zero", proj: Projected{To: HostLoad{CPU: 90, Memory: 50}},
		wantErr: "policy rule deny: /p.rego:6: eval_builtin_error: div: divide by zero",
	}, {
		name: "penalty divides by zero", proj: Projected{To: HostLoad{CPU: 30, Memory: 0, VMs: []string{"vm1"}}},
		wantErr: "policy rule penalty: /p.rego:9: eval_builtin_error: div: divide by zero",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := r.Judge(context.Background(), m, tc.proj)
			if err != nil {
				t.Fatalf("Judge: %v", err)
			}
			if tc.wantErr == "" {
				if v.Error != "" || strings.Join(v.Deny, "|") != strings.Join(tc.wantDeny, "|") || v.Penalty != tc.penalty {
					t.Errorf("verdict %+v, want deny %q, penalty %g", v, tc.wantDeny, tc.penalty)
				}
				return
			}
			// The file is named as the policy's directory names it.
			rule, where, _ := strings.Cut(tc.wantErr, ": /")
			if !strings.HasPrefix(v.Error, rule+": ") || !strings.HasSuffix(v.Error, "/"+where) {
				t.Errorf("verdict error %q, want %q", v.Error, tc.wantErr)
			}
			if len(v.Deny) != 1 || v.Deny[0] != "vetoed: "+v.Error {
				t.Errorf("deny %q: the failed rule does not veto the candidate", v.Deny)
			}
		})
	}
	// The failure is the candidate's verdict, cached like any other.
	before := r.Evaluations()
	if _, err := r.Judge(context.Background(), m, Projected{To: HostLoad{CPU: 90, Memory: 50}}); err != nil || r.Evaluations() != before {
		t.Errorf("asking again: error %v, %d evaluations, want the cached verdict", err, r.Evaluations()-before)
	}
}

// TestFailingSessionRuleFailsTheSession: a config, requests or frozen rule
// that fails at run time fails Begin with a *RuleError naming the rule,
// instead of the session going on as if the rule had said nothing (and the
// planner planning with the configured values).
func TestFailingSessionRuleFailsTheSession(t *testing.T) {
	tests := []struct {
		rule, src, want string
	}{
		{"config", `config := {"max_moves": to_number(input.now)}`, `p.rego:3: eval_builtin_error: to_number: strconv.ParseFloat: parsing "2026-01-10T12:00:00Z": invalid syntax`},
		{"requests", `requests contains {"vm": "vm1", "reason": "even out", "priority": 10 / (count(input.fleet.hosts) - 2)}`, "p.rego:3: eval_builtin_error: div: divide by zero"},
		{"frozen", `frozen contains "vm1" if 1 / (count(input.fleet.hosts) - 2) > 0`, "p.rego:3: eval_builtin_error: div: divide by zero"},
	}
	for _, tc := range tests {
		t.Run(tc.rule, func(t *testing.T) {
			// A healthy rule beside it: only the failing one is named.
			src := "package hvbalancer\n\n" + tc.src + "\n\ndeny contains \"never\" if false\n"
			if tc.rule != "config" {
				src += "\nconfig := {\"max_moves\": 3}\n"
			}
			e := mustLoad(t, Options{Dir: writePolicy(t, map[string]string{"p.rego": src})})
			_, err := e.Begin(context.Background(), emptyInput())
			var re *RuleError
			if !errors.As(err, &re) {
				t.Fatalf("Begin: %v, want a *RuleError", err)
			}
			if re.Rule != tc.rule || !strings.HasSuffix(err.Error(), tc.want) {
				t.Errorf("Begin: rule %q, error %q\nwant rule %q, ending in %q", re.Rule, err, tc.rule, tc.want)
			}
			if want := "begin session: policy rule " + tc.rule + ": "; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("Begin: %q, want it to start with %q", err, want)
			}
		})
	}
}
