package daemon

import (
	"context"
	"fmt"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
	"github.com/hvbalancer/hvbalancer/collector"
)

// backend shows the daemon to the HTTP server.
type backend struct{ d *Daemon }

var _ web.Backend = backend{}

// Status implements web.Backend.
func (b backend) Status() web.Status {
	d := b.d
	cfg, _, _ := d.current()
	d.mu.RLock()
	file := d.file
	d.mu.RUnlock()
	d.stateMu.Lock()
	r, reload := d.lastRound, d.lastReload
	d.stateMu.Unlock()
	snap := d.col.Latest()
	stopped := d.fleet.Guard.Stopped()
	ready, notReady := readiness(d.isReconciled(), snap, stopped, cfg.Collector.MinAnsweringShare, d.roundReadiness())
	paused, reason := d.exec.Paused()
	st := d.exec.Status()
	out := web.Status{
		Version: d.version, Mode: cfg.Automation, Paused: paused, PauseReason: reason,
		Ready: ready, NotReady: notReady,
		LastRound:    web.RoundOutcome{Time: r.At, Duration: r.Took.Seconds(), PlanID: r.PlanID, Result: string(r.Result), Error: r.Error},
		RoundRunning: d.running(),
		InFlight:     []web.Migration{},
		Queue:        len(st.Queued),
		CPUHigh:      cfg.Planner.CPUHigh,
		MemoryHigh:   cfg.Planner.MemoryHigh,
		Balance:      d.metrics.balance.Load(),
		Hosts:        len(d.fleet.Guard.Hosts()),

		StoppedCredentials: []web.StoppedCredential{},
		Settings:           runningSettings(cfg, file),
		LastReload:         reload,
	}
	if snap != nil {
		out.HostsAnswering, out.Hosts = snap.Answering()
	}
	if out.HA = d.haStatus(); out.HA != nil && !out.HA.Leading {
		out.Ready, out.NotReady = false, standbyReason(out.HA)
	}
	for _, s := range stopped {
		out.StoppedCredentials = append(out.StoppedCredentials, web.StoppedCredential{
			Credential: s.Credential, Failures: s.Failures, Since: s.Since, Hosts: s.Hosts, Message: s.Message,
		})
	}
	for _, f := range st.InFlight {
		out.InFlight = append(out.InFlight, web.Migration{
			MoveID: f.MoveID, PlanID: f.PlanID, VMName: f.VMName, From: f.From, To: f.To,
			ElapsedSeconds: f.Elapsed.Seconds(), Bytes: f.Bytes,
		})
	}
	return out
}

// Snapshot implements web.Backend.
func (b backend) Snapshot() *collector.Snapshot { return b.d.latest() }

// Maintenance implements web.Backend.
func (b backend) Maintenance() map[string][]web.MaintenanceState { return b.d.maintenance() }

// EnterMaintenance implements web.Backend.
func (b backend) EnterMaintenance(_ context.Context, host, by, reason string) (web.MaintenanceChange, error) {
	return b.d.enterMaintenance(host, by, reason)
}

// ExitMaintenance implements web.Backend.
func (b backend) ExitMaintenance(_ context.Context, host, by, reason string) (web.MaintenanceChange, error) {
	return b.d.exitMaintenance(host, by, reason)
}

// Plans implements web.Backend.
func (b backend) Plans() []web.PlanInfo {
	var out []web.PlanInfo
	for _, r := range b.d.plans.records() {
		out = append(out, web.PlanInfo{
			ID: r.ID, Created: r.Created, Expires: r.Expires, Moves: r.Moves,
			State: r.State, ApprovedBy: r.ApprovedBy, ApprovedAt: r.ApprovedAt,
			SupersededBy: r.SupersededBy, Outcomes: apiOutcomes(r.Outcomes),
			Message: planMessage(r),
		})
	}
	return out
}

// planMessage says where a plan stands in an administrator's words.
func planMessage(r planRecord) string {
	ended := func() string {
		o := r.Outcomes
		return fmt.Sprintf("%d succeeded, %d failed, %d skipped", o[journal.StateSucceeded], o[journal.StateFailed], o[journal.StateSkipped])
	}
	switch r.State {
	case web.PlanPending:
		return fmt.Sprintf("%d of %d moves wait for approval", len(r.Pending), r.Moves)
	case web.PlanApproved:
		return fmt.Sprintf("approved by %s; %s", r.ApprovedBy, progressText(r))
	case web.PlanExecuting:
		return progressText(r)
	case web.PlanDone, web.PlanPartlyDone, web.PlanFailed:
		return fmt.Sprintf("%d moves ended: %s", len(r.MoveIDs), ended())
	case web.PlanSuperseded:
		return "replaced by plan " + r.SupersededBy + " before approval"
	case web.PlanExpired:
		return "expired before approval"
	case web.PlanRefused:
		return "refused: its stored copy does not match its digest"
	}
	return ""
}

// apiOutcomes turns the journal's counts into the API's; nil when none.
func apiOutcomes(o map[journal.State]int) map[web.MoveState]int {
	if len(o) == 0 {
		return nil
	}
	out := make(map[web.MoveState]int, len(o))
	for s, n := range o {
		out[web.MoveStateOf(s)] += n
	}
	return out
}

// Plan implements web.Backend.
func (b backend) Plan(id string) (*balancer.Plan, error) { return b.d.plans.plan(id) }

// History implements web.Backend.
func (b backend) History(limit int) []journal.Entry {
	es, err := b.d.journal.Entries(limit, nil)
	if err != nil {
		b.d.log.Error("read the journal", "err", err)
	}
	return es
}

// Approve implements web.Backend.
func (b backend) Approve(_ context.Context, id, by string) error { return b.d.approve(id, by) }

// Pause implements web.Backend.
func (b backend) Pause(reason string) error { return b.d.pause(reason) }

// Resume implements web.Backend.
func (b backend) Resume() error { return b.d.resume() }

// Reload implements web.Backend.
func (b backend) Reload(context.Context) error {
	if _, err := b.d.reload(); err != nil {
		return fmt.Errorf("%w: %w", web.ErrInvalid, err)
	}
	return nil
}
