package executor

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/hvbalancer/hvbalancer/balancer/moves"
	"github.com/hvbalancer/hvbalancer/hyperv"
)

// HostClient is what HyperV needs of one host's WinRM client;
// *hyperv.Client is one.
type HostClient interface {
	Move(ctx context.Context, vmID, destination string, opt hyperv.MoveOptions) (hyperv.VMLocation, error)
	Locate(ctx context.Context, vmID string) (hyperv.VMLocation, bool, error)
}

var _ HostClient = (*hyperv.Client)(nil)

// HyperV is the Migrator of a fleet of Hyper-V hosts, with one WinRM
// client per host, keyed by the host names that moves use.
type HyperV struct {
	hosts func() map[string]HostClient
}

var _ Migrator = (*HyperV)(nil)

// NewHyperV returns a Migrator over the clients, keyed by host name. Each
// client's call timeouts bound every call it makes, within the caller's
// deadline.
func NewHyperV(clients map[string]*hyperv.Client) *HyperV {
	m := make(map[string]HostClient, len(clients))
	for n, c := range clients {
		m[n] = c
	}
	return NewHyperVHosts(func() map[string]HostClient { return m })
}

// NewHyperVHosts returns a Migrator over a set of hosts that may change (a
// reload adds or removes some): hosts returns the current clients by host
// name, and each call asks it again.
func NewHyperVHosts(hosts func() map[string]HostClient) *HyperV { return &HyperV{hosts: hosts} }

// client returns the client of host, matching its name without regard to
// case as Windows does.
func (h *HyperV) client(host string) (HostClient, bool) {
	clients := h.hosts()
	if c, ok := clients[host]; ok {
		return c, true
	}
	for name, c := range clients {
		if strings.EqualFold(name, host) {
			return c, true
		}
	}
	return nil, false
}

// Migrate runs Move-VM (Move-ClusterVirtualMachineRole for a clustered VM)
// on the source host and returns when the migration ends. Its errors are
// those of hyperv.Client.Move: see Cause.
func (h *HyperV) Migrate(ctx context.Context, m moves.Move) error {
	c, ok := h.client(m.From)
	if !ok {
		return fmt.Errorf("migrate %s to %s: no client for source host %s: %w", m.VM, m.To, m.From, hyperv.ErrInvalidArgument)
	}
	_, err := c.Move(ctx, m.VM, m.To, hyperv.MoveOptions{Clustered: m.Clustered})
	return err
}

// Locate asks every host at once where the VM is. A host that has it wins
// over one that does not answer; a running copy wins over one that is
// not, and one that is not migrating over one that is. When no host that
// answered has it, the error names the hosts that did not answer, or wraps
// ErrVMLost when all did.
func (h *HyperV) Locate(ctx context.Context, vmID string) (Location, error) {
	type answer struct {
		host string
		loc  hyperv.VMLocation
		ok   bool
		err  error
	}
	clients := h.hosts()
	names := make([]string, 0, len(clients))
	for n := range clients {
		names = append(names, n)
	}
	sort.Strings(names)
	answers := make([]answer, len(names))
	var wg sync.WaitGroup
	for i, n := range names {
		wg.Go(func() {
			loc, ok, err := clients[n].Locate(ctx, vmID)
			answers[i] = answer{host: n, loc: loc, ok: ok, err: err}
		})
	}
	wg.Wait()
	rank := func(a answer) int {
		r := 1
		if a.loc.State == hyperv.VMStateRunning {
			r += 2
		}
		if !a.loc.Migrating() {
			r++
		}
		return r
	}
	var best *answer
	var errs []error
	for i := range answers {
		a := &answers[i]
		switch {
		case a.err != nil:
			errs = append(errs, fmt.Errorf("%s: %w", a.host, a.err))
		case a.ok && (best == nil || rank(*a) > rank(*best)):
			best = a
		}
	}
	if best != nil {
		return Location{
			Host: best.host, Running: best.loc.State == hyperv.VMStateRunning,
			Migrating: best.loc.Migrating(), State: best.loc.State.String(),
		}, nil
	}
	if len(errs) > 0 {
		return Location{}, fmt.Errorf("locate vm %s: %d of %d hosts did not answer: %w", vmID, len(errs), len(names), errors.Join(errs...))
	}
	return Location{}, fmt.Errorf("locate vm %s: %w", vmID, ErrVMLost)
}
