package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
	"github.com/hvbalancer/hvbalancer/internal/lockedbuf"
)

// startDaemonLogging is startDaemon with the daemon's log written to
// stderr.
func startDaemonLogging(t *testing.T, cfgPath string, stderr io.Writer) *runningDaemon {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		code := runContext(ctx, []string{"run", "--config", cfgPath}, pw, stderr)
		pw.Close()
		done <- code
	}()
	d := &runningDaemon{}
	urlRE := regexp.MustCompile(`status page (http://\S+)/`)
	lines := bufio.NewScanner(pr)
	for d.url == "" && lines.Scan() {
		if m := urlRE.FindStringSubmatch(lines.Text()); m != nil {
			d.url = m[1]
		}
	}
	go io.Copy(io.Discard, pr)
	if d.url == "" {
		cancel()
		t.Fatalf("daemon did not start (exit %d): %s", <-done, stderr)
	}
	stop := sync.OnceValue(func() int { cancel(); return <-done })
	d.stop = stop
	t.Cleanup(func() { stop() })
	return d
}

// storedPlans lists the plan directories of a plan store that hold a
// record.
func storedPlans(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		if _, err := os.Stat(filepath.Join(dir, e.Name(), "record.json")); e.IsDir() && err == nil {
			out = append(out, e.Name())
		}
	}
	return out
}

// TestTornPlanRecordIsMovedAside stops a daemon that has stored plans,
// cuts one plan's record short and adds a plan directory whose record is
// garbage, as a crash mid-write or a bad disk leaves them, and starts the
// daemon again: it starts, warns naming each torn plan, moves each aside
// (renamed with .torn), and serves every other plan.
func TestTornPlanRecordIsMovedAside(t *testing.T) {
	cfgPath := daemonConfig(t, "manual")
	d := startDaemon(t, cfgPath)
	eventually(t, "two stored plans", func() bool {
		var plans web.Plans
		getJSON(t, d.url+"/api/v1/plans", &plans)
		return len(plans.Plans) >= 2
	})
	if code := d.stop(); code != 0 {
		t.Fatalf("daemon stopped with %d", code)
	}
	store := filepath.Join(filepath.Dir(cfgPath), "state", "plans")
	stored := storedPlans(t, store)
	slices.Sort(stored)
	cut := stored[0]
	rec := filepath.Join(store, cut, "record.json")
	b, err := os.ReadFile(rec)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rec, b[:len(b)/2], 0o640); err != nil {
		t.Fatal(err)
	}
	garbage := "plan-20260101-000000-0badf00d"
	if err := os.MkdirAll(filepath.Join(store, garbage), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(store, garbage, "record.json"), []byte("\x00\x00\x00{\"id\":"), 0o640); err != nil {
		t.Fatal(err)
	}

	var logs lockedbuf.Buffer
	again := startDaemonLogging(t, cfgPath, &logs)
	var plans web.Plans
	getJSON(t, again.url+"/api/v1/plans", &plans)
	served := map[string]bool{}
	for _, p := range plans.Plans {
		served[p.ID] = true
	}
	for _, id := range stored[1:] {
		if !served[id] {
			t.Errorf("plan %s, whose record is whole, is not served after the restart", id)
		}
	}
	for _, id := range []string{cut, garbage} {
		if served[id] {
			t.Errorf("plan %s, whose record is torn, is served", id)
		}
		if _, err := os.Stat(filepath.Join(store, id+".torn", "record.json")); err != nil {
			t.Errorf("plan %s not moved aside: %v", id, err)
		}
		if _, err := os.Stat(filepath.Join(store, id)); !os.IsNotExist(err) {
			t.Errorf("plan %s is still in its place: %v", id, err)
		}
		warned := false
		for _, l := range strings.Split(logs.String(), "\n") {
			warned = warned || strings.Contains(l, "level=WARN") && strings.Contains(l, id) && strings.Contains(l, id+".torn")
		}
		if !warned {
			t.Errorf("no warning names torn plan %s and where it went:\n%s", id, logs.String())
		}
	}
	// A second start leaves the moved-aside plans alone.
	if code := again.stop(); code != 0 {
		t.Fatalf("daemon stopped with %d", code)
	}
	var logs2 lockedbuf.Buffer
	startDaemonLogging(t, cfgPath, &logs2).stop()
	if strings.Contains(logs2.String(), "unreadable") {
		t.Errorf("a second start warned again:\n%s", logs2.String())
	}
	if _, err := os.Stat(filepath.Join(store, cut+".torn")); err != nil {
		t.Errorf("the moved-aside plan is gone: %v", err)
	}
}
