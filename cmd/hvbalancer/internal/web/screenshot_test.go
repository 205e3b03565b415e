package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/policy"
)

// Screen widths the pages must work at: a desktop and a phone.
const (
	wideScreen   = 1400
	narrowScreen = 400
	screenHeight = 900
)

// chromium returns the headless browser's path, skipping the test when
// there is none.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	t.Skip("no chromium on PATH: the screenshot test needs Debian's chromium package (apt-get install chromium)")
	return ""
}

// TestPagesRenderAtEveryWidth serves the status page and a plan's HTML
// report over HTTP on 127.0.0.1, as the daemon serves them, with a plan the
// planner made under the shipped policy from a fleet with long names, and
// renders both in headless Chromium at 1400 px and 400 px. It keeps the
// screenshots (valid PNGs of the screen's size, not blank) in the test's
// temporary directory (or in $HVBALANCER_SCREENSHOTS, to look at them)
// and checks the page's layout fits the screen: the
// document is no wider than the viewport, so that only the tables that
// need it scroll, each inside its own box.
func TestPagesRenderAtEveryWidth(t *testing.T) {
	browser := chromium(t)
	e := newEnv(t)
	plan := approverPlan(t)
	e.fake.snap = approverFleet()
	e.fake.plan[plan.ID] = plan
	e.fake.plans = append([]web.PlanInfo{{ID: plan.ID, Created: plan.Created, Expires: plan.Expires, Moves: len(plan.Moves),
		State: web.PlanPending, Message: plan.Message}}, e.fake.plans[1:]...)
	e.fake.status.HostsAnswering, e.fake.status.Hosts = e.fake.snap.Answering()
	e.fake.status.Balance = &web.Balance{Time: plan.Created, CPUSpread: plan.Efficacy.CPU.SpreadBefore,
		MemorySpread: plan.Efficacy.Memory.SpreadBefore, TargetSpread: plan.Settings.TargetSpread,
		Balanced: plan.Balanced, Reason: plan.BalancedReason, Hot: []string{}, Moves: len(plan.Moves)}
	for _, h := range plan.Hosts {
		if h.Hot {
			e.fake.status.Balance.Hot = append(e.fake.status.Balance.Hot, h.Name)
		}
	}
	probe := probeServer(t, e.url)
	dir := t.TempDir()
	if keep := os.Getenv("HVBALANCER_SCREENSHOTS"); keep != "" { // to look at them
		dir = keep
	}

	pages := []struct{ name, path string }{
		{"status", "/"},
		{"plan", "/api/v1/plans/" + plan.ID + "/report.html"},
	}
	for _, pg := range pages {
		for _, width := range []int{wideScreen, narrowScreen} {
			t.Run(fmt.Sprintf("%s at %d px", pg.name, width), func(t *testing.T) {
				shot := filepath.Join(dir, fmt.Sprintf("%s-%d.png", pg.name, width))
				run(t, browser, fmt.Sprintf("--window-size=%d,%d", width, screenHeight), "--screenshot="+shot, e.url+pg.path)
				checkScreenshot(t, shot, width, screenHeight)

				m := measure(t, browser, probe, pg.path, width)
				t.Logf("%s at %d px: document %d px wide in a %d px viewport; %s", pg.name, width, m.ScrollWidth, m.InnerWidth, shot)
				if m.InnerWidth != width {
					t.Fatalf("viewport %d px, want %d", m.InnerWidth, width)
				}
				if m.ScrollWidth > m.InnerWidth {
					t.Errorf("the page overflows: %d px wide in a %d px viewport; too wide: %s", m.ScrollWidth, m.InnerWidth, strings.Join(m.Wide, "; "))
				}
				if m.Tables == 0 {
					t.Errorf("no table rendered: not the page meant")
				}
			})
		}
	}
}

