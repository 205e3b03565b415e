package model

// How Hyper-V words a failed migration: the error records of Get-VM, Move-VM
// and Move-ClusterVirtualMachineRole, built from the names of the VM and
// hosts alone.

import (
	"fmt"
	"strings"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/fleetfile"
)

// MoveError is a failed Move-VM (or Get-VM, or Move-ClusterVirtualMachineRole)
// as PowerShell reports it: the texts Hyper-V words, and what the error
// record's CategoryInfo and FullyQualifiedErrorId say.
type MoveError struct {
	HResult  uint32 // 0 when the text carries none
	Message  string // the Hyper-V text, lines separated by "\n"
	Command  string // the cmdlet that failed: Move-VM, Get-VM or Move-ClusterVirtualMachineRole
	Category string // CategoryInfo, e.g. "NotSpecified: (:) [Move-VM], VirtualizationException"
	ErrorID  string // FullyQualifiedErrorId, e.g. "OperationFailed,Microsoft.HyperV.PowerShell.Commands.MoveVM"
	// Reason is the first incompatibility's, for a move refused because
	// the destination cannot take the VM; "" otherwise.
	Reason Reason
	// Incompatibilities are every reason the destination cannot take the
	// VM, as Compare-VM would report them; nil for other failures.
	Incompatibilities []Incompatibility
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

// moveNames names a migration as Hyper-V's error texts do.
type moveNames struct {
	vm, vmID      string // the VM's name and ID
	source        string // the source host's name
	sourceCluster string // the source host's cluster, "" for none
	destination   string // the destination host's name, as asked for when unknown
	cluster       bool   // moved with Move-ClusterVirtualMachineRole
}

// migrationError is Hyper-V's "migration operation failed" text followed by
// lines; for a cluster move the cluster cmdlet wraps it.
func migrationError(m moveNames, code uint32, atDestination bool, lines ...string) *MoveError {
	side, host := "source", m.source
	if atDestination {
		side, host = "destination", m.destination
	}
	id := strings.ToUpper(m.vmID)
	head := fmt.Sprintf("Virtual machine migration operation for '%s' failed at migration %s '%s'. (Virtual machine ID %s)", m.vm, side, host, id)
	e := &MoveError{HResult: code, Message: strings.Join(append([]string{head}, lines...), "\n"), Command: cmdMoveVM, Category: categoryMoveVM, ErrorID: errorIDMoveVM}
	if m.cluster {
		e.Command, e.Category, e.ErrorID = cmdMoveClusterVM, categoryCluster, errorIDCluster
		e.Message = fmt.Sprintf("An error occurred while moving the virtual machine '%s' to node '%s'.\n", m.vm, m.destination) + e.Message
	}
	return e
}

// moveFailure is a migration failing with code, in Hyper-V's words.
func moveFailure(code uint32, m moveNames) *MoveError {
	name, id := m.vm, strings.ToUpper(m.vmID)
	switch code {
	case fleetfile.HResultNoCredentials:
		return migrationError(m, code, false, fmt.Sprintf("Failed to establish a connection with host '%s': No credentials are available in the security package (0x8009030E).", m.destination))
	case fleetfile.HResultNoSuitableCreds:
		return migrationError(m, code, false, "Failed to authenticate the connection at the source host: no suitable credentials available. (0x8009030D)")
	case fleetfile.HResultTimeout:
		return migrationError(m, code, false, "Failed to receive data for a Virtual Machine migration: This operation returned because the timeout period expired. (0x800705B4).")
	case fleetfile.HResultRefused:
		return migrationError(m, code, false, fmt.Sprintf("Failed to establish a connection with host '%s': No connection could be made because the target machine actively refused it. (0x8007274D).", m.destination))
	case fleetfile.HResultOutOfMemory:
		return migrationError(m, code, true,
			fmt.Sprintf("Not enough memory in the system to start the virtual machine %s. (Virtual machine ID %s)", name, id),
			fmt.Sprintf("'%s' could not initialize memory: Ran out of memory (0x8007000E). (Virtual machine ID %s)", name, id))
	}
	return migrationError(m, code, false, fmt.Sprintf("The operation failed. (%s)", fleetfile.FormatHResult(code)))
}

// notConfigured is live migration disabled on host, the source or (when
// atDestination) the destination.
func notConfigured(m moveNames, host string, atDestination bool) *MoveError {
	return migrationError(m, fleetfile.HResultNotConfigured, atDestination,
		fmt.Sprintf("The Virtual Machine Management Service on host '%s' is not configured to accept live migrations. (0x80042001)", host))
}

// busy is a VM that is already being migrated.
func busy(m moveNames) *MoveError {
	return migrationError(m, fleetfile.HResultBusy, false,
		fmt.Sprintf("The virtual machine '%s' is already being migrated: The requested resource is in use. (0x800700AA)", m.vm))
}

// sameHost is a VM moved to the host it is on.
func sameHost(m moveNames) *MoveError {
	e := migrationError(m, fleetfile.HResultInvalidArg, false,
		fmt.Sprintf("The destination host '%s' is the source host of the virtual machine: The parameter is incorrect. (0x80070057)", m.destination))
	e.Category, e.ErrorID = "InvalidArgument: (:) [Move-VM], VirtualizationException", "InvalidParameter,Microsoft.HyperV.PowerShell.Commands.MoveVM"
	return e
}

// clusteredVM is a clustered VM moved with plain Move-VM.
func clusteredVM(m moveNames) *MoveError {
	e := migrationError(m, fleetfile.HResultClusteredVM, false,
		fmt.Sprintf("The virtual machine '%s' is clustered: move it with Move-ClusterVirtualMachineRole or Failover Cluster Manager. The group or resource is not in the correct state to perform the requested operation. (0x8007139F)", m.vm))
	e.Category, e.ErrorID = "InvalidOperation: (:) [Move-VM], VirtualizationException", "InvalidOperation,Microsoft.HyperV.PowerShell.Commands.MoveVM"
	return e
}

// nodeNotInCluster is a cluster move to a host outside the VM's cluster.
func nodeNotInCluster(m moveNames) *MoveError {
	return &MoveError{
		HResult:  fleetfile.HResultNodeNotFound,
		Message:  fmt.Sprintf("The node '%s' is not a member of cluster '%s'. The cluster node was not found. (0x800713B2)", m.destination, m.sourceCluster),
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

// incompatible is a move refused before anything is copied because the
// destination cannot take the VM: Hyper-V's "not compatible with physical
// computer" line, then each incompatibility's message (as quoted in
// Compare-VM's documentation and the live migration troubleshooting guide,
// see compat.go). The HResult is the first incompatibility's, 0 when its
// text carries none.
func incompatible(m moveNames, list []Incompatibility) *MoveError {
	lines := []string{fmt.Sprintf("The virtual machine '%s' is not compatible with physical computer '%s'. (Virtual machine ID %s)", m.vm, m.destination, strings.ToUpper(m.vmID))}
	for _, in := range list {
		lines = append(lines, in.Message)
	}
	e := migrationError(m, list[0].HResult, true, lines...)
	e.Reason, e.Incompatibilities = list[0].Reason, list
	return e
}

// storageWithCluster is -IncludeStorage asked of the cluster cmdlet, which
// has no such parameter: its VM's files stay on the cluster's storage.
func storageWithCluster(m moveNames) *MoveError {
	e := migrationError(m, fleetfile.HResultInvalidArg, false,
		fmt.Sprintf("The virtual machine '%s' is clustered: its storage stays on the cluster's storage and cannot be moved with it. The parameter is incorrect. (0x80070057)", m.vm))
	e.Category, e.ErrorID = "InvalidArgument: (:) [Move-VM], VirtualizationException", "InvalidParameter,Microsoft.HyperV.PowerShell.Commands.MoveVM"
	return e
}
