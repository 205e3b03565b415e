package model

// The migration queue: how an accepted migration waits for slots on both of
// its hosts, runs its pre-copy in simulated time and ends. Every change to a
// migration's state after it is accepted happens here; the ledger records
// each step (ledger.go).

import (
	"context"
	"math"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/fleetfile"
)

// migration is one Move-VM from its submission to its outcome.
type migration struct {
	seq      int
	vm       *simVM
	src, dst *simHost
	dstName  string // as asked for, when dst is unknown
	cluster  bool
	// includeStorage and storagePath are the request's: a storage
	// migration copies the VM's files to storagePath first.
	includeStorage bool
	storagePath    string
	state          string // OutcomeQueued or OutcomeRunning while in f.queue
	queued         time.Time
	runStart       time.Time // when copying began (after a hang)
	deadline       time.Time
	duration       time.Duration
	bytes          int64                // total the pre-copy sends
	storage        int64                // bytes of files the storage copy sends, before the pre-copy
	storageTime    time.Duration        // how long the storage copy takes, within duration
	targets        []storageTarget      // where a storage migration puts each file
	volumes        map[*simVolume]int64 // destination space held while running
	reserved       int64                // destination memory held while running
	cpu            float64              // LP-units taken on each end while copying
	hung           bool
	failLate       bool // fail with a timeout when the copy ends
	finished       bool
	started        chan struct{} // closed when it starts running
	wake           chan struct{} // closed when its source's hang clears
	done           chan struct{} // closed when it has an outcome
	result         VMState
	err            error
}

// names is m as Hyper-V's error texts name it.
func (m *migration) names() moveNames {
	return moveNames{
		vm: m.vm.spec.Name, vmID: m.vm.spec.ID, source: m.src.spec.Name, sourceCluster: m.src.spec.Cluster,
		destination: m.dstName, cluster: m.cluster,
	}
}

