package web_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/balancer/executor"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/config"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
	"github.com/hvbalancer/hvbalancer/collector"
)

// Names that try to break out of HTML, JSON and PowerShell.
const (
	scriptName = "<script>alert(1)</script>"
	psName     = "x'; Stop-Computer -Force; '"
)

var t0 = time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)

// call is one mutating call the fake received.
type call struct {
	Op, ID, Arg string
}

// fakeBackend is an in-memory web.Backend. Its errors can be set per
// operation; it records the mutating calls.
type fakeBackend struct {
	mu      sync.Mutex
	status  web.Status
	snap    *collector.Snapshot
	plans   []web.PlanInfo
	plan    map[string]*balancer.Plan
	history []journal.Entry
	errs    map[string]error // by op: approve, pause, resume, reload, plan
	calls   []call
	limits  []int                           // History limits asked for
	maint   map[string]web.MaintenanceState // entered through the API
}

var _ web.Backend = (*fakeBackend)(nil)

func (f *fakeBackend) Status() web.Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.status
}

func (f *fakeBackend) Snapshot() *collector.Snapshot {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.snap
}

func (f *fakeBackend) Plans() []web.PlanInfo {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.plans
}

func (f *fakeBackend) Plan(id string) (*balancer.Plan, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.errs["plan"]; err != nil {
		return nil, err
	}
	p, ok := f.plan[id]
	if !ok {
		return nil, fmt.Errorf("plan %s: %w", id, web.ErrNotFound)
	}
	return p, nil
}

func (f *fakeBackend) History(limit int) []journal.Entry {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.limits = append(f.limits, limit)
	return f.history[:min(limit, len(f.history))]
}

func (f *fakeBackend) Approve(_ context.Context, id, by string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call{"approve", id, by})
	if err := f.errs["approve"]; err != nil {
		return err
	}
	for i, p := range f.plans {
		if p.ID != id {
			continue
		}
		if p.State != web.PlanPending {
			return fmt.Errorf("approve plan %s: it is %s: %w", id, p.State, web.ErrConflict)
		}
		f.plans[i].State, f.plans[i].ApprovedBy, f.plans[i].ApprovedAt = web.PlanApproved, by, t0
		return nil
	}
	return fmt.Errorf("approve plan %s: %w", id, web.ErrNotFound)
}

func (f *fakeBackend) Pause(reason string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call{Op: "pause", Arg: reason})
	if err := f.errs["pause"]; err != nil {
		return err
	}
	f.status.Paused, f.status.PauseReason = true, reason
	return nil
}

func (f *fakeBackend) Resume() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call{Op: "resume"})
	if err := f.errs["resume"]; err != nil {
		return err
	}
	f.status.Paused, f.status.PauseReason = false, ""
	return nil
}

func (f *fakeBackend) Reload(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call{Op: "reload"})
	return f.errs["reload"]
}

func (f *fakeBackend) setErr(op string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errs[op] = err
}

func (f *fakeBackend) calledWith() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]call(nil), f.calls...)
}

