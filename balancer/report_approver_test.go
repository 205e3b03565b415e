package balancer_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/policy"
)

// planOf plans s with the default settings and rules.
func planOf(t *testing.T, s *collector.Snapshot, rules *fakeRules) *balancer.Plan {
	t.Helper()
	return planWith(t, balancer.DefaultConfig(), s, rules)
}

// planWith plans s with settings cfg and rules.
func planWith(t *testing.T, cfg balancer.Config, s *collector.Snapshot, rules *fakeRules) *balancer.Plan {
	t.Helper()
	pl, err := balancer.NewPlanner(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := pl.Plan(context.Background(), s, rules, "sha256:00", nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestBalancedOnlyWhenKnown: a plan says the fleet is balanced only when
// it read enough to know; from too little data it says null and why, in
// its JSON and in every report.
func TestBalancedOnlyWhenKnown(t *testing.T) {
	unsampled := func(h *collector.Host) { h.Samples = 0 }
	busy := func(cpu float64) func(*collector.Host) { return func(h *collector.Host) { h.CPU.Last = cpu } }
	even := []collector.VM{newVM("a01", "hv01", 2, 16), newVM("b01", "hv02", 2, 16), newVM("c01", "hv03", 2, 16)}
	hot := append([]collector.VM{newVM("a02", "hv01", 12, 16), newVM("a03", "hv01", 12, 16)}, even...)
	three := []collector.Host{newHost("hv01", 32, 256), newHost("hv02", 32, 256), newHost("hv03", 32, 256)}
	// Not even (hv01 holds one VM more), but moving the small VM anywhere
	// only swaps which host holds two: no move gains the minimum.
	uneven := append([]collector.VM{newVM("a09", "hv01", 0.2, 16)}, even...)
	// hv01 at 56 % CPU, the others at 6 %: not hot, but moves gain much.
	lopsided := append([]collector.VM{newVM("a02", "hv01", 6, 16), newVM("a03", "hv01", 6, 16), newVM("a04", "hv01", 4, 16)}, even...)
	denyAll := &fakeRules{deny: func(policy.Move, policy.Projected) []string { return []string{"no moves during business hours"} }}
	tests := []struct {
		name      string
		cfg       func(*balancer.Config)
		rules     *fakeRules
		hosts     []collector.Host
		vms       []collector.VM
		want      string // true, false or null
		reason    string // the start of the reason, when null
		inMessage string
		moves     bool
		lastKnown bool // the message and the reports name a host over a threshold by its last known load
	}{{
		name:  "every host read and even",
		hosts: []collector.Host{newHost("hv01", 32, 256), newHost("hv02", 32, 256), newHost("hv03", 32, 256)},
		vms:   even, want: "true", inMessage: "The fleet is already balanced",
	}, {
		name:  "spread over target 0, but no move gains the minimum",
		hosts: three, vms: uneven, want: "true",
		inMessage: "The fleet is already balanced: no host is hot, and no move within the limits gains at least 1 points (CPU spread 0.3 points",
	}, {
		name:  "the policy's penalties outweigh every gain",
		rules: &fakeRules{penalty: func(policy.Move, policy.Projected) float64 { return 1000 }},
		hosts: three, vms: lopsided, want: "true",
		inMessage: "The fleet is already balanced: no host is hot, and with the policy's penalties no allowed candidate gains at least 1 points",
	}, {
		name:  "a hot host nothing can relieve",
		hosts: three, vms: append([]collector.VM{newVM("a02", "hv01", 26, 16)}, even[1:]...), want: "false",
		inMessage: "No move planned: no move within the limits gains at least 1 points. CPU spread 35.4 points, memory spread 0.0 points; hot: hv01.",
	}, {
		name:  "max_moves 0 leaves the gains",
		cfg:   func(c *balancer.Config) { c.MaxMoves = 0 },
		hosts: three, vms: lopsided, want: "false", inMessage: "No move planned: the plan reached max_moves (0).",
	}, {
		name:  "the policy denies the moves that gain",
		rules: denyAll, hosts: three, vms: lopsided, want: "false",
		inMessage: "No move planned: the policy denied every candidate that gains at least 1 points",
	}, {
		name:  "moves planned",
		hosts: []collector.Host{newHost("hv01", 32, 256), newHost("hv02", 32, 256), newHost("hv03", 32, 256)},
		vms:   hot, want: "false", moves: true,
	}, {
		name:  "moves planned without a host",
		hosts: []collector.Host{newHost("hv01", 32, 256), newHost("hv02", 32, 256), newHost("hv03", 32, 256), newHost("hv04", 32, 256, health(collector.HealthStale))},
		vms:   hot, want: "false", moves: true,
	}, {
		name: "no host answered",
		hosts: []collector.Host{newHost("hv01", 32, 256, health(collector.HealthStale), busy(95)), newHost("hv02", 32, 256, health(collector.HealthStale), busy(88)),
			newHost("hv03", 32, 256, health(collector.HealthUnreachable))},
		vms: even, want: "null", reason: "no host can take part (of 3 hosts, none is ok",
		inMessage: "over a threshold by their last known load, and left alone: hv01 (stale), hv02 (stale)", lastKnown: true,
	}, {
		name:  "even, but a host could not be read",
		hosts: []collector.Host{newHost("hv01", 32, 256), newHost("hv02", 32, 256), newHost("hv03", 32, 256, health(collector.HealthUnreachable))},
		vms:   even, want: "null", reason: "1 of 3 hosts could not be read (hv03), so their load as it is now is not known",
	}, {
		name:  "a host has no load sample yet",
		hosts: []collector.Host{newHost("hv01", 32, 256), newHost("hv02", 32, 256, unsampled), newHost("hv03", 32, 256)},
		vms:   even, want: "null", reason: "1 host has no load sample yet (hv02)",
	}, {
		name:  "every host in maintenance",
		hosts: []collector.Host{newHost("hv01", 32, 256, maintenance()), newHost("hv02", 32, 256, maintenance())},
		vms:   even[:2], want: "null", reason: "no host can take part (of 2 hosts",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, rules := balancer.DefaultConfig(), tc.rules
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			if rules == nil {
				rules = &fakeRules{}
			}
			p := planWith(t, cfg, fleet(tc.hosts, tc.vms), rules)
			got := "null"
			if p.Balanced != nil {
				got = map[bool]string{true: "true", false: "false"}[*p.Balanced]
			}
			if got != tc.want || (len(p.Moves) > 0) != tc.moves {
				t.Fatalf("balanced %s with %d moves, want %s (moves %v); message %q", got, len(p.Moves), tc.want, tc.moves, p.Message)
			}
			if !strings.HasPrefix(p.BalancedReason, tc.reason) || (tc.reason == "") != (p.BalancedReason == "") {
				t.Errorf("reason %q, want it to start with %q", p.BalancedReason, tc.reason)
			}
			if !strings.Contains(p.Message, tc.inMessage) {
				t.Errorf("message %q lacks %q", p.Message, tc.inMessage)
			}
			var js bytes.Buffer
			if err := p.WriteJSON(&js); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(js.String(), `"balanced": `+tc.want+",") {
				t.Errorf("JSON lacks \"balanced\": %s:\n%s", tc.want, js.String()[:400])
			}
			back, err := balancer.ReadPlan(&js)
			if err != nil {
				t.Fatalf("the plan does not read back: %v", err)
			}
			if !cmp.Equal(back.Balanced, p.Balanced) || back.BalancedReason != p.BalancedReason {
				t.Errorf("read back balanced %v %q, wrote %v %q", back.Balanced, back.BalancedReason, p.Balanced, p.BalancedReason)
			}
			if tc.want != "null" {
				return
			}
			if !strings.HasPrefix(p.Message, "No move planned, and whether the fleet is balanced is not known: "+tc.reason) {
				t.Errorf("message %q does not say the balance is not known", p.Message)
			}
			var md, html bytes.Buffer
			if err := p.WriteMarkdown(&md); err != nil {
				t.Fatal(err)
			}
			if err := p.WriteHTML(&html); err != nil {
				t.Fatal(err)
			}
			if tc.lastKnown && !strings.Contains(md.String(), "> - hv01: CPU 101.2% \\> 75% (last known; stale, left alone)\n") {
				t.Errorf("Markdown does not flag the host over a threshold by its last known load:\n%s", md.String())
			}
			if !strings.Contains(md.String(), "| Balanced | not known: ") {
				t.Errorf("Markdown does not say the balance is not known:\n%s", md.String())
			}
			if !strings.Contains(html.String(), "<tr><th>Balanced</th><td>not known: ") || !strings.Contains(html.String(), `<p class="msg unknown">`) {
				t.Errorf("HTML does not say the balance is not known")
			}
			if sum := p.Summary(); strings.Contains(sum, "Nothing to do") || !strings.Contains(sum, "not known") {
				t.Errorf("summary:\n%s", sum)
			}
		})
	}
}

// TestReportsTellApproversWhatTheyNeed: the settings the policy changed and
// what changed them, and the hosts still over a threshold after the plan,
// in every report.
func TestReportsTellApproversWhatTheyNeed(t *testing.T) {
	var vms []collector.VM
	for _, id := range ids("a", 7) {
		vms = append(vms, newVM(id, "hv01", 4, 16)) // 28 of 32 processors: 89.5 %
	}
	vms = append(vms, newVM("b01", "hv02", 1, 16), newVM("c01", "hv03", 1, 16))
	s := fleet([]collector.Host{newHost("hv01", 32, 256), newHost("hv02", 32, 256), newHost("hv03", 32, 256)}, vms)
	one, two, same := 1, 2, 75.0
	rules := &fakeRules{settings: policy.Settings{
		MaxMoves: &one, Aggressiveness: &two, CPUHigh: &same,
		Reasons: map[string]string{"max_moves": "business hours (08:00 to 18:00, Monday)", "cpu_high": "unchanged, so not listed"},
	}}
	p := planOf(t, s, rules)
	wantChanges := []balancer.SettingChange{
		{Key: "aggressiveness", Configured: 3, Effective: 2, By: balancer.ByPolicyConfig},
		{Key: "max_moves", Configured: 10, Effective: 1, By: "business hours (08:00 to 18:00, Monday)"},
	}
	if diff := cmp.Diff(wantChanges, p.SettingsChanged); diff != "" {
		t.Errorf("settings changed (-want +got):\n%s", diff)
	}
	if len(p.Moves) != 1 {
		t.Fatalf("%d moves, want 1 (max_moves 1): %s", len(p.Moves), p.Message)
	}
	var over []string
	for _, h := range p.Hosts {
		if h.HotAfter {
			over = append(over, h.Name)
		}
	}
	if !cmp.Equal(over, []string{"hv01"}) || p.Hosts[0].CPUAfter <= 75 {
		t.Fatalf("still over after: %v (hv01 at %.1f%%)", over, p.Hosts[0].CPUAfter)
	}
	overText := "hv01: CPU 77.0% > 75%"

	var md bytes.Buffer
	if err := p.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"**The policy changed settings for this plan:** aggressiveness 3 → 2 (the policy's config rule); max\\_moves 10 → 1 (business hours (08\\:00 to 18\\:00, Monday)).",
		"> **Still over a threshold after this plan:**\n>\n> - hv01: CPU 77.0% \\> 75%\n",
		"| max\\_moves | **1** | 10 | business hours (08\\:00 to 18\\:00, Monday) |",
		"| cpu\\_high | 75% | same | |",
		"| hv01 | ok, hot, still over after |",
		"| 1 | a01 | `a01` | hv01 |",
	} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md.String())
		}
	}
	var html bytes.Buffer
	if err := p.WriteHTML(&html); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"<b>The policy changed settings for this plan:</b> aggressiveness 3 → 2 (the policy&#39;s config rule); max_moves 10 → 1 (business hours (08:00 to 18:00, Monday)).",
		"<li>" + strings.Replace(overText, ">", "&gt;", 1) + "</li>",
		`<tr class="changed"><td>max_moves</td><td><b>1</b></td><td class="n">10</td><td>business hours (08:00 to 18:00, Monday)</td></tr>`,
		`<tr class="over"><td>hv01</td><td>ok, hot, <b>still over after</b></td>`,
		`<td>a01</td><td class="mono">a01</td>`,
	} {
		if !strings.Contains(html.String(), want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	sum := p.Summary()
	for _, want := range []string{
		"The policy changed settings for this plan: aggressiveness 3 → 2 (the policy's config rule); max_moves 10 → 1 (business hours (08:00 to 18:00, Monday)).\n",
		"Still over a threshold after this plan: hv01 (CPU 77.0% > 75%).\n",
	} {
		if !strings.Contains(sum, want) {
			t.Errorf("summary lacks %q:\n%s", want, sum)
		}
	}
}
