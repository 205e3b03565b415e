package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/daemon"
)

// applyCommand executes exactly an approved plan file: it refuses a plan
// whose digest does not match its content, whose signature is missing or
// from a key the configuration does not trust, or that has expired, re-checks
// every move against the live fleet and the current policy (skipping stale
// ones with the reason), and shows progress.
func applyCommand(ctx context.Context, args []string, e *env) error {
	fs := flags(e, "apply", "apply --config FILE PLAN.json")
	path := fs.String("config", "", "configuration `file`")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: apply takes one plan file", errUsage)
	}
	c, engine, err := loadConfigAndPolicy(*path, e)
	if err != nil {
		return err
	}
	plan, err := daemon.ReadSignedPlan(fs.Arg(0), c)
	if err != nil {
		return fmt.Errorf("apply %s: %w", fs.Arg(0), err)
	}
	d, err := daemon.New(daemon.Options{ConfigPath: *path, Config: c, Engine: engine, Version: buildVersion(), Logger: e.log})
	if err != nil {
		if errors.Is(err, journal.ErrLocked) {
			return fmt.Errorf("apply: a running daemon holds the journal: stop it to apply %s, or approve one of the daemon's own plans instead (hvbalancer approve --config %s PLAN_ID; they are listed on its status page and at /api/v1/plans): %w", fs.Arg(0), *path, err)
		}
		return err
	}
	defer d.Close()
	if plan.PolicyDigest != engine.Digest() && !plan.Expired(d.Now()) {
		fmt.Fprintf(e.stdout, "note: the policy changed since the plan was made; every move is judged by the current one\n")
	}
	results, err := d.Apply(ctx, plan, progressPrinter(e.stdout))
	if results != nil {
		fmt.Fprintf(e.stdout, "%s\n", summarizeResults(results))
	}
	return err
}

// progressPrinter shows the moves' progress: a table redrawn in place on a
// terminal, one line per change otherwise.
func progressPrinter(w io.Writer) func([]daemon.Progress) {
	tty := isTerminal(w)
	last := map[string]journal.State{}
	drawn := 0
	return func(ps []daemon.Progress) {
		if tty && drawn > 0 {
			fmt.Fprintf(w, "\033[%dA", drawn)
		}
		for i, p := range ps {
			line := progressLine(i, p)
			switch {
			case tty:
				fmt.Fprintf(w, "\033[2K%s\n", line)
			case last[p.MoveID] != p.State:
				last[p.MoveID] = p.State
				fmt.Fprintln(w, line)
			}
		}
		drawn = len(ps)
	}
}

// progressLine is one move's line of the progress table.
func progressLine(i int, p daemon.Progress) string {
	detail := ""
	switch {
	case p.State == journal.StateStarted:
		detail = "running " + p.Took.Round(time.Second).String()
	case p.Took > 0:
		detail = p.Took.Round(time.Second).String()
	}
	if p.Error != "" {
		detail = strings.TrimSpace(detail + " " + p.Error)
	}
	m := p.Move
	return fmt.Sprintf("%2d  %-24s %s → %s  %6.1f GiB  %-9s %s",
		i+1, truncateName(m.VMName, 24), m.From, m.To, float64(m.Bytes)/(1<<30), p.State, detail)
}

func truncateName(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func summarizeResults(es []journal.Entry) string {
	count := map[journal.State]int{}
	for _, e := range es {
		count[e.State]++
	}
	return fmt.Sprintf("%d moves: %d succeeded, %d failed, %d skipped, %d unknown",
		len(es), count[journal.StateSucceeded], count[journal.StateFailed], count[journal.StateSkipped], count[journal.StateUnknown])
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
