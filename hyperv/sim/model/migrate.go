package model

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/fleetfile"
)

// MigrationRequest asks for one live migration.
type MigrationRequest struct {
	VMID        string
	Source      string // the host the command ran on
	Destination string
	Cluster     bool // via Move-ClusterVirtualMachineRole rather than Move-VM
}

// migration is one Move-VM from its submission to its outcome.
type migration struct {
	seq      int
	vm       *simVM
	src, dst *simHost
	dstName  string // as asked for, when dst is unknown
	cluster  bool
	state    string // OutcomeQueued or OutcomeRunning while in f.queue
	queued   time.Time
	runStart time.Time // when copying began (after a hang)
	deadline time.Time
	duration time.Duration
	bytes    int64   // total the pre-copy sends
	reserved int64   // destination memory held while running
	cpu      float64 // LP-units taken on each end while copying
	hung     bool
	failLate bool // fail with a timeout when the copy ends
	finished bool
	started  chan struct{} // closed when it starts running
	wake     chan struct{} // closed when its source's hang clears
	done     chan struct{} // closed when it has an outcome
	result   VMState
	err      error
}

// Migrate performs a live migration and blocks, in simulated time, until it
// ends. Source is the host the command ran on; for Cluster requests it may be
// any node of the VM's cluster. Cancelling ctx stops the caller waiting but
// not the migration: as in Hyper-V it goes on, and the ledger records its
// real outcome.
//
// Rules, as Hyper-V applies them: a VM not on Source fails as Get-VM does; a
// clustered VM must be moved with the cluster cmdlet, and only to a node of
// its cluster; the destination must be known, reachable, up and accept live
// migrations (as must the source); it must have room for the VM's assigned
// memory beyond its reserve and the memory reserved by inbound migrations.
// The source host's MoveFailureRate may then fail the move with its
// MoveFailure code (a timeout fails at the end of the copy, the others at
// once). Each host runs at most MaxMigrations migrations at once, sending or
// receiving; the others wait in FIFO order. A running VM is moved by
// pre-copy (see precopy); a VM that is off or saved is moved in quickMoveTime
// (its configuration only); a paused VM is pre-copied without dirtying.
// On success the VM keeps its ID and uptime on the destination.
func (f *Fleet) Migrate(ctx context.Context, req MigrationRequest) (VMState, error) {
	if err := ctx.Err(); err != nil {
		return VMState{}, fmt.Errorf("migrate %s to %s: %w", req.VMID, req.Destination, err)
	}
	f.mu.Lock()
	m, st, err := f.submitLocked(req)
	f.mu.Unlock()
	if m == nil {
		return st, err
	}
	select {
	case <-m.done:
		return m.result, m.err
	case <-ctx.Done():
		return VMState{}, fmt.Errorf("migrate %s to %s: %w", req.VMID, req.Destination, ctx.Err())
	}
}

// submitLocked checks req and queues its migration, or returns at once.
func (f *Fleet) submitLocked(req MigrationRequest) (*migration, VMState, error) {
	if f.closed {
		return nil, VMState{}, fmt.Errorf("migrate %s: %w", req.VMID, ErrClosed)
	}
	ran := f.hosts[strings.ToLower(req.Source)]
	if ran == nil {
		return nil, VMState{}, fmt.Errorf("migrate %s: source %s: %w", req.VMID, req.Source, ErrUnknownHost)
	}
	now := f.clock.Now()
	f.settleLocked(now)
	v := f.vms[strings.ToLower(req.VMID)]
	switch {
	case !req.Cluster && (v == nil || v.host != ran):
		return nil, VMState{}, VMNotFound(req.VMID)
	case req.Cluster && ran.spec.Cluster == "":
		return nil, VMState{}, notClusterNode(ran.spec.Name)
	case req.Cluster && (v == nil || !v.spec.Clustered || !sameCluster(v.host, ran)):
		return nil, VMState{}, clusteredVMNotFound(req.VMID, ran.spec.Cluster)
	}
	m := &migration{
		vm: v, src: v.host, dst: f.hosts[strings.ToLower(req.Destination)], dstName: req.Destination, cluster: req.Cluster, queued: now,
		started: make(chan struct{}), wake: make(chan struct{}), done: make(chan struct{}),
	}
	if m.dst != nil {
		m.dstName = m.dst.spec.Name
	}
	if req.Cluster && m.dst == v.host {
		return nil, f.vmStateLocked(v, now), nil // the cluster cmdlet treats the owner node as done
	}
	err := f.precheckLocked(m, now)
	if err == nil && m.src.shouldFailMove() {
		code, _ := fleetfile.ParseHResult(m.src.faults.MoveFailure)
		if code == fleetfile.HResultTimeout {
			m.failLate = true
		} else {
			err = moveFailure(code, m)
		}
	}
	f.addEntryLocked(m)
	if err != nil {
		f.finishLocked(m, now, err)
		return nil, VMState{}, err
	}
	m.state = OutcomeQueued
	v.moving = m
	f.queue = append(f.queue, m)
	f.wg.Add(1)
	go f.drive(m)
	f.scheduleLocked(now)
	f.notifyLocked()
	return m, VMState{}, nil
}

// precheckLocked applies the rules a migration must pass to be accepted.
func (f *Fleet) precheckLocked(m *migration, now time.Time) error {
	v, dst := m.vm, m.dst
	switch {
	case !m.cluster && v.spec.Clustered:
		return clusteredVM(m)
	case m.cluster && (dst == nil || !sameCluster(dst, v.host)):
		return nodeNotInCluster(m)
	case dst == v.host:
		return sameHost(m)
	case v.moving != nil:
		return busy(m)
	}
	return f.startCheckLocked(m, now)
}

