package model

import (
	"context"
	"errors"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/fleetfile"
)

// Outcomes of a ledger entry.
const (
	OutcomeQueued    = "queued"
	OutcomeRunning   = "running"
	OutcomeCompleted = "completed"
	OutcomeFailed    = "failed"
)

// LedgerEntry is one migration the fleet was asked for, from the moment the
// host accepted the command (a VM that Get-VM cannot find leaves no entry).
// Times are simulated; End is zero while it is queued or running.
type LedgerEntry struct {
	Seq         int       `json:"seq"`
	VMID        string    `json:"vm_id"`
	VMName      string    `json:"vm_name"`
	Source      string    `json:"source"`
	Destination string    `json:"destination"`
	Cluster     bool      `json:"cluster"`
	Queued      time.Time `json:"queued"`
	Start       time.Time `json:"start,omitzero"`
	End         time.Time `json:"end,omitzero"`
	Outcome     string    `json:"outcome"` // OutcomeQueued, OutcomeRunning, OutcomeCompleted or OutcomeFailed
	HResult     uint32    `json:"hresult,omitempty"`
	Error       string    `json:"error,omitempty"`
	Bytes       int64     `json:"bytes"` // memory sent (so far, for a failed migration)
}

// HostLedger counts one host's migrations, sending or receiving.
type HostLedger struct {
	Max       int `json:"max"`        // MaxMigrations
	HighWater int `json:"high_water"` // most migrations it ever ran at once; never above Max
	Completed int `json:"completed"`
	Failed    int `json:"failed"`
}

// Ledger returns a copy of every ledger entry, by Seq.
func (f *Fleet) Ledger() []LedgerEntry {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.settleLocked(f.clock.Now())
	return append([]LedgerEntry(nil), f.ledger...)
}

// HostLedger returns the counts of every host, by name.
func (f *Fleet) HostLedger() map[string]HostLedger {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.settleLocked(f.clock.Now())
	out := make(map[string]HostLedger, len(f.hosts))
	for _, h := range f.hosts {
		out[h.spec.Name] = h.ledger
	}
	return out
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
	for _, m := range append([]*migration(nil), f.queue...) {
		f.finishLocked(m, now, moveFailure(fleetfile.HResultTimeout, m))
	}
	f.mu.Unlock()
	f.wg.Wait()
	return nil
}

// addEntryLocked records m as queued and gives it its Seq.
func (f *Fleet) addEntryLocked(m *migration) {
	m.seq = len(f.ledger) + 1
	f.ledger = append(f.ledger, LedgerEntry{
		Seq: m.seq, VMID: m.vm.spec.ID, VMName: m.vm.spec.Name, Source: m.src.spec.Name, Destination: m.dstName,
		Cluster: m.cluster, Queued: m.queued, Outcome: OutcomeQueued,
	})
}

// finishLocked gives m its outcome at at: err nil means completed. It frees
// m's slots and reservation; the caller reschedules.
func (f *Fleet) finishLocked(m *migration, at time.Time, err error) {
	if m.finished {
		return
	}
	m.finished = true
	e := &f.ledger[m.seq-1]
	if m.state == OutcomeRunning {
		m.src.active--
		m.dst.active--
		e.Bytes = m.bytes
		if err != nil && !m.hung && m.duration > 0 {
			e.Bytes = int64(float64(m.bytes) * clamp(float64(at.Sub(m.runStart))/float64(m.duration), 0, 1))
		} else if err != nil {
			e.Bytes = 0
		}
	}
	if e.Start.IsZero() {
		e.Start = at
	}
	e.End = at
	hosts := []*simHost{m.src}
	if m.dst != nil && m.dst != m.src {
		hosts = append(hosts, m.dst)
	}
	if err == nil {
		e.Outcome = OutcomeCompleted
		for _, h := range hosts {
			h.ledger.Completed++
		}
	} else {
		e.Outcome, e.Error = OutcomeFailed, err.Error()
		var me *MoveError
		if errors.As(err, &me) {
			e.HResult, e.Error = me.HResult, me.Message
		}
		for _, h := range hosts {
			h.ledger.Failed++
		}
	}
	m.state, m.err = e.Outcome, err
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
