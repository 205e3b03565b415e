package balancer_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/policy"
)

// holdingRules is fakeRules with the policy's holds (balancer.Holder).
type holdingRules struct {
	*fakeRules
	held map[string][]policy.Hold
}

func (h *holdingRules) Held(id string) []policy.Hold { return h.held[id] }

// TestHeldByPolicy: a VM the policy holds is never judged, nor moved, a
// request for it is answered with the hold's reason, and the plan and its
// reports count the holds by rule.
func TestHeldByPolicy(t *testing.T) {
	capA01 := policy.Hold{Rule: "guard move_cap", Reason: "a01: guard move_cap: 2 moves in the last 24 hours (limit 2)"}
	rules := &holdingRules{
		fakeRules: &fakeRules{requests: []policy.Request{{VM: "a02", To: "hv03", Reason: "relay", Priority: 60}}},
		held: map[string][]policy.Hold{
			"a01": {capA01},
			"a02": {
				{Rule: "guard large_vm", Reason: "a02: guard large_vm: 24 GiB of memory, over 16 GiB, moves only outside business hours"},
				{Rule: "guard move_cap", Reason: "a02: guard move_cap: 3 moves in the last 24 hours (limit 2)"},
			},
		},
	}
	p := plan(t, balancer.DefaultConfig(), hotFleet(nil, nil), rules)
	for _, m := range rules.judged {
		if m.VM == "a01" || m.VM == "a02" {
			t.Errorf("held VM %s judged: %+v", m.VM, m)
		}
	}
	if len(p.Moves) == 0 {
		t.Fatalf("no moves: %s", p.Message)
	}
	for _, m := range p.Moves {
		if m.VM == "a01" || m.VM == "a02" {
			t.Errorf("held VM %s moved: %+v", m.VM, m)
		}
	}
	want := balancer.Held{Policy: 2, Rules: []balancer.HeldRule{
		{Rule: "guard large_vm", VMs: 1, Example: rules.held["a02"][0].Reason},
		{Rule: "guard move_cap", VMs: 2, Example: capA01.Reason},
	}}
	if diff := cmp.Diff(want, p.Held); diff != "" {
		t.Errorf("Held (-want +got):\n%s", diff)
	}
	var unmet []string
	for _, r := range p.Rejected {
		unmet = append(unmet, r.VM+": "+strings.Join(r.Messages, "; "))
	}
	wantUnmet := "a02: requested (relay), but vm is held by policy: " + rules.held["a02"][0].Reason + "; " + rules.held["a02"][1].Reason
	if len(unmet) != 1 || unmet[0] != wantUnmet {
		t.Errorf("rejections %q, want %q", unmet, wantUnmet)
	}

	var md, html bytes.Buffer
	if err := p.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	if err := p.WriteHTML(&html); err != nil {
		t.Fatal(err)
	}
	line := "2 held by the policy (guard large_vm: 1 VM, first " + rules.held["a02"][0].Reason + "; guard move_cap: 2 VMs, first " + capA01.Reason + ")"
	// Markdown escapes the underscores of the rules' names.
	mdLine := strings.ReplaceAll(line, "_", `\_`)
	for name, c := range map[string]struct{ report, line string }{"markdown": {md.String(), mdLine}, "html": {html.String(), line}} {
		if report, line := c.report, c.line; !strings.Contains(report, line) {
			t.Errorf("the %s report does not say %q:\n%s", name, line, report)
		}
	}
	if s := p.Summary(); !strings.Contains(s, "Held by guard move_cap: 2 VMs (first: "+capA01.Reason+").") {
		t.Errorf("the summary does not name the guard's holds:\n%s", s)
	}
}