// newFake returns a backend with a small fleet: a hot host running VMs
// with hostile names, a calm one, an unreachable one; a migration in
// flight; plans in every state; some history.
func newFake() *fakeBackend {
	snap := &collector.Snapshot{
		Version: collector.SnapshotVersion, Taken: t0, WindowSeconds: 300,
		Hosts: []collector.Host{
			{Name: "hv01", Cluster: "c1", Health: collector.HealthOK, LogicalProcessors: 32, MemoryBytes: 256 << 30,
				MigrationEnabled: true, MaxMigrations: 2, CPU: collector.Stat{Last: 90, Mean: 82.5, P95: 91.25, Max: 95},
				Memory: collector.Stat{Last: 70, Mean: 68, P95: 72, Max: 73}, Samples: 10},
			{Name: "hv02", Cluster: "c1", Health: collector.HealthOK, LogicalProcessors: 32, MemoryBytes: 256 << 30,
				MigrationEnabled: true, MaxMigrations: 2, Maintenance: true, CPU: collector.Stat{Last: 20, Mean: 21, P95: 30, Max: 31},
				Memory: collector.Stat{Last: 40, Mean: 40, P95: 88, Max: 90}, Samples: 10},
			{Name: "hv03<b>", Health: collector.HealthUnreachable, Reason: "dial tcp: connection refused", Cause: collector.CauseUnreachable,
				LastSeen: t0.Add(-10 * time.Minute), LogicalProcessors: 16, MemoryBytes: 128 << 30,
				CPU: collector.Stat{Mean: 10, P95: 12}, Memory: collector.Stat{Mean: 50, P95: 50}},
		},
		VMs: []collector.VM{
			{ID: "a1", Name: scriptName, Host: "hv01", State: "Running", CPUs: 4, MemoryAssigned: 8 << 30},
			{ID: "a2", Name: psName, Host: "hv01", State: "Running", CPUs: 2, MemoryAssigned: 4 << 30},
			{ID: "a3", Name: "db01", Host: "hv02", State: "Running", CPUs: 8, MemoryAssigned: 32 << 30},
		},
	}
	unbalanced := false
	plan := &balancer.Plan{
		Schema: balancer.PlanSchema, ID: "plan-20260105-080000-1a2b3c4d", Created: t0, Expires: t0.Add(time.Hour),
		SnapshotDigest: "sha256:00", PolicyDigest: "sha256:11",
		Balanced: &unbalanced, Message: "1 move for balance",
		Moves: []balancer.Move{{VM: "a1", VMName: scriptName, From: "hv01", To: "hv02", Trigger: balancer.TriggerBalance,
			Reason: "hv01 is hot", Gain: 1.5, Bytes: 8 << 30, EstimatedSeconds: 7, Rules: []string{"deny"}}},
		Rejected: []balancer.Rejection{},
		Hosts: []balancer.HostLoad{
			{Name: "hv01", Status: "ok", Eligible: true, Hot: true, CPUBefore: 82.5, CPUAfter: 60, MemoryBefore: 68, MemoryAfter: 65, VMsBefore: 2, VMsAfter: 1, Out: 1},
			{Name: "hv02", Status: "ok", Eligible: true, CPUBefore: 21, CPUAfter: 40, MemoryBefore: 40, MemoryAfter: 43, VMsBefore: 1, VMsAfter: 2, In: 1},
		},
	}
	return &fakeBackend{
		status: web.Status{
			Version: "v1.2.3", Mode: config.AutomationManual, Ready: true,
			LastRound: web.RoundOutcome{Time: t0, Duration: 1.25, PlanID: plan.ID, Result: "planned"},
			InFlight: []web.Migration{{MoveID: "plan-x/1", PlanID: "plan-x", VMName: psName, From: "hv01", To: "hv02",
				ElapsedSeconds: 12.5, Bytes: 4 << 30}},
			Queue: 3, CPUHigh: 75, MemoryHigh: 85, Hosts: 2, HostsAnswering: 2,
			Balance: &web.Balance{Time: t0, CPUSpread: 30.75, MemorySpread: 14, TargetSpread: 5, Balanced: &unbalanced,
				Hot: []string{"hv01"}, Moves: 1},
		},
		snap: snap,
		plans: []web.PlanInfo{
			{ID: plan.ID, Created: t0, Expires: t0.Add(time.Hour), Moves: 1, State: web.PlanPending, Message: plan.Message},
			{ID: "plan-20260105-070000-00000001", Created: t0.Add(-time.Hour), Expires: t0, Moves: 2, State: web.PlanExpired},
			{ID: "plan-20260105-060000-00000002", Created: t0.Add(-2 * time.Hour), Expires: t0.Add(-time.Hour), Moves: 1,
				State: web.PlanDone, ApprovedBy: "alice", ApprovedAt: t0.Add(-110 * time.Minute)},
			{ID: "plan-20260105-050000-00000003", Created: t0.Add(-3 * time.Hour), Expires: t0.Add(-2 * time.Hour), Moves: 1, State: web.PlanRefused},
		},
		plan: map[string]*balancer.Plan{plan.ID: plan},
		history: []journal.Entry{
			{MoveID: "plan-20260105-060000-00000002/1", PlanID: "plan-20260105-060000-00000002", VMID: "a2", VMName: psName,
				From: "hv02", To: "hv01", State: journal.StateSucceeded, Intent: t0.Add(-100 * time.Minute),
				Started: t0.Add(-100 * time.Minute), Ended: t0.Add(-99 * time.Minute), Seq: 2},
			{MoveID: "plan-20260105-060000-00000002/0", PlanID: "plan-20260105-060000-00000002", VMID: "a1", VMName: scriptName,
				From: "hv02", To: "hv03<b>", State: journal.StateFailed, Cause: executor.CauseOutOfMemory,
				Error: "Move-VM: 0x8007000E <i>not enough memory</i>", Intent: t0.Add(-101 * time.Minute),
				Started: t0.Add(-101 * time.Minute), Ended: t0.Add(-100 * time.Minute), Seq: 1},
		},
		errs: map[string]error{},
	}
}

func (f *fakeBackend) Maintenance() map[string][]web.MaintenanceState {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string][]web.MaintenanceState{}
	if f.snap == nil {
		return out
	}
	for _, h := range f.snap.Hosts {
		if h.Maintenance {
			out[h.Name] = append(out[h.Name], web.MaintenanceState{Source: web.MaintenanceConfig})
		}
	}
	for h, m := range f.maint {
		out[h] = append(out[h], m)
	}
	return out
}

// fakeHost returns the snapshot's host named name (in any case).
func (f *fakeBackend) fakeHost(name string) (collector.Host, bool) {
	if f.snap == nil {
		return collector.Host{}, false
	}
	for _, h := range f.snap.Hosts {
		if strings.EqualFold(h.Name, name) {
			return h, true
		}
	}
	return collector.Host{}, false
}

func (f *fakeBackend) EnterMaintenance(_ context.Context, host, by, reason string) (web.MaintenanceChange, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call{"enter-maintenance", host, by + ": " + reason})
	h, ok := f.fakeHost(host)
	if !ok {
		return web.MaintenanceChange{}, fmt.Errorf("host %s: %w", host, web.ErrNotFound)
	}
	_, had := f.maint[h.Name]
	if !had {
		if f.maint == nil {
			f.maint = map[string]web.MaintenanceState{}
		}
		f.maint[h.Name] = web.MaintenanceState{Source: web.MaintenanceAPI, Since: t0, By: by, Reason: reason}
	}
	return web.MaintenanceChange{Host: h.Name, Maintenance: true, Changed: !had, Sources: []web.MaintenanceState{f.maint[h.Name]}}, nil
}

func (f *fakeBackend) ExitMaintenance(_ context.Context, host, by, reason string) (web.MaintenanceChange, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call{"exit-maintenance", host, by + ": " + reason})
	h, ok := f.fakeHost(host)
	if !ok {
		return web.MaintenanceChange{}, fmt.Errorf("host %s: %w", host, web.ErrNotFound)
	}
	if h.Maintenance {
		return web.MaintenanceChange{}, fmt.Errorf("host %s is in maintenance by its configuration: %w", h.Name, web.ErrConflict)
	}
	_, had := f.maint[h.Name]
	delete(f.maint, h.Name)
	return web.MaintenanceChange{Host: h.Name, Changed: had, Sources: []web.MaintenanceState{}}, nil
}
