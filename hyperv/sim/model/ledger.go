package model

// The ledger: one entry per accepted migration and per-host counts, written
// as the queue (queue.go) moves a migration along and read by tests.

import (
	"errors"
	"time"
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
	// StorageBytes is the bytes of files a storage migration (IncludeStorage)
	// copied, so far for a failed one; 0 for a memory-only move.
	StorageBytes int64 `json:"storage_bytes"`
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

// recordQueuedLocked adds e, a migration just accepted, as queued and
// returns its Seq.
func (f *Fleet) recordQueuedLocked(e LedgerEntry) int {
	e.Seq, e.Outcome = len(f.ledger)+1, OutcomeQueued
	f.ledger = append(f.ledger, e)
	return e.Seq
}

// recordStartLocked records that migration seq started running at at,
// between hosts whose active counts already include it.
func (f *Fleet) recordStartLocked(seq int, at time.Time, hosts ...*simHost) {
	e := &f.ledger[seq-1]
	e.Start, e.Outcome = at, OutcomeRunning
	for _, h := range hosts {
		h.ledger.HighWater = max(h.ledger.HighWater, h.active)
	}
}

// recordEndLocked records the outcome of migration seq at at, having sent
// bytes of memory and storage bytes of files (err nil means completed), counts it on its source and destination
// (dst may be nil or unknown), and returns its outcome.
func (f *Fleet) recordEndLocked(seq int, at time.Time, bytes, storage int64, err error, src, dst *simHost) string {
	e := &f.ledger[seq-1]
	e.Bytes, e.StorageBytes = bytes, storage
	if e.Start.IsZero() {
		e.Start = at
	}
	e.End = at
	hosts := []*simHost{src}
	if dst != nil && dst != src {
		hosts = append(hosts, dst)
	}
	if err == nil {
		e.Outcome = OutcomeCompleted
		for _, h := range hosts {
			h.ledger.Completed++
		}
		return e.Outcome
	}
	e.Outcome, e.Error = OutcomeFailed, err.Error()
	var me *MoveError
	if errors.As(err, &me) {
		e.HResult, e.Error = me.HResult, me.Message
	}
	for _, h := range hosts {
		h.ledger.Failed++
	}
	return e.Outcome
}
