package balancer_test

import (
	"bytes"
	"strings"
	"testing"
)

// TestReportsNameThePenaltyRules: a move's penalty is shown with the rules
// that make it up, the dearest first, in every report, escaped as each
// format needs; a move without penalty shows none.
func TestReportsNameThePenaltyRules(t *testing.T) {
	p := reportPlan(t)
	if len(p.Moves) < 2 {
		t.Fatalf("the report plan has %d moves, want 2 or more", len(p.Moves))
	}
	p.Moves[0].Penalty = 15
	p.Moves[0].Costs = map[string]float64{"cross_group": 5, "vm_host_rule <gpu>|on_gpu": 10}
	p.Moves[1].Penalty, p.Moves[1].Costs = 0, nil

	var md, html bytes.Buffer
	if err := p.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	if err := p.WriteHTML(&html); err != nil {
		t.Fatal(err)
	}
	txt := p.Summary()
	checkMarkdownTables(t, md.String())
	checkSelfContained(t, html.String())
	checkTerminalSafe(t, txt)

	for _, tc := range []struct{ format, out, want string }{
		{"markdown", md.String(), `penalty 15 (vm\_host\_rule \<gpu\>\|on\_gpu 10, cross\_group 5)`},
		{"html", html.String(), "penalty 15 (vm_host_rule &lt;gpu&gt;|on_gpu 10, cross_group 5)"},
		{"text", txt, "penalty 15 (vm_host_rule <gpu>|on_gpu 10, cross_group 5)"},
	} {
		if !strings.Contains(tc.out, tc.want) {
			t.Errorf("%s report does not say %q", tc.format, tc.want)
		}
		if n := strings.Count(tc.out, "penalty "); n != 1 {
			t.Errorf("%s report names a penalty %d times, want once (one move has one)", tc.format, n)
		}
	}

	p.Moves[0].Costs = nil
	if s := p.Summary(); !strings.Contains(s, "; penalty 15\n") && !strings.Contains(s, "; penalty 15 ") {
		t.Errorf("a penalty without named costs is not shown as a number:\n%s", s)
	}
}
