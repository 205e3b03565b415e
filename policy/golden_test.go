package policy

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestExamplesGolden records every decision of the shipped policy for a
// fixed fleet: the round's settings, requests and frozen VMs on a Monday
// morning and on a Saturday, and the verdict on every move of a running VM
// to another host. Run with -update to rewrite testdata/decisions.golden
// after a deliberate policy change, and review the diff.
func TestExamplesGolden(t *testing.T) {
	e := mustLoad(t, Options{Dir: examplesDir})
	in := goldenInput()
	var b strings.Builder
	ctx := context.Background()

	for _, now := range []string{in.Now, "2026-01-10T09:00:00+01:00"} {
		in.Now = now
		r := mustBegin(t, e, in)
		fmt.Fprintf(&b, "now %s\n", now)
		settings, _ := json.Marshal(r.Settings())
		fmt.Fprintf(&b, "  config %s\n", settings)
		var frozen []string
		for _, id := range sortedKeys(in.Fleet.VMs) {
			if r.Frozen(id) {
				frozen = append(frozen, id)
			}
		}
		fmt.Fprintf(&b, "  frozen %s\n", strings.Join(frozen, " "))
		for _, q := range r.Requests() {
			to := q.To
			if to == "" {
				to = "(planner)"
			}
			fmt.Fprintf(&b, "  request %d %s -> %s: %s\n", q.Priority, q.VM, to, q.Reason)
		}
	}

	in.Now = "2026-01-05T09:00:00+01:00"
	r := mustBegin(t, e, in)
	b.WriteString("candidates (vm from -> to: projected destination cpu/memory %)\n")
	for _, m := range candidates(in) {
		p := project(in, m)
		v, err := r.Judge(ctx, m, p)
		if err != nil {
			t.Fatalf("Judge(%v): %v", m, err)
		}
		fmt.Fprintf(&b, "  %s %s -> %s (%v/%v):", m.VM, m.From, m.To, p.To.CPU, p.To.Memory)
		if len(v.Deny) == 0 {
			b.WriteString(" allow")
		}
		if v.Penalty != 0 {
			fmt.Fprintf(&b, " penalty %v", v.Penalty)
		}
		b.WriteString("\n")
		for _, d := range v.Deny {
			fmt.Fprintf(&b, "    deny %s\n", d)
		}
	}

	golden := filepath.Join("testdata", "decisions.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), b.String()); diff != "" {
		t.Errorf("decisions differ from %s (-want +got):\n%s", golden, diff)
	}
}
