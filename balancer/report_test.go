package balancer_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/policy"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// hostileNames are VM names that try to break every report format.
var hostileNames = []string{
	"web|01 **bold** _it_",
	"<script>alert('x')</script>",
	"x'; Stop-Computer -Force; '",
	"[click](http://evil.example) @admin :smile:",
	"line\nbreak\x1b[31mred\u202egnp.exe",
	"`rm -rf /` &amp; $x$ ~~s~~ #1",
}

// reportPlan plans a fleet with hostile names: a hot host, a host in
// maintenance evacuated on request, a lab host the policy keeps scripts off.
func reportPlan(t *testing.T) *balancer.Plan {
	t.Helper()
	var vms []collector.VM
	for i, id := range ids("a", 6) {
		vms = append(vms, newVM(id, "hv01", 4, 24, named(hostileNames[i])))
	}
	vms = append(vms,
		newVM("b01", "hv02", 2, 16), newVM("b02", "hv02", 1, 8, state("Off")),
		newVM("c01", "hv03|lab", 2, 16),
		newVM("d01", "hv04", 3, 32, named("sql <prod> | primary")),
	)
	s := fleet([]collector.Host{
		newHost("hv01", 32, 256), newHost("hv02", 32, 256), newHost("hv03|lab", 32, 256), newHost("hv04", 32, 256, maintenance()),
		newHost("hv05", 32, 256, health(collector.HealthUnreachable)),
	}, vms)
	rules := &fakeRules{
		frozen: map[string]bool{"a06": true},
		requests: []policy.Request{
			{VM: "d01", Reason: "evacuate <b>hv04</b> | maintenance", Priority: 100},
			{VM: "a06", To: "hv02", Reason: "pin *a06*", Priority: 5},
			{VM: "a05", To: "hv05", Reason: "to the dead host", Priority: 4},
		},
		deny: func(m policy.Move, _ policy.Projected) []string {
			if m.To == "hv03|lab" && (m.VM == "a01" || m.VM == "d01") {
				return []string{"no <script> on lab | ever", "lab is for [tests](http://x)"}
			}
			return nil
		},
	}
	pl, err := balancer.NewPlanner(balancer.DefaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := pl.Plan(context.Background(), s, rules, "sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0", nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./balancer -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got); run go test ./balancer -update if the change is right:\n%s", name, diff)
	}
}

func TestReportsGolden(t *testing.T) {
	p := reportPlan(t)
	tests := []struct {
		file  string
		write func(*bytes.Buffer) error
		check func(t *testing.T, out string)
	}{
		{file: "plan.golden.json", write: func(b *bytes.Buffer) error { return p.WriteJSON(b) }},
		{file: "plan.golden.md", write: func(b *bytes.Buffer) error { return p.WriteMarkdown(b) }, check: checkMarkdownTables},
		{file: "plan.golden.html", write: func(b *bytes.Buffer) error { return p.WriteHTML(b) }, check: checkSelfContained},
		{file: "plan.golden.txt", write: func(b *bytes.Buffer) error { _, err := b.WriteString(p.Summary()); return err }, check: checkTerminalSafe},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			var b bytes.Buffer
			if err := tc.write(&b); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.file, b.Bytes())
			if tc.check != nil {
				tc.check(t, b.String())
			}
		})
	}
}

// checkMarkdownTables asserts every table row has as many cells as its
// header: no name broke out of its cell.
func checkMarkdownTables(t *testing.T, out string) {
	cells := func(line string) int {
		n := 0
		for i := 0; i < len(line); i++ {
			switch line[i] {
			case '\\':
				i++
			case '|':
				n++
			}
		}
		return n
	}
	want := 0
	for i, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "|") {
			want = 0
			continue
		}
		if want == 0 {
			want = cells(line)
		}
		if got := cells(line); got != want {
			t.Errorf("line %d has %d cell borders, want %d: %s", i+1, got, want, line)
		}
	}
	for _, bad := range []*regexp.Regexp{
		regexp.MustCompile(`<script>`), regexp.MustCompile(`[^\\]\]\(`), regexp.MustCompile(`[^\\]@admin`),
		regexp.MustCompile(`[^\\]:smile`), regexp.MustCompile(`\x1b`), regexp.MustCompile(`[^\\]\*\*bold`),
	} {
		if bad.MatchString(out) {
			t.Errorf("markdown matches %s", bad)
		}
	}
}

// checkSelfContained asserts the page loads nothing and runs nothing.
func checkSelfContained(t *testing.T, out string) {
	for _, bad := range []string{"<script", "src=", "href=", "@import", "url(", "<link", "\x1b"} {
		if strings.Contains(out, bad) {
			t.Errorf("html contains %q", bad)
		}
	}
	if !strings.Contains(out, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;") || strings.Count(out, "<svg") != 2 {
		t.Errorf("html does not show the escaped name, or lacks its two charts")
	}
}

func checkTerminalSafe(t *testing.T, out string) {
	for _, bad := range []string{"\x1b", "\u202e"} {
		if strings.Contains(out, bad) {
			t.Errorf("summary contains %q", bad)
		}
	}
}

func TestSummaryBalanced(t *testing.T) {
	s := fleet([]collector.Host{newHost("hv01", 32, 256), newHost("hv02", 32, 256)},
		[]collector.VM{newVM("a", "hv01", 4, 16), newVM("b", "hv02", 3, 16)})
	cfg := balancer.DefaultConfig()
	cfg.TargetSpread = 10
	pl, err := balancer.NewPlanner(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := pl.Plan(context.Background(), s, &fakeRules{}, "sha256:test", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := "Plan " + p.ID + " (valid until 2026-01-05 09:00:00 UTC)\n" +
		"The fleet is already balanced: CPU spread 1.6 points, memory spread 0.0 points, below the target (10 points), and no host is hot.\n" +
		"Nothing to do.\n"
	if diff := cmp.Diff(want, p.Summary()); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
}