// run runs headless Chromium with args, failing the test on an error.
func run(t *testing.T, browser string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), browserDeadline(t))
	defer cancel()
	all := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
		"--user-data-dir=" + t.TempDir()}, args...)
	cmd := exec.CommandContext(ctx, browser, all...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// browserDeadline is how long one browser run may take: what is left of
// the test binary's own deadline, less a margin to report, or ten minutes
// without one.
func browserDeadline(t *testing.T) time.Duration {
	if d, ok := t.Deadline(); ok {
		return max(time.Until(d)-10*time.Second, time.Second)
	}
	return 10 * time.Minute
}

// checkScreenshot checks that path is a PNG of width × height pixels that
// shows something (not one colour).
func checkScreenshot(t *testing.T, path string, width, height int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot %s is not a PNG: %v", path, err)
	}
	if b := img.Bounds(); b.Dx() != width || b.Dy() != height {
		t.Errorf("screenshot %s is %dx%d, want %dx%d", path, b.Dx(), b.Dy(), width, height)
	}
	if colours(img, 3) < 3 {
		t.Errorf("screenshot %s is blank", path)
	}
}

// colours counts the distinct colours of img, up to limit.
func colours(img image.Image, limit int) int {
	seen := map[[3]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, _ := img.At(x, y).RGBA()
			seen[[3]uint32{r, g, bl}] = true
			if len(seen) >= limit {
				return len(seen)
			}
		}
	}
	return len(seen)
}

// layout is what the probe measured of a page.
type layout struct {
	ScrollWidth int      `json:"scrollWidth"` // the document's width
	InnerWidth  int      `json:"innerWidth"`  // the viewport's
	Tables      int      `json:"tables"`
	Wide        []string `json:"wide"` // elements reaching past the viewport, outside a scrolling box
}

