package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
)

// TestOneShotPlanReadsTheJournal proves that `hvbalancer plan` plans with
// the journal's history, as the daemon's round does: a VM the first plan
// moves, journaled as moved a minute before the snapshot (within the
// one-hour cooldown), is not proposed by the next plan of the same
// snapshot. With the journal held open, as a running daemon holds it,
// the plan is made without the history and says so once in the command's
// output, in the plan's summary beside its other warnings, and in the
// header of each of its reports.
func TestOneShotPlanReadsTheJournal(t *testing.T) {
	cfg := daemonConfig(t, "manual")
	dir := t.TempDir()
	snapPath, _ := snapshotOnce(t, cfg, dir)
	plan := func(name string) (*balancer.Plan, string, printed) {
		out := filepath.Join(dir, name)
		p, _, e := planOnce(t, cfg, snapPath, out)
		return p, out, e
	}
	const unread = "without the journal's history"
	first, _, _ := plan("first") // no journal yet: an empty history, silently
	if len(first.Moves) == 0 {
		t.Fatal("the first plan moves nothing: nothing to cool down")
	}
	if first.HistoryUnread != "" {
		t.Errorf("with no journal yet the plan says %q", first.HistoryUnread)
	}
	m := first.Moves[0]

	state := filepath.Join(filepath.Dir(cfg), "state")
	if err := os.MkdirAll(state, 0o700); err != nil {
		t.Fatal(err)
	}
	j, err := journal.Open(filepath.Join(state, "journal.db"))
	if err != nil {
		t.Fatal(err)
	}
	journalMoveBack(t, j, first, m)

	// Held open, as by a running daemon: planned without the history, and said.
	held, out, printed := plan("held")
	if held.HistoryUnread == "" || !strings.Contains(printed.stdout, "Made "+unread) {
		t.Errorf("a held journal is not said in the summary: history_unread %q, stdout %q", held.HistoryUnread, printed.stdout)
	}
	if n := strings.Count(printed.stdout+printed.stderr, unread); n != 1 {
		t.Errorf("the held journal is said %d times, want once:\nstdout:\n%s\nstderr:\n%s", n, printed.stdout, printed.stderr)
	}
	for _, f := range []string{"plan.md", "plan.html"} {
		b, err := os.ReadFile(filepath.Join(out, f))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), "Made without the journal") || !strings.Contains(string(b), "held by a running daemon") {
			t.Errorf("%s does not say the history was not read", f)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}

	// Released, as by a daemon stopped: the VM is in its cooldown.
	next, _, printed := plan("next")
	if next.HistoryUnread != "" || strings.Contains(printed.stdout+printed.stderr, unread) {
		t.Errorf("the journal was readable, yet history_unread %q, printed %+v", next.HistoryUnread, printed)
	}
	for _, n := range next.Moves {
		if n.VM == m.VM {
			t.Errorf("%s moves %s -> %s a minute after the journal's move, within the 1h cooldown", n.VMName, n.From, n.To)
		}
	}
}
