package executor

import (
	"context"
	"errors"

	"github.com/hvbalancer/hvbalancer/hyperv"
)

// Causes recorded in the journal's Cause field: why a move failed, was
// skipped or has an unknown outcome. The hyperv error causes are named by
// Cause.
const (
	CauseDoubleHop         = "double_hop"
	CauseOutOfMemory       = "destination_out_of_memory"
	CauseMigrationTimeout  = "migration_timeout"
	CauseConnectionRefused = "connection_refused"
	CauseIncompatible      = "incompatible_hardware"
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
	{hyperv.ErrIncompatibleHardware, CauseIncompatible},
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
