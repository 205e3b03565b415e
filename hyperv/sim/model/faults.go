package model

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/fleetfile"
)

// ErrUnknownHost is returned for a host name the fleet does not have.
var ErrUnknownHost = errors.New("unknown host")

// SetFaults replaces the faults of host at run time. Setting Crashed crashes
// the host (see Crash); clearing Hang lets its hung migrations go on;
// clearing Crashed brings the host back with its VMs off.
func (f *Fleet) SetFaults(host string, fl fleetfile.Faults) error {
	if err := fl.Validate("faults"); err != nil {
		return fmt.Errorf("set faults of %s: %w", host, err)
	}
	fl = fl.Effective()
	f.mu.Lock()
	defer f.mu.Unlock()
	h := f.hosts[strings.ToLower(host)]
	if h == nil {
		return fmt.Errorf("set faults of %s: %w", host, ErrUnknownHost)
	}
	now := f.clock.Now()
	f.settleLocked(now)
	wasCrashed, wasHung := h.faults.Crashed, h.faults.Hang
	h.faults = fl
	if wasHung && !fl.Hang {
		f.unhangLocked(h, now)
	}
	if fl.Crashed && !wasCrashed {
		f.crashLocked(h, now)
	}
	f.notifyLocked()
	return nil
}

// Faults returns the faults of host now in force.
func (f *Fleet) Faults(host string) (fleetfile.Faults, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	h := f.hosts[strings.ToLower(host)]
	if h == nil {
		return fleetfile.Faults{}, fmt.Errorf("get faults of %s: %w", host, ErrUnknownHost)
	}
	return h.faults, nil
}

// Crash makes host crash: its running and paused VMs go off (clustered ones
// restart on another live node of their cluster that has the memory for
// them) and every migration queued or running to or from it fails.
func (f *Fleet) Crash(host string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	h := f.hosts[strings.ToLower(host)]
	if h == nil {
		return fmt.Errorf("crash %s: %w", host, ErrUnknownHost)
	}
	if !h.faults.Crashed {
		now := f.clock.Now()
		f.settleLocked(now)
		h.faults.Crashed = true
		f.crashLocked(h, now)
		f.notifyLocked()
	}
	return nil
}

// ShouldFailMove draws from host's seeded random source whether a
// migration from it fails by its MoveFailureRate. Each host has its own
// source, so the draws of one host do not depend on the others.
func (f *Fleet) ShouldFailMove(host string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	h := f.hosts[strings.ToLower(host)]
	return h != nil && h.shouldFailMove()
}

func (h *simHost) shouldFailMove() bool {
	rate := h.faults.MoveFailureRate
	if rate <= 0 {
		return false
	}
	return h.rng.Float64() < rate
}

func (f *Fleet) crashLocked(h *simHost, now time.Time) {
	for _, m := range append([]*migration(nil), f.queue...) {
		if m.src == h || m.dst == h {
			f.finishLocked(m, now, moveFailure(fleetfile.HResultTimeout, m))
		}
	}
	for _, v := range h.sortedVMs() {
		if v.state != VMRunning && v.state != VMPaused {
			continue
		}
		if v.spec.Clustered {
			if to := f.failoverTargetLocked(v, h, now); to != nil {
				f.placeLocked(v, to)
				v.state, v.boot = VMRunning, now
				continue
			}
		}
		v.state = VMOff
	}
	f.scheduleLocked(now)
}

// failoverTargetLocked picks the live node of v's cluster, other than from,
// with the most free memory, if it can start v.
func (f *Fleet) failoverTargetLocked(v *simVM, from *simHost, now time.Time) *simHost {
	var best *simHost
	var bestFree int64
	for _, name := range f.names {
		h := f.hosts[strings.ToLower(name)]
		if h == from || !sameCluster(h, from) || h.faults.Crashed || h.faults.Unreachable {
			continue
		}
		free := f.freeLocked(h, now)
		if free >= v.startup && (best == nil || free > bestFree) {
			best, bestFree = h, free
		}
	}
	return best
}

// unhangLocked lets the migrations hung on h start copying now.
func (f *Fleet) unhangLocked(h *simHost, now time.Time) {
	for _, m := range f.queue {
		if m.src == h && m.hung {
			m.hung = false
			m.runStart, m.deadline = now, now.Add(m.duration)
			close(m.wake)
		}
	}
}

