package hyperv

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Incompatibility is one reason Compare-VM gives why a destination cannot
// take a VM (an entry of VMCompatibilityReport.Incompatibilities).
type Incompatibility struct {
	MessageID int64  // Compare-VM's MessageId, e.g. 33012
	Message   string // Windows' text
	// Source is the .NET type of the object it concerns, e.g.
	// "Microsoft.HyperV.PowerShell.VMNetworkAdapter"; "" when none.
	Source string
	// Err is the cause: ErrSwitchMissing, ErrIncompatibleHardware,
	// ErrProcessorVendor, ErrConfigVersion, ErrStorageMissing,
	// ErrStorageFull, or ErrIncompatible for a reason none of them names.
	Err error
}

// Error implements error: the message and its id.
func (i Incompatibility) Error() string {
	return fmt.Sprintf("%s (message %d)", i.Message, i.MessageID)
}

// Unwrap returns the cause sentinel.
func (i Incompatibility) Unwrap() error { return i.Err }

// compareJSON is compare-vm's output.
type compareJSON struct {
	ID                string `json:"Id"`
	DestinationHost   string
	Incompatibilities psList[incompatibilityJSON]
}

type incompatibilityJSON struct {
	MessageID *int64 `json:"MessageId"`
	Message   string
	Source    string
}

// Compare asks the host whether destination can take the VM by the move
// opt describes (Compare-VM, with -IncludeStorage -DestinationStoragePath
// when opt.StoragePath is set; a clustered move is compared without
// storage). It returns every reason it cannot, each typed by its cause;
// none means Hyper-V's checks pass. It changes nothing. A VM that is not
// on this host fails with Get-VM's error, as Move does.
func (c *Client) Compare(ctx context.Context, vmID, destination string, opt MoveOptions) ([]Incompatibility, error) {
	op := fmt.Sprintf("compare vm %s with %s", vmID, destination)
	if err := checkVMID(vmID); err != nil {
		return nil, fmt.Errorf("compare vm on %s: %w", c.addr, err)
	}
	storage := opt.StoragePath
	if opt.Clustered {
		storage = ""
	}
	if err := checkDestination(destination, storage); err != nil {
		return nil, fmt.Errorf("%s on %s: %w", op, c.addr, err)
	}
	params := struct{ Id, DestinationHost, DestinationStoragePath string }{vmID, destination, storage}
	out, err := c.call(ctx, op, ScriptCompareVM, params, c.cfg.CallTimeout)
	if err != nil {
		// Get-VM or Compare-VM failed: name the cause as Move-VM's would
		// be (the VM is not here, the destination refused, ...).
		var ps *PowerShellError
		if errors.As(err, &ps) {
			if _, cause := migrationCause(ps.Message); cause != ErrMigrationFailed {
				return nil, fmt.Errorf("%w: %w", err, cause)
			}
		}
		return nil, err
	}
	list, err := parseCompare(vmID, out)
	if err != nil {
		return nil, fmt.Errorf("%s on %s: %w", op, c.addr, err)
	}
	return list, nil
}

// parseCompare reads compare-vm's report: one object naming the VM, with
// its incompatibilities (none, one or many). No output at all is
// unexpected: an empty report is printed, never implied.
func parseCompare(vmID string, out []byte) ([]Incompatibility, error) {
	r, ok, err := decodeOne[compareJSON](ScriptCompareVM, out)
	switch {
	case err != nil:
		return nil, err
	case !ok:
		return nil, fmt.Errorf("parse %s output: no output, want a report: %w", ScriptCompareVM, ErrUnexpectedOutput)
	case !strings.EqualFold(r.ID, vmID):
		return nil, fmt.Errorf("parse %s output: vm id %q, want %s: %w", ScriptCompareVM, truncate(r.ID, 64), vmID, ErrUnexpectedOutput)
	}
	list := make([]Incompatibility, 0, len(r.Incompatibilities))
	for i, in := range r.Incompatibilities {
		if in.MessageID == nil && in.Message == "" {
			return nil, fmt.Errorf("parse %s output: incompatibility %d: no MessageId and no Message: %w", ScriptCompareVM, i, ErrUnexpectedOutput)
		}
		var id int64
		if in.MessageID != nil {
			id = *in.MessageID
		}
		msg := truncate(in.Message, maxErrorText)
		list = append(list, Incompatibility{MessageID: id, Message: msg, Source: in.Source, Err: incompatibilityCause(id, msg)})
	}
	return list, nil
}