// startCheckLocked applies the rules that can change while a migration
// waits in the queue.
func (f *Fleet) startCheckLocked(m *migration, now time.Time) error {
	switch {
	case m.src.faults.Crashed:
		return moveFailure(fleetfile.HResultTimeout, m)
	case m.dst == nil || m.dst.faults.Unreachable || m.dst.faults.Crashed:
		return moveFailure(fleetfile.HResultRefused, m)
	case !*m.src.spec.MigrationEnabled:
		return notConfigured(m, m.src)
	case !*m.dst.spec.MigrationEnabled:
		return notConfigured(m, m.dst)
	case f.assignedLocked(m.vm, now) > f.freeLocked(m.dst, now):
		return moveFailure(fleetfile.HResultOutOfMemory, m)
	}
	return nil
}

// scheduleLocked starts every queued migration whose hosts both have a free
// slot, in FIFO order per host: a migration waiting for a host blocks the
// later ones that touch either of its hosts.
func (f *Fleet) scheduleLocked(at time.Time) {
	blocked := make(map[*simHost]bool)
	for _, m := range append([]*migration(nil), f.queue...) {
		if m.state != OutcomeQueued {
			continue
		}
		if blocked[m.src] || blocked[m.dst] || m.src.active >= m.src.spec.MaxMigrations || m.dst.active >= m.dst.spec.MaxMigrations {
			blocked[m.src], blocked[m.dst] = true, true
			continue
		}
		start := at
		if m.queued.After(start) {
			start = m.queued
		}
		if err := f.startCheckLocked(m, start); err != nil {
			f.finishLocked(m, start, err)
			continue
		}
		f.startLocked(m, start)
	}
}

// startLocked takes the slots, reserves the destination memory and plans the copy.
func (f *Fleet) startLocked(m *migration, at time.Time) {
	m.state = OutcomeRunning
	e := &f.ledger[m.seq-1]
	e.Start, e.Outcome = at, OutcomeRunning
	for _, h := range []*simHost{m.src, m.dst} {
		h.active++
		h.ledger.HighWater = max(h.ledger.HighWater, h.active)
	}
	v := m.vm
	if v.state == VMRunning || v.state == VMPaused {
		m.reserved = f.assignedLocked(v, at)
		perf := m.src.spec.Performance
		bandwidth := math.Min(m.src.spec.BandwidthGbps, m.dst.spec.BandwidthGbps) * 1e9 / 8 * performanceFactor(perf)
		dirty := v.spec.DirtyRateMBps * MiB
		if v.state == VMPaused {
			dirty = 0
		}
		m.duration, m.bytes = precopy(m.reserved, bandwidth, dirty)
		m.cpu = performanceCPU(perf)
	} else {
		m.duration = quickMoveTime
	}
	if m.src.faults.Hang {
		m.hung = true
	} else {
		m.runStart, m.deadline = at, at.Add(m.duration)
	}
	close(m.started)
}

// drive waits, in simulated time, for m to end. It owns nothing but m's
// timer and ends when m has an outcome.
func (f *Fleet) drive(m *migration) {
	defer f.wg.Done()
	select {
	case <-m.started:
	case <-m.done:
		return
	}
	f.mu.Lock()
	hung := m.hung
	f.mu.Unlock()
	if hung {
		select {
		case <-m.wake:
		case <-m.done:
			return
		}
	}
	f.mu.Lock()
	deadline := m.deadline
	f.mu.Unlock()
	select {
	case <-f.clock.After(deadline.Sub(f.clock.Now())):
		f.mu.Lock()
		f.settleLocked(f.clock.Now())
		f.mu.Unlock()
	case <-m.done:
	}
}

// settleLocked ends, in order of simulated time, every running migration
// due by now, starting queued ones as slots free up (and ending those too if
// they are due). Every reader and writer settles first, so what it sees is
// the fleet at now, whichever goroutine's timer fired first.
func (f *Fleet) settleLocked(now time.Time) {
	for {
		var next *migration
		for _, m := range f.queue {
			if m.state == OutcomeRunning && !m.hung && !m.deadline.After(now) && (next == nil || m.deadline.Before(next.deadline)) {
				next = m
			}
		}
		if next == nil {
			return
		}
		f.endLocked(next)
	}
}

// endLocked gives m its outcome when its copy is over, at its deadline.
func (f *Fleet) endLocked(m *migration) {
	at := m.deadline
	var err error
	if m.failLate {
		err = moveFailure(fleetfile.HResultTimeout, m)
	} else {
		f.placeLocked(m.vm, m.dst)
	}
	f.finishLocked(m, at, err)
	f.scheduleLocked(at)
}

// progress is how far m's copy is, in percent 0..99.
func (m *migration) progress(now time.Time) int {
	if m.state != OutcomeRunning || m.hung || m.duration <= 0 {
		return 0
	}
	p := int(now.Sub(m.runStart) * 100 / m.duration)
	return min(max(p, 0), 99)
}

// migrationLoadLocked returns the CPU (LP-units) running migrations take on
// h and the memory reserved on h by inbound ones.
func (f *Fleet) migrationLoadLocked(h *simHost) (float64, int64) {
	var cpu float64
	var inbound int64
	for _, m := range f.queue {
		if m.state != OutcomeRunning {
			continue
		}
		if (m.src == h || m.dst == h) && !m.hung {
			cpu += m.cpu
		}
		if m.dst == h {
			inbound += m.reserved
		}
	}
	return cpu, inbound
}
