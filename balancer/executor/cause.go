package executor

import (
	"context"
	"errors"
	"strings"

	"github.com/hvbalancer/hvbalancer/hyperv"
)

// Causes recorded in the journal's Cause field: why a move failed, was
// skipped or has an unknown outcome. The hyperv error causes are named by
// Cause; the compatibility causes name a Move-VM refusal (failed) or a
// Compare-VM report before it (skipped) alike.
const (
	CauseDoubleHop         = "double_hop"
	CauseOutOfMemory       = "destination_out_of_memory"
	CauseMigrationTimeout  = "migration_timeout"
	CauseConnectionRefused = "connection_refused"
	CauseIncompatible      = "incompatible_hardware"    // processor features the destination lacks
	CauseProcessorVendor   = "processor_vendor"         // the destination's processors are another manufacturer's
	CauseSwitchMissing     = "switch_missing"           // a virtual switch the VM uses is missing on the destination
	CauseConfigVersion     = "config_version"           // the destination does not run the VM's configuration version
	CauseStorageMissing    = "storage_missing"          // the destination does not reach the VM's files or the storage path
	CauseStorageFull       = "storage_full"             // the destination volume has no room for the VM's files
	CauseNotCompatible     = "not_compatible"           // Compare-VM gave another reason the destination cannot take the VM
	CauseMigrationAuth     = "migration_authentication" // the hosts could not authenticate the migration connection
	CauseCompareFailed     = "compare_failed"           // Compare-VM could not be run; Move-VM was not sent
	CauseMigrationDisabled = "migration_disabled"
	CauseVMNotFound        = "vm_not_found"
	CauseUnauthorized      = "unauthorized"
	CauseUnreachable       = "unreachable"
	CauseFailed            = "failed"          // any other migration failure
	CauseVerification      = "verification"    // Move-VM succeeded but the VM is still on the source
	CauseOutcomeUnknown    = "outcome_unknown" // connection lost or deadline passed mid-migration
	CauseInterrupted       = "interrupted"     // the daemon stopped mid-migration; the VM stayed
	CauseElsewhere         = "moved_elsewhere" // found on neither end of the move
	CauseNotStarted        = "not_started"     // journaled, but Move-VM was never sent
	CauseStale             = "stale"           // the Validator refused it
	CauseCooldown          = "cooldown"        // the VM moved within the cooldown
	CauseHeld              = "held"            // the VM's last move failed within HoldAfterFailure
	CauseBlocked           = "blocked"         // the VM has a move whose outcome is unknown
	CauseInFlight          = "in_flight"       // the VM is being moved by another move
	CauseBreakerOpen       = "breaker_open"    // a host's circuit breaker is open
	CauseJournal           = "journal"         // the journal could not be written
)

// causes maps errors to journal causes, first match wins: an outcome that
// may not be known (the request may have reached the host) comes before
// everything else.
var causes = []struct {
	err   error
	cause string
}{
	{hyperv.ErrOutcomeUnknown, CauseOutcomeUnknown},
	{hyperv.ErrTimeout, CauseOutcomeUnknown},
	{context.DeadlineExceeded, CauseOutcomeUnknown},
	{context.Canceled, CauseOutcomeUnknown},
	{hyperv.ErrDoubleHop, CauseDoubleHop},
	{hyperv.ErrDestinationOutOfMemory, CauseOutOfMemory},
	{hyperv.ErrMigrationTimeout, CauseMigrationTimeout},
	{hyperv.ErrConnectionRefused, CauseConnectionRefused},
	{hyperv.ErrMigrationAuth, CauseMigrationAuth},
	{hyperv.ErrProcessorVendor, CauseProcessorVendor}, // before ErrIncompatibleHardware, which it wraps
	{hyperv.ErrIncompatibleHardware, CauseIncompatible},
	{hyperv.ErrSwitchMissing, CauseSwitchMissing},
	{hyperv.ErrConfigVersion, CauseConfigVersion},
	{hyperv.ErrStorageMissing, CauseStorageMissing},
	{hyperv.ErrStorageFull, CauseStorageFull},
	{hyperv.ErrIncompatible, CauseNotCompatible},
	{hyperv.ErrMigrationDisabled, CauseMigrationDisabled},
	{hyperv.ErrVMNotFound, CauseVMNotFound},
	{hyperv.ErrUnauthorized, CauseUnauthorized},
	{hyperv.ErrUnreachable, CauseUnreachable},
}

// Cause names why a migration failed, for the journal and the reports:
// one of the Cause constants. CauseOutcomeUnknown means the migration may
// have happened (the connection was lost, or a deadline passed, after the
// request may have reached the host): the VM must be located before
// anything else is decided about it.
func Cause(err error) string {
	for _, c := range causes {
		if errors.Is(err, c.err) {
			return c.cause
		}
	}
	return CauseFailed
}

// refusals are the causes of a Compare-VM report: the destination cannot
// run the VM as it is, or cannot reach or hold its files.
var refusals = map[string]bool{
	CauseIncompatible: true, CauseProcessorVendor: true, CauseSwitchMissing: true, CauseConfigVersion: true,
	CauseStorageMissing: true, CauseStorageFull: true, CauseNotCompatible: true,
}

// Refusal reports whether cause says the destination cannot take the VM
// (a compatibility or storage cause): the same move would be refused again
// until the destination changes, so the planner remembers it.
func Refusal(cause string) bool { return refusals[cause] }

// compareCause names why a move whose Compare-VM could not run is
// skipped: the cause of the error when it says something about the VM or
// the hosts (the VM is not on its source, a host refused the login or
// could not be reached), else CauseCompareFailed. Compare-VM changes
// nothing, so a lost answer is not an unknown outcome.
func compareCause(err error) string {
	switch c := Cause(err); c {
	case CauseOutcomeUnknown, CauseFailed:
		return CauseCompareFailed
	default:
		return c
	}
}

// reportCause names the first reason of a Compare-VM report, and joins
// every reason's message for the journal.
func reportCause(report []hyperv.Incompatibility) (cause, msg string) {
	msgs := make([]string, len(report))
	for i, in := range report {
		msgs[i] = in.Message
	}
	return Cause(report[0]), "Compare-VM: " + strings.Join(msgs, "; ")
}