// MoveError is a failed Move-VM (or Get-VM, or Move-ClusterVirtualMachineRole)
// as PowerShell reports it: the texts Hyper-V words, and what the error
// record's CategoryInfo and FullyQualifiedErrorId say.
type MoveError struct {
	HResult  uint32 // 0 when the text carries none
	Message  string // the Hyper-V text, lines separated by "\n"
	Command  string // the cmdlet that failed: Move-VM, Get-VM or Move-ClusterVirtualMachineRole
	Category string // CategoryInfo, e.g. "NotSpecified: (:) [Move-VM], VirtualizationException"
	ErrorID  string // FullyQualifiedErrorId, e.g. "OperationFailed,Microsoft.HyperV.PowerShell.Commands.MoveVM"
}

// Error returns the cmdlet and the message on one line.
func (e *MoveError) Error() string {
	return strings.ToLower(e.Command) + ": " + strings.ReplaceAll(e.Message, "\n", " ")
}

// Lines returns the message's lines.
func (e *MoveError) Lines() []string { return strings.Split(e.Message, "\n") }

// Cmdlets and their error records.
const (
	cmdGetVM         = "Get-VM"
	cmdMoveVM        = "Move-VM"
	cmdMoveClusterVM = "Move-ClusterVirtualMachineRole"
	categoryMoveVM   = "NotSpecified: (:) [Move-VM], VirtualizationException"
	errorIDMoveVM    = "OperationFailed,Microsoft.HyperV.PowerShell.Commands.MoveVM"
	categoryCluster  = "NotSpecified: (:) [Move-ClusterVirtualMachineRole], ClusterCmdletException"
	errorIDCluster   = "Move-ClusterVirtualMachineRole,Microsoft.FailoverClusters.PowerShell.MoveClusterVirtualMachineRoleCommand"
)

// VMNotFound is Get-VM -Id failing on the host the command ran on.
func VMNotFound(id string) *MoveError {
	return &MoveError{
		Command:  cmdGetVM,
		Message:  fmt.Sprintf("Hyper-V was unable to find a virtual machine with ID %s.", id),
		Category: fmt.Sprintf("InvalidArgument: (%s:Guid) [Get-VM], VirtualizationException", id),
		ErrorID:  "InvalidParameter,Microsoft.HyperV.PowerShell.Commands.GetVM",
	}
}

// migrationError is Hyper-V's "migration operation failed" text followed by
// lines; for a cluster move the cluster cmdlet wraps it.
func migrationError(m *migration, code uint32, atDestination bool, lines ...string) *MoveError {
	side, host := "source", m.src.spec.Name
	if atDestination {
		side, host = "destination", m.dstName
	}
	id := strings.ToUpper(m.vm.spec.ID)
	head := fmt.Sprintf("Virtual machine migration operation for '%s' failed at migration %s '%s'. (Virtual machine ID %s)", m.vm.spec.Name, side, host, id)
	e := &MoveError{HResult: code, Message: strings.Join(append([]string{head}, lines...), "\n"), Command: cmdMoveVM, Category: categoryMoveVM, ErrorID: errorIDMoveVM}
	if m.cluster {
		e.Command, e.Category, e.ErrorID = cmdMoveClusterVM, categoryCluster, errorIDCluster
		e.Message = fmt.Sprintf("An error occurred while moving the virtual machine '%s' to node '%s'.\n", m.vm.spec.Name, m.dstName) + e.Message
	}
	return e
}

// moveFailure is a migration failing with code, in Hyper-V's words.
func moveFailure(code uint32, m *migration) *MoveError {
	name, id := m.vm.spec.Name, strings.ToUpper(m.vm.spec.ID)
	switch code {
	case fleetfile.HResultNoCredentials:
		return migrationError(m, code, false, fmt.Sprintf("Failed to establish a connection with host '%s': No credentials are available in the security package (0x8009030E).", m.dstName))
	case fleetfile.HResultNoSuitableCreds:
		return migrationError(m, code, false, "Failed to authenticate the connection at the source host: no suitable credentials available. (0x8009030D)")
	case fleetfile.HResultTimeout:
		return migrationError(m, code, false, "Failed to receive data for a Virtual Machine migration: This operation returned because the timeout period expired. (0x800705B4).")
	case fleetfile.HResultRefused:
		return migrationError(m, code, false, fmt.Sprintf("Failed to establish a connection with host '%s': No connection could be made because the target machine actively refused it. (0x8007274D).", m.dstName))
	case fleetfile.HResultOutOfMemory:
		return migrationError(m, code, true,
			fmt.Sprintf("Not enough memory in the system to start the virtual machine %s. (Virtual machine ID %s)", name, id),
			fmt.Sprintf("'%s' could not initialize memory: Ran out of memory (0x8007000E). (Virtual machine ID %s)", name, id))
	}
	return migrationError(m, code, false, fmt.Sprintf("The operation failed. (%s)", fleetfile.FormatHResult(code)))
}

