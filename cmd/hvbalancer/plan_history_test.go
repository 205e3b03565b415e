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
// the plan is made without the history and says so on stderr and in the
// header of each of its reports.
func TestOneShotPlanReadsTheJournal(t *testing.T) {
	cfg := daemonConfig(t, "manual")
	dir := t.TempDir()
	snapPath, _ := snapshotOnce(t, cfg, dir)
	plan := func(name string) (*balancer.Plan, string, string) {
		out := filepath.Join(dir, name)
		p, _, e := planOnce(t, cfg, snapPath, out)
		return p, out, e
	}
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
	held, out, stderr := plan("held")
	if held.HistoryUnread == "" || !strings.Contains(stderr, "without the journal's history") {
		t.Errorf("a held journal is not said: history_unread %q, stderr %q", held.HistoryUnread, stderr)
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
	next, _, stderr := plan("next")
	if next.HistoryUnread != "" || strings.Contains(stderr, "without the journal's history") {
		t.Errorf("the journal was readable, yet history_unread %q, stderr %q", next.HistoryUnread, stderr)
	}
	for _, n := range next.Moves {
		if n.VM == m.VM {
			t.Errorf("%s moves %s -> %s a minute after the journal's move, within the 1h cooldown", n.VMName, n.From, n.To)
		}
	}
}
