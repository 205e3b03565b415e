package model

// Compare: Compare-VM, the report of every reason a move would be refused,
// by the rules Migrate applies (compat.go).

import (
	"fmt"
	"strings"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/fleetfile"
)

// Compare reports every reason req's destination cannot take its VM, as
// Compare-VM run on req.Source with -DestinationHost (and -IncludeStorage,
// -DestinationStoragePath) would: an empty report means the move passes
// every compatibility check Migrate applies. It fails, as Migrate does,
// when the VM is not on Source (or, for a Cluster request, not a clustered
// VM of Source's cluster) or the destination is unknown, unreachable or
// down. It changes nothing.
func (f *Fleet) Compare(req MigrationRequest) ([]Incompatibility, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil, fmt.Errorf("compare %s: %w", req.VMID, ErrClosed)
	}
	ran := f.hosts[strings.ToLower(req.Source)]
	if ran == nil {
		return nil, fmt.Errorf("compare %s: source %s: %w", req.VMID, req.Source, ErrUnknownHost)
	}
	f.settleLocked(f.clock.Now())
	v := f.vms[strings.ToLower(req.VMID)]
	if err := lookupError(req, v, ran); err != nil {
		return nil, err
	}
	dst := f.hosts[strings.ToLower(req.Destination)]
	names := moveNames{vm: v.spec.Name, vmID: v.spec.ID, source: v.host.spec.Name, sourceCluster: v.host.spec.Cluster, destination: req.Destination, cluster: req.Cluster}
	if dst == nil || dst.faults.Unreachable || dst.faults.Crashed {
		return nil, moveFailure(fleetfile.HResultRefused, names)
	}
	return incompatibilities(v, dst, req.IncludeStorage, req.DestinationStoragePath), nil
}
