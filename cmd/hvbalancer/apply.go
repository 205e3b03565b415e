package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
)

// errMovesFailed makes apply exit non-zero when a move failed.
var errMovesFailed = errors.New("some moves failed")

// applyCommand executes exactly an approved plan file: it refuses a plan
// whose digest does not match its content or that has expired, re-checks
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
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	plan, err := balancer.ReadPlan(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("apply %s: %w", fs.Arg(0), err)
	}
	c, engine, err := loadConfigAndPolicy(*path, e)
	if err != nil {
		return err
	}
	d, err := newDaemon(*path, c, engine, e.log, prometheus.NewRegistry())
	if err != nil {
		if errors.Is(err, journal.ErrLocked) {
			return fmt.Errorf("apply: the daemon holds the journal; approve the plan through it (hvbalancer approve %s): %w", plan.ID, err)
		}
		return err
	}
	defer d.close()
	if now := d.fleet.now(); plan.Expired(now) {
		return fmt.Errorf("apply %s: plan %s expired at %s", fs.Arg(0), plan.ID, plan.Expires.Format(time.RFC3339))
	}
	if plan.PolicyDigest != engine.Digest() {
		fmt.Fprintf(e.stdout, "note: the policy changed since the plan was made; every move is judged by the current one\n")
	}
	if err := d.exec.Reconcile(ctx); err != nil {
		return fmt.Errorf("apply: reconcile the journal: %w", err)
	}
	snap, err := d.col.Poll(ctx) // fresh state for re-validation
	if err != nil {
		return err
	}
	if err := tooFew(snap, d.fleet.addrs, c.Collector.MinAnsweringShare, "nothing applied"); err != nil {
		return err
	}
	ids, err := d.exec.Submit(plan.ID+"#apply", plan.Moves)
	if err != nil {
		return err
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- d.exec.Run(runCtx) }()
	results, waitErr := waitWithProgress(ctx, d, ids, plan, e.stdout)
	stop()
	if err := <-done; err != nil && waitErr == nil {
		waitErr = err
	}
	if waitErr != nil {
		return waitErr
	}
	failed := 0
	for _, r := range results {
		if r.State == journal.StateFailed || r.State == journal.StateUnknown {
			failed++
		}
	}
	fmt.Fprintf(e.stdout, "%s\n", summarizeResults(results))
	partial := incomplete(snap, d.fleet.addrs, "moves from or to them were skipped")
	if failed > 0 {
		return errors.Join(fmt.Errorf("%w: %d of %d", errMovesFailed, failed, len(results)), partial)
	}
	return partial
}

// waitWithProgress waits for the moves to end and shows their progress: a
// table redrawn in place on a terminal, one line per change otherwise.
func waitWithProgress(ctx context.Context, d *daemon, ids []string, plan *balancer.Plan, w io.Writer) ([]journal.Entry, error) {
	type result struct {
		es  []journal.Entry
		err error
	}
	done := make(chan result, 1)
	go func() {
		es, err := d.exec.Wait(ctx, ids)
		done <- result{es, err}
	}()
	tty := isTerminal(w)
	last := map[string]journal.State{}
	drawn := 0
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		rows := progressRows(d, ids, plan)
		if tty {
			if drawn > 0 {
				fmt.Fprintf(w, "\033[%dA", drawn)
			}
			for _, r := range rows {
				fmt.Fprintf(w, "\033[2K%s\n", r.line)
			}
			drawn = len(rows)
		} else {
			for _, r := range rows {
				if last[r.id] != r.state {
					last[r.id] = r.state
					fmt.Fprintln(w, r.line)
				}
			}
		}
		select {
		case r := <-done:
			if !tty {
				for _, row := range progressRows(d, ids, plan) {
					if last[row.id] != row.state {
						fmt.Fprintln(w, row.line)
					}
				}
			}
			return r.es, r.err
		case <-tick.C:
		}
	}
}

// stateQueued is what the progress table shows for a move the journal does
// not hold yet: submitted, not yet decided on.
const stateQueued journal.State = "queued"

type progressRow struct {
	id    string
	state journal.State
	line  string
}

func progressRows(d *daemon, ids []string, plan *balancer.Plan) []progressRow {
	elapsed := map[string]time.Duration{}
	for _, f := range d.exec.Status().InFlight {
		elapsed[f.MoveID] = f.Elapsed
	}
	rows := make([]progressRow, len(ids))
	for i, id := range ids {
		m := plan.Moves[i]
		state := stateQueued
		detail := ""
		if en, err := d.journal.Get(id); err == nil {
			state = en.State
			switch {
			case en.State == journal.StateStarted:
				detail = "running " + elapsed[id].Round(time.Second).String()
			case en.State.Final() && !en.Started.IsZero():
				detail = en.Ended.Sub(en.Started).Round(time.Second).String()
			}
			if en.Error != "" {
				detail = strings.TrimSpace(detail + " " + en.Error)
			}
		}
		rows[i] = progressRow{id: id, state: state, line: fmt.Sprintf("%2d  %-24s %s → %s  %6.1f GiB  %-9s %s",
			i+1, truncateName(m.VMName, 24), m.From, m.To, float64(m.Bytes)/(1<<30), state, detail)}
	}
	return rows
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
