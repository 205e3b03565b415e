package balancer_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/collector"
)

// TestReportsSayWhichLoadsAreProjected: after a move lands, the real
// collector projects both hosts' loads from the VMs they now hold until
// their windows refill; a plan made from that snapshot says so beside each
// such host in its JSON, Markdown, HTML and summary.
func TestReportsSayWhichLoadsAreProjected(t *testing.T) {
	f := demoFleet()
	f.cpuNoise, f.memNoise, f.vmNoise = 0, 0, 0
	f.start(t, 1)
	cfg := balancer.DefaultConfig()
	cfg.MemoryHigh = 80
	pl, err := balancer.NewPlanner(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	first, err := pl.Plan(context.Background(), f.poll(t), &fakeRules{}, "sha256:loadmodel", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Moves) == 0 {
		t.Fatal("the first plan moves nothing: the case does not reproduce")
	}
	for _, h := range first.Hosts {
		if h.LoadModel != "" || !h.ProjectedUntil.IsZero() {
			t.Fatalf("before any move, %s reads load model %q until %s", h.Name, h.LoadModel, h.ProjectedUntil)
		}
	}
	m := first.Moves[0]
	if err := f.begin(m, 0); err != nil {
		t.Fatal(err)
	}
	s := f.poll(t)
	p, err := pl.Plan(context.Background(), s, &fakeRules{}, "sha256:loadmodel", nil)
	if err != nil {
		t.Fatal(err)
	}
	var js, md, html bytes.Buffer
	if err := p.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	if err := p.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	if err := p.WriteHTML(&html); err != nil {
		t.Fatal(err)
	}
	back, err := balancer.ReadPlan(bytes.NewReader(js.Bytes()))
	if err != nil {
		t.Fatalf("the plan does not read back: %v", err)
	}
	summary := p.Summary()
	projected := 0
	for i, h := range back.Hosts {
		sh, _ := s.Host(h.Name)
		if sh.LoadModel != collector.LoadProjected {
			if h.LoadModel != "" || strings.Contains(mdRow(md.String(), h.Name), "load projected") {
				t.Errorf("%s is measured, but the plan says %q", h.Name, h.LoadModel)
			}
			continue
		}
		projected++
		until := sh.ProjectedUntil.UTC()
		if h.LoadModel != "projected" || !h.ProjectedUntil.Equal(until) || !p.Hosts[i].ProjectedUntil.Equal(until) {
			t.Errorf("%s: plan JSON says load model %q until %s, the snapshot projected until %s", h.Name, h.LoadModel, h.ProjectedUntil, until)
		}
		note := "load projected from the VMs it now holds until " + until.Format(time.DateTime+" MST")
		// Markdown escapes a colon that could start a URL scheme.
		if !strings.Contains(mdRow(md.String(), h.Name), "; "+strings.ReplaceAll(note, ":", `\:`)+" |") {
			t.Errorf("Markdown does not say beside %s: %q", h.Name, note)
		}
		if !strings.Contains(html.String(), `<small class="projected">`+note+`</small>`) {
			t.Errorf("HTML does not say beside %s: %q", h.Name, note)
		}
		if !strings.Contains(summary, h.Name+" until "+until.Format(time.TimeOnly+" MST")) {
			t.Errorf("summary does not name %s projected until %s:\n%s", h.Name, until.Format(time.TimeOnly), summary)
		}
	}
	if projected < 2 {
		t.Errorf("%d hosts projected after %s moved %s→%s, want both", projected, m.VM, m.From, m.To)
	}
	if !strings.Contains(summary, "Load projected from the VMs each host now holds, after recent moves: ") {
		t.Errorf("summary does not say loads are projected:\n%s", summary)
	}
}

// mdRow returns the Markdown table row of the named host ("" if none).
func mdRow(md, host string) string {
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "| "+host+" | ") {
			return line
		}
	}
	return ""
}
