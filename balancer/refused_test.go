package balancer_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer"
)

// TestRefusedDestinationIsNotPlannedAgain plans the hot fleet once with no
// history, then with Compare-VM's refusal of every move the first plan sent
// into one host: none goes there while the refusal is remembered, the
// others still go elsewhere, the plan lists why, and a refusal older than
// refusal_memory (or one of another destination) refuses nothing.
func TestRefusedDestinationIsNotPlannedAgain(t *testing.T) {
	pl, err := balancer.NewPlanner(balancer.DefaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	plan := func(t *testing.T, h *balancer.History) *balancer.Plan {
		t.Helper()
		p, err := pl.Plan(context.Background(), hotFleet(nil, nil), &fakeRules{}, "sha256:test", h)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	first := plan(t, nil)
	into := map[string][]string{}
	for _, m := range first.Moves {
		into[m.To] = append(into[m.To], m.VM)
	}
	if len(into["hv02"]) == 0 || len(into["hv03"]) == 0 {
		t.Fatalf("the first plan moves %v; want moves into hv02 and hv03", into)
	}
	refusedAt := taken.Add(-2 * time.Hour)
	refusals := func(at time.Time, to string) *balancer.History {
		h := &balancer.History{}
		for _, vm := range into["hv02"] {
			h.Refused = append(h.Refused, balancer.Refusal{VM: vm, To: to, At: at, Cause: "storage_missing"})
		}
		return h
	}

	refused := map[string]bool{}
	for _, vm := range into["hv02"] {
		refused[vm] = true
	}
	// Refused before the snapshot, and after it (the daemon may plan from
	// a snapshot taken before Compare-VM ran): either is remembered.
	for _, at := range []time.Time{refusedAt, taken.Add(time.Minute)} {
		t.Run(at.Format(time.RFC3339), func(t *testing.T) { checkRefused(t, plan(t, refusals(at, "hv02")), refused, at) })
	}

	for name, h := range map[string]*balancer.History{
		"forgotten after refusal_memory": refusals(taken.Add(-balancer.DefaultConfig().RefusalMemory), "hv02"),
		"another destination":            refusals(refusedAt, "hv09"),
	} {
		p := plan(t, h)
		if got, want := movesKeyOf(p), movesKeyOf(first); got != want {
			t.Errorf("%s: moves %s, want the first plan's %s", name, got, want)
		}
	}
}

// checkRefused fails unless plan p sends none of the refused VMs into
// hv02, sends one elsewhere, and lists hv02 as refused at time at.
func checkRefused(t *testing.T, p *balancer.Plan, refused map[string]bool, at time.Time) {
	t.Helper()
	var elsewhere int
	for _, m := range p.Moves {
		if m.To == "hv02" && refused[m.VM] {
			t.Errorf("%s is planned into hv02 again, after Compare-VM refused it", m.VM)
		}
		if refused[m.VM] && m.To != "hv02" {
			elsewhere++
		}
	}
	if elsewhere == 0 {
		t.Errorf("no refused vm goes to another host: %+v", p.Moves)
	}
	want := "Compare-VM refused on " + at.UTC().Format(time.RFC3339) + ": storage_missing"
	var listed bool
	for _, r := range p.Limited {
		if r.To == "hv02" && refused[r.VM] && strings.HasPrefix(r.Messages[0], want) {
			listed = true
		}
	}
	if !listed {
		t.Errorf("the plan lists no refused destination saying %q: %+v", want, p.Limited)
	}
}

func movesKeyOf(p *balancer.Plan) string {
	var b strings.Builder
	for _, m := range p.Moves {
		b.WriteString(m.VM + ">" + m.To + ";")
	}
	return b.String()
}