// notConfigured is live migration disabled on h.
func notConfigured(m *migration, h *simHost) *MoveError {
	return migrationError(m, fleetfile.HResultNotConfigured, h == m.dst,
		fmt.Sprintf("The Virtual Machine Management Service on host '%s' is not configured to accept live migrations. (0x80042001)", h.spec.Name))
}

// busy is a VM that is already being migrated.
func busy(m *migration) *MoveError {
	return migrationError(m, fleetfile.HResultBusy, false,
		fmt.Sprintf("The virtual machine '%s' is already being migrated: The requested resource is in use. (0x800700AA)", m.vm.spec.Name))
}

// sameHost is a VM moved to the host it is on.
func sameHost(m *migration) *MoveError {
	e := migrationError(m, fleetfile.HResultInvalidArg, false,
		fmt.Sprintf("The destination host '%s' is the source host of the virtual machine: The parameter is incorrect. (0x80070057)", m.dstName))
	e.Category, e.ErrorID = "InvalidArgument: (:) [Move-VM], VirtualizationException", "InvalidParameter,Microsoft.HyperV.PowerShell.Commands.MoveVM"
	return e
}

// clusteredVM is a clustered VM moved with plain Move-VM.
func clusteredVM(m *migration) *MoveError {
	e := migrationError(m, fleetfile.HResultClusteredVM, false,
		fmt.Sprintf("The virtual machine '%s' is clustered: move it with Move-ClusterVirtualMachineRole or Failover Cluster Manager. The group or resource is not in the correct state to perform the requested operation. (0x8007139F)", m.vm.spec.Name))
	e.Category, e.ErrorID = "InvalidOperation: (:) [Move-VM], VirtualizationException", "InvalidOperation,Microsoft.HyperV.PowerShell.Commands.MoveVM"
	return e
}

// nodeNotInCluster is a cluster move to a host outside the VM's cluster.
func nodeNotInCluster(m *migration) *MoveError {
	return &MoveError{
		HResult:  fleetfile.HResultNodeNotFound,
		Message:  fmt.Sprintf("The node '%s' is not a member of cluster '%s'. The cluster node was not found. (0x800713B2)", m.dstName, m.src.spec.Cluster),
		Command:  cmdMoveClusterVM,
		Category: "ObjectNotFound: (:) [Move-ClusterVirtualMachineRole], ClusterCmdletException",
		ErrorID:  errorIDCluster,
	}
}

// notClusterNode is the cluster cmdlet run on a host in no cluster.
func notClusterNode(host string) *MoveError {
	return &MoveError{
		HResult:  fleetfile.HResultNotClusterNode,
		Message:  fmt.Sprintf("Host '%s' is not a node of a failover cluster. The cluster node is not a member of the cluster. (0x800713BC)", host),
		Command:  cmdMoveClusterVM,
		Category: "ConnectionError: (:) [Move-ClusterVirtualMachineRole], ClusterCmdletException",
		ErrorID:  errorIDCluster,
	}
}

// clusteredVMNotFound is the cluster cmdlet given a VM its cluster lacks.
func clusteredVMNotFound(id, cluster string) *MoveError {
	return &MoveError{
		HResult:  fleetfile.HResultResourceMissing,
		Message:  fmt.Sprintf("No clustered virtual machine with ID %s was found in cluster '%s'. The cluster resource could not be found. (0x8007138F)", id, cluster),
		Command:  cmdMoveClusterVM,
		Category: "ObjectNotFound: (:) [Move-ClusterVirtualMachineRole], ClusterCmdletException",
		ErrorID:  errorIDCluster,
	}
}