// startCheckLocked applies the rules that can change while a migration
// waits in the queue.
func (f *Fleet) startCheckLocked(m *migration, now time.Time) error {
	switch {
	case m.src.faults.Crashed:
		return moveFailure(fleetfile.HResultTimeout, m.names())
	case m.dst == nil || m.dst.faults.Unreachable || m.dst.faults.Crashed:
		return moveFailure(fleetfile.HResultRefused, m.names())
	case !*m.src.spec.MigrationEnabled:
		return notConfigured(m.names(), m.src.spec.Name, false)
	case !*m.dst.spec.MigrationEnabled:
		return notConfigured(m.names(), m.dst.spec.Name, true)
	case f.assignedLocked(m.vm, now) > f.freeLocked(m.dst, now):
		return moveFailure(fleetfile.HResultOutOfMemory, m.names())
	}
	if m.includeStorage { // storage copies that started meanwhile may have filled a volume
		if list := storageIncompatibilities(m.vm, m.dst, true, m.storagePath); len(list) > 0 {
			return incompatible(m.names(), list)
		}
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
	m.src.active++
	m.dst.active++
	f.recordStartLocked(m.seq, at, m.src, m.dst)
	v := m.vm
	perf := m.src.spec.Performance
	bandwidth := math.Min(m.src.spec.BandwidthGbps, m.dst.spec.BandwidthGbps) * 1e9 / 8 * performanceFactor(perf)
	if v.state == VMRunning || v.state == VMPaused {
		m.reserved = f.assignedLocked(v, at)
		dirty := v.spec.DirtyRateMBps * MiB
		if v.state == VMPaused {
			dirty = 0
		}
		m.duration, m.bytes = precopy(m.reserved, bandwidth, dirty)
		m.cpu = performanceCPU(perf)
	} else {
		m.duration = quickMoveTime
	}
	if m.includeStorage {
		m.targets = storageTargets(v.path, v.disks, m.dst.volumes, m.storagePath)
		m.volumes = copyBytes(v.disks, m.targets)
		for vol, n := range m.volumes {
			vol.reserved += n
			m.storage += n
		}
		m.storageTime = storageCopy(m.storage, bandwidth)
		m.duration += m.storageTime
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
		err = moveFailure(fleetfile.HResultTimeout, m.names())
	} else {
		f.placeLocked(m.vm, m.dst)
		m.moveFiles()
	}
	f.finishLocked(m, at, err)
	f.scheduleLocked(at)
}

// finishLocked gives m its outcome at at: err nil means completed. It frees
// m's slots and reservation; the caller reschedules.
func (f *Fleet) finishLocked(m *migration, at time.Time, err error) {
	if m.finished {
		return
	}
	m.finished = true
	var sent, storage int64
	if m.state == OutcomeRunning {
		m.src.active--
		m.dst.active--
		for vol, n := range m.volumes {
			vol.reserved -= n
		}
		switch {
		case err == nil:
			sent, storage = m.bytes, m.storage
		case !m.hung && m.duration > 0:
			elapsed := at.Sub(m.runStart)
			storage = int64(float64(m.storage) * fraction(elapsed, m.storageTime))
			sent = int64(float64(m.bytes) * fraction(elapsed-m.storageTime, m.duration-m.storageTime))
		}
	}
	m.state, m.err = f.recordEndLocked(m.seq, at, sent, storage, err, m.src, m.dst), err
	if m.vm.moving == m {
		m.vm.moving = nil
	}
	for i, q := range f.queue {
		if q == m {
			f.queue = append(f.queue[:i], f.queue[i+1:]...)
			break
		}
	}
	if err == nil {
		m.result = f.vmStateLocked(m.vm, at)
	}
	close(m.done)
	f.notifyLocked()
}

// fraction is how much of a step of length d is done after elapsed: 0..1,
// and 1 for a step of no length once it is reached.
func fraction(elapsed, d time.Duration) float64 {
	if d <= 0 {
		if elapsed >= 0 {
			return 1
		}
		return 0
	}
	return clamp(float64(elapsed)/float64(d), 0, 1)
}

// moveFiles puts m's VM's files where its storage migration copied them
// and moves the space they use from their old volumes to the new ones.
func (m *migration) moveFiles() {
	v := m.vm
	for _, t := range m.targets {
		if t.disk < 0 {
			v.path = t.path
			continue
		}
		d := &v.disks[t.disk]
		if d.vol != nil {
			d.vol.used -= d.fileSize
		}
		if t.vol != nil {
			t.vol.used += d.fileSize
		}
		d.path, d.vol = t.path, t.vol
	}
}

// failLocked fails, at now, every migration queued or running that touches
// h, or every one when h is nil.
func (f *Fleet) failLocked(h *simHost, now time.Time) {
	for _, m := range append([]*migration(nil), f.queue...) {
		if h == nil || m.src == h || m.dst == h {
			f.finishLocked(m, now, moveFailure(fleetfile.HResultTimeout, m.names()))
		}
	}
}

// resumeLocked lets the migrations hung on h start copying now.
func (f *Fleet) resumeLocked(h *simHost, now time.Time) {
	for _, m := range f.queue {
		if m.src == h && m.hung {
			m.hung = false
			m.runStart, m.deadline = now, now.Add(m.duration)
			close(m.wake)
		}
	}
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

// WaitIdle blocks until no migration is queued or running, or ctx is done.
// A hung migration keeps the fleet busy until its host's hang is cleared.
func (f *Fleet) WaitIdle(ctx context.Context) error {
	for {
		f.mu.Lock()
		f.settleLocked(f.clock.Now())
		idle, ch := len(f.queue) == 0, f.changed
		f.mu.Unlock()
		if idle {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Close fails every migration still queued or running and waits for their
// goroutines to end. Migrate then returns ErrClosed.
func (f *Fleet) Close() error {
	f.mu.Lock()
	f.closed = true
	now := f.clock.Now()
	f.settleLocked(now)
	f.failLocked(nil, now)
	f.mu.Unlock()
	f.wg.Wait()
	return nil
}
