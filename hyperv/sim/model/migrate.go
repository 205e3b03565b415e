package model

// Accepting a migration: the rules Move-VM and the cluster cmdlet apply
// before a migration is queued. What happens to it once queued is in
// queue.go.

import (
	"context"
	"fmt"
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
	// IncludeStorage moves the VM's files too (Move-VM -IncludeStorage):
	// a shared-nothing live migration.
	IncludeStorage bool
	// DestinationStoragePath is the folder on the destination the files go
	// to with IncludeStorage (-DestinationStoragePath): the configuration
	// in it, each disk as <path>\<file name>. Empty keeps every file's path.
	DestinationStoragePath string
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
	if err := lookupError(req, v, ran); err != nil {
		return nil, VMState{}, err
	}
	m := &migration{
		vm: v, src: v.host, dst: f.hosts[strings.ToLower(req.Destination)], dstName: req.Destination, cluster: req.Cluster, queued: now,
		includeStorage: req.IncludeStorage, storagePath: req.DestinationStoragePath,
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
			err = moveFailure(code, m.names())
		}
	}
	m.seq = f.recordQueuedLocked(LedgerEntry{
		VMID: v.spec.ID, VMName: v.spec.Name, Source: m.src.spec.Name, Destination: m.dstName, Cluster: m.cluster, Queued: now,
	})
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
		return clusteredVM(m.names())
	case m.cluster && (dst == nil || !sameCluster(dst, v.host)):
		return nodeNotInCluster(m.names())
	case dst == v.host:
		return sameHost(m.names())
	case v.moving != nil:
		return busy(m.names())
	case m.cluster && m.includeStorage:
		return storageWithCluster(m.names())
	case dst != nil && !dst.faults.Unreachable && !dst.faults.Crashed:
		if list := incompatibilities(v, dst, m.includeStorage, m.storagePath); len(list) > 0 {
			return incompatible(m.names(), list)
		}
	}
	return f.startCheckLocked(m, now)
}

// lookupError is the error Get-VM (or the cluster cmdlet) gives when req's
// VM is not where req says it is, or nil.
func lookupError(req MigrationRequest, v *simVM, ran *simHost) error {
	switch {
	case !req.Cluster && (v == nil || v.host != ran):
		return VMNotFound(req.VMID)
	case req.Cluster && ran.spec.Cluster == "":
		return notClusterNode(ran.spec.Name)
	case req.Cluster && (v == nil || !v.spec.Clustered || !sameCluster(v.host, ran)):
		return clusteredVMNotFound(req.VMID, ran.spec.Cluster)
	}
	return nil
}