// measure lays out the page at path in a frame width px wide and reads
// what the probe script measured. The frame, not the browser window, sets
// the width: headless Chromium keeps its window at least 500 px wide.
func measure(t *testing.T, browser, probe, path string, width int) layout {
	t.Helper()
	dom := run(t, browser, fmt.Sprintf("--window-size=%d,%d", width+40, screenHeight), "--dump-dom",
		fmt.Sprintf("%s/frame?width=%d&path=%s", probe, width, path))
	m := regexp.MustCompile(`<pre id="probe">([^<]*)</pre>`).FindSubmatch(dom)
	if m == nil {
		t.Fatalf("the probe did not report:\n%s", dom)
	}
	var l layout
	if err := json.Unmarshal([]byte(htmlUnescape(string(m[1]))), &l); err != nil {
		t.Fatalf("probe %s: %v", m[1], err)
	}
	return l
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&quot;", `"`, "&lt;", "<", "&gt;", ">", "&#39;", "'", "&amp;", "&").Replace(s)
}

// probeScript measures the page it is added to and writes the result into
// the parent frame's #probe.
const probeScript = `<script>
(function () {
  var d = document.documentElement, wide = [];
  document.querySelectorAll('body *').forEach(function (el) {
    for (var p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      var o = getComputedStyle(p).overflowX;
      if (o === 'auto' || o === 'scroll' || o === 'hidden') return;
    }
    var r = el.getBoundingClientRect();
    if (r.right > window.innerWidth + 0.5 && wide.length < 8) {
      wide.push(el.tagName.toLowerCase() + (el.className ? '.' + el.className : '') + ' ' + Math.round(r.right) + 'px');
    }
  });
  parent.document.getElementById('probe').textContent = JSON.stringify({
    scrollWidth: d.scrollWidth, innerWidth: window.innerWidth,
    tables: document.querySelectorAll('table').length, wide: wide});
})();
</script>`

// probeServer serves, on 127.0.0.1, a frame page that holds the page at
// ?path= of the server at base in an iframe of ?width= px, and that page
// itself as base serves it with the probe script added (and without its
// Content-Security-Policy, which forbids scripts and framing: the page the
// browser screenshots keeps it).
func probeServer(t *testing.T, base string) string {
	mux := http.NewServeMux()
	mux.HandleFunc("/frame", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!DOCTYPE html><html><head><style>body{margin:0}iframe{border:0;width:%spx;height:%dpx}</style></head>`+
			`<body><iframe src="/page?path=%s"></iframe><pre id="probe"></pre></body></html>`,
			r.URL.Query().Get("width"), screenHeight, r.URL.Query().Get("path"))
	})
	mux.HandleFunc("/page", func(w http.ResponseWriter, r *http.Request) {
		resp, err := http.Get(base + r.URL.Query().Get("path"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte("</body>")) {
			http.Error(w, fmt.Sprintf("%s: %d %v", r.URL.Query().Get("path"), resp.StatusCode, err), http.StatusBadGateway)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(bytes.Replace(body, []byte("</body>"), []byte(probeScript+"</body>"), 1))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// approverFleet is a fleet of twelve hosts with names as long as real
// ones get, three of them hot, one unreachable, and VMs with long names.
func approverFleet() *collector.Snapshot {
	s := &collector.Snapshot{Version: collector.SnapshotVersion, Taken: t0, WindowSeconds: 300}
	for i := range 12 {
		h := collector.Host{
			Name: fmt.Sprintf("HV-PRODUCTION-CLUSTER-A-NODE-%02d.corp.example.com", i+1), Cluster: "PROD-CLUSTER-A",
			Health: collector.HealthOK, LogicalProcessors: 64, MemoryBytes: 512 << 30, MigrationEnabled: true, MaxMigrations: 2, Samples: 30,
		}
		if i == 11 {
			h.Health, h.Cause = collector.HealthUnreachable, collector.CauseTimeout
			h.Reason = "get host on 10.20.30.112:5986: Post \"https://10.20.30.112:5986/wsman\": context deadline exceeded"
		}
		s.Hosts = append(s.Hosts, h)
	}
	cpu := make([]float64, len(s.Hosts))
	mem := make([]int64, len(s.Hosts))
	for i := range 60 {
		host := i % 12
		cores := 2.0
		if host < 3 {
			cores = 11 // the first three hosts run hot
		}
		v := collector.VM{
			ID:   fmt.Sprintf("5f0c%04d-8a1b-4c2d-9e3f-%012d", i, i),
			Name: fmt.Sprintf("app-%02d-frontend-web-server-with-a-very-long-name.corp.example.com", i),
			Host: s.Hosts[host].Name, State: "Running", CPUs: 16, Samples: 30,
			MemoryAssigned: 24 << 30, MemoryStartup: 24 << 30, MemoryDemand: 24 << 30,
			CPU: collector.Stat{Last: cores, Mean: cores, P95: cores, Max: cores},
		}
		cpu[host] += cores
		mem[host] += v.MemoryAssigned
		s.VMs = append(s.VMs, v)
	}
	for i := range s.Hosts {
		h := &s.Hosts[i]
		c := 3 + cpu[i]/float64(h.LogicalProcessors)*100
		m := 5 + float64(mem[i])/float64(h.MemoryBytes)*100
		h.CPU = collector.Stat{Last: c, Mean: c, P95: c, Max: c}
		h.Memory = collector.Stat{Last: m, Mean: m, P95: m, Max: m}
	}
	s.Sort()
	return s
}

// approverPlan is the plan the planner makes for approverFleet under the
// shipped policy, on a Monday morning: business hours cut its moves.
func approverPlan(t *testing.T) *balancer.Plan {
	t.Helper()
	engine, err := policy.Load(policy.Options{Dir: "../../../../examples/policies"})
	if err != nil {
		t.Fatal(err)
	}
	s := approverFleet()
	session, err := engine.Begin(context.Background(), balancer.PolicyInput(s, policy.History{}, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	planner, err := balancer.NewPlanner(balancer.DefaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := planner.Plan(context.Background(), s, session, engine.Digest(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Moves) == 0 || len(p.SettingsChanged) == 0 || len(p.Missing) == 0 {
		t.Fatalf("the plan shows too little to lay out: %d moves, %d settings changed, %d hosts missing",
			len(p.Moves), len(p.SettingsChanged), len(p.Missing))
	}
	return p
}
