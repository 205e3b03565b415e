package balancer_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/policy"
)

// loadRego compiles one Rego file as a policy.
func loadRego(t *testing.T, src string) *policy.Engine {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "policy.rego"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	e, err := policy.Load(policy.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestFailingDenyRuleVetoes: through real Rego evaluation, a deny rule
// that divides by zero for some destinations vetoes the moves to them; the
// plan counts the failures (policy_errors), keeps the first message, and
// every report names the rule and the message. Without strict built-in
// errors the rule was undefined there and the moves went ahead.
func TestFailingDenyRuleVetoes(t *testing.T) {
	e := loadRego(t, `package hvbalancer

# Moves per VM already on the destination: a division by zero for a
# destination that holds exactly one VM.
deny contains "destination too crowded" if {
	1 / (count(input.fleet.hosts[input.move.to].vms) - 1) > 1
}
`)
	var vms []collector.VM
	for _, id := range ids("a", 6) {
		vms = append(vms, newVM(id, "hv01", 5, 16))
	}
	vms = append(vms, newVM("b01", "hv02", 1, 16), newVM("c01", "hv03", 1, 16), newVM("c02", "hv03", 1, 16))
	s := fleet([]collector.Host{newHost("hv01", 32, 256), newHost("hv02", 32, 256), newHost("hv03", 32, 256)}, vms)
	ctx := context.Background()
	session, err := e.Begin(ctx, balancer.PolicyInput(s, policy.History{}, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	pl, err := balancer.NewPlanner(balancer.DefaultConfig(), slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	p, err := pl.Plan(ctx, s, session, e.Digest(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Moves) == 0 {
		t.Fatal("nothing planned: the case does not reproduce")
	}
	for _, m := range p.Moves {
		if m.To == "hv02" {
			t.Errorf("%s planned to hv02, whose deny rule failed", m.VM)
		}
	}
	const msg = "eval_builtin_error: div: divide by zero"
	if p.PolicyErrors == 0 || !strings.HasPrefix(p.PolicyError, "policy rule deny: ") || !strings.HasSuffix(p.PolicyError, msg) {
		t.Fatalf("policy_errors %d, policy_error %q", p.PolicyErrors, p.PolicyError)
	}
	var vetoed int
	for _, r := range allRejections(p) {
		if r.To == "hv02" && len(r.Messages) == 1 && r.Messages[0] == "vetoed: "+p.PolicyError {
			vetoed++
		}
	}
	if vetoed == 0 {
		t.Errorf("no rejection of a move to hv02 names the failed rule: %+v", allRejections(p))
	}
	var js, md, html bytes.Buffer
	for _, w := range []func() error{func() error { return p.WriteJSON(&js) }, func() error { return p.WriteMarkdown(&md) }, func() error { return p.WriteHTML(&html) }} {
		if err := w(); err != nil {
			t.Fatal(err)
		}
	}
	if !strings.Contains(js.String(), `"policy_errors": `) {
		t.Errorf("the plan's JSON has no policy_errors")
	}
	for name, report := range map[string]string{"Markdown": md.String(), "HTML": html.String(), "summary": p.Summary()} {
		if !strings.Contains(report, "The policy failed for ") || !strings.Contains(report, "div") || !strings.Contains(report, "divide by zero") {
			t.Errorf("%s does not say the policy failed and why", name)
		}
	}
	if n := strings.Count(logs.String(), "policy rule failed"); n != 1 {
		t.Errorf("logged the failure %d times, want once per pass:\n%s", n, logs.String())
	}
}

// TestFailingConfigRuleFailsThePass: through real Rego evaluation, a
// config rule that fails (here on business hours, dividing by zero) fails
// the planning pass with the rule's name and message, instead of planning
// with the configured values as if the policy had set nothing.
func TestFailingConfigRuleFailsThePass(t *testing.T) {
	e := loadRego(t, `package hvbalancer

# Fewer moves in business hours: a division by zero on the hour itself.
config := {"max_moves": 30 / (time.clock(time.parse_rfc3339_ns(input.now))[0] - 9)}
`)
	s := fleet([]collector.Host{newHost("hv01", 32, 256), newHost("hv02", 32, 256)},
		[]collector.VM{newVM("a01", "hv01", 20, 16), newVM("a02", "hv01", 10, 16)})
	s.Taken = time.Date(2026, 1, 5, 9, 30, 0, 0, time.UTC)
	pl, err := balancer.NewPlanner(balancer.DefaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := planPass(context.Background(), pl, e, s)
	if p != nil || err == nil {
		t.Fatalf("planned %v with the failed config rule, error %v", p != nil, err)
	}
	var re *policy.RuleError
	if !errors.As(err, &re) || re.Rule != "config" || !strings.Contains(err.Error(), "policy rule config: ") ||
		!strings.HasSuffix(err.Error(), "eval_builtin_error: div: divide by zero") {
		t.Errorf("error %q, want the config rule named with its message", err)
	}
	// An hour later the rule holds, and the same pass plans.
	s.Taken = s.Taken.Add(time.Hour)
	if p, err := planPass(context.Background(), pl, e, s); err != nil || p.Settings.MaxMoves != 30 {
		t.Errorf("at 10:30: error %v, max_moves %v, want the policy's 30", err, p)
	}
}

// planPass is one planning pass as the daemon runs it: a policy session
// on the snapshot, then the plan.
func planPass(ctx context.Context, pl *balancer.Planner, e *policy.Engine, s *collector.Snapshot) (*balancer.Plan, error) {
	session, err := e.Begin(ctx, balancer.PolicyInput(s, policy.History{}, time.UTC))
	if err != nil {
		return nil, err
	}
	return pl.Plan(ctx, s, session, e.Digest(), nil)
}

// allRejections lists a plan's rejections: with its moves and its own.
func allRejections(p *balancer.Plan) []balancer.Rejection {
	out := append([]balancer.Rejection(nil), p.Rejected...)
	for _, m := range p.Moves {
		out = append(out, m.Rejected...)
	}
	return out
}
