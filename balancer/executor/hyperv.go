package executor

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer/moves"
	"github.com/hvbalancer/hvbalancer/hyperv"
)

// HostClient is what HyperV needs of one host's WinRM client;
// *hyperv.Client is one.
type HostClient interface {
	Move(ctx context.Context, vmID, destination string, opt hyperv.MoveOptions) (hyperv.VMLocation, error)
	Locate(ctx context.Context, vmID string) (hyperv.VMLocation, bool, error)
	Compare(ctx context.Context, vmID, destination string, opt hyperv.MoveOptions) ([]hyperv.Incompatibility, error)
}

var _ HostClient = (*hyperv.Client)(nil)

// HyperV is the Migrator of a fleet of Hyper-V hosts, with one WinRM
// client per host, keyed by the host names that moves use.
type HyperV struct {
	hosts func() map[string]HostClient
	// SearchTimeout bounds Locate's search of the whole fleet
	// (DefaultSearchTimeout when zero).
	SearchTimeout time.Duration
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
	name, ok := clientName(clients, host)
	return clients[name], ok
}

// clientName is the key of host in clients, matched without regard to case.
func clientName(clients map[string]HostClient, host string) (string, bool) {
	if _, ok := clients[host]; ok {
		return host, true
	}
	for name := range clients {
		if strings.EqualFold(name, host) {
			return name, true
		}
	}
	return "", false
}

// Migrate runs Move-VM (Move-ClusterVirtualMachineRole for a clustered VM)
// on the source host and returns when the migration ends; a move with a
// storage path moves the VM's storage into it (shared-nothing live
// migration). Its errors are those of hyperv.Client.Move: see Cause.
func (h *HyperV) Migrate(ctx context.Context, m moves.Move) error {
	c, ok := h.client(m.From)
	if !ok {
		return fmt.Errorf("migrate %s to %s: no client for source host %s: %w", m.VM, m.To, m.From, hyperv.ErrInvalidArgument)
	}
	_, err := c.Move(ctx, m.VM, m.To, moveOptions(m))
	return err
}

// Compare runs Compare-VM on the source host for the move as Migrate would
// send it.
func (h *HyperV) Compare(ctx context.Context, m moves.Move) ([]hyperv.Incompatibility, error) {
	c, ok := h.client(m.From)
	if !ok {
		return nil, fmt.Errorf("compare %s with %s: no client for source host %s: %w", m.VM, m.To, m.From, hyperv.ErrInvalidArgument)
	}
	return c.Compare(ctx, m.VM, m.To, moveOptions(m))
}

// moveOptions are the Move-VM options of m.
func moveOptions(m moves.Move) hyperv.MoveOptions {
	return hyperv.MoveOptions{Clustered: m.Clustered, StoragePath: m.StoragePath}
}

// DefaultSearchTimeout bounds Locate's search of the whole fleet, after
// the likely hosts did not settle where the VM is.
const DefaultSearchTimeout = 20 * time.Second

// Locate finds the VM. It asks the likely hosts first, one after the other,
// and returns as soon as one of them has the VM settled there (running or
// not, not migrating): after a move that is the destination, or the source
// when the move failed. Otherwise it asks every host at once, within
// SearchTimeout, and returns as soon as one has it settled and running. A
// host that has it wins over one that does not answer; a running copy wins
// over one that is not, and one that is not migrating over one that is.
// When no host that answered has it, the error names the hosts that did not
// answer, or wraps ErrVMLost when all did.
func (h *HyperV) Locate(ctx context.Context, vmID string, likely ...string) (Location, error) {
	clients := h.hosts()
	var found []answer // likely hosts' answers that were not decisive
	asked := map[string]bool{}
	for _, host := range likely {
		n, ok := clientName(clients, host)
		if !ok || asked[n] {
			continue
		}
		asked[n] = true
		loc, ok, err := clients[n].Locate(ctx, vmID)
		a := answer{host: n, loc: loc, ok: ok, err: err}
		if ok && err == nil && !loc.Migrating() {
			return a.location(), nil
		}
		found = append(found, a)
	}
	names := make([]string, 0, len(clients))
	for n := range clients {
		if !asked[n] {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	timeout := h.SearchTimeout
	if timeout <= 0 {
		timeout = DefaultSearchTimeout
	}
	sctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	answers := make(chan answer, len(names))
	for _, n := range names {
		go func() {
			loc, ok, err := clients[n].Locate(sctx, vmID)
			answers <- answer{host: n, loc: loc, ok: ok, err: err}
		}()
	}
	for range names {
		a := <-answers
		found = append(found, a)
		if a.ok && a.err == nil && a.loc.State == hyperv.VMStateRunning && !a.loc.Migrating() {
			break // settled and running: no other copy can win over it
		}
	}
	return best(vmID, found, len(asked)+len(names))
}

// answer is one host's reply to Locate.
type answer struct {
	host string
	loc  hyperv.VMLocation
	ok   bool
	err  error
}

func (a answer) location() Location {
	return Location{Host: a.host, Running: a.loc.State == hyperv.VMStateRunning, Migrating: a.loc.Migrating(), State: a.loc.State.String()}
}

// rank orders the hosts that have the VM: running first, then not migrating.
func (a answer) rank() int {
	r := 1
	if a.loc.State == hyperv.VMStateRunning {
		r += 2
	}
	if !a.loc.Migrating() {
		r++
	}
	return r
}

// best picks where the VM is from the answers of asked hosts.
func best(vmID string, answers []answer, asked int) (Location, error) {
	var top *answer
	var errs []error
	for i := range answers {
		a := &answers[i]
		switch {
		case a.err != nil:
			errs = append(errs, fmt.Errorf("%s: %w", a.host, a.err))
		case a.ok && (top == nil || a.rank() > top.rank()):
			top = a
		}
	}
	if top != nil {
		return top.location(), nil
	}
	if len(errs) > 0 || len(answers) < asked {
		return Location{}, fmt.Errorf("locate vm %s: %d of %d hosts did not answer: %w", vmID, len(errs)+asked-len(answers), asked, errors.Join(errs...))
	}
	return Location{}, fmt.Errorf("locate vm %s: %w", vmID, ErrVMLost)
}
