package daemon

import (
	"context"
	"sync/atomic"

	"github.com/hvbalancer/hvbalancer/balancer/executor"
	"github.com/hvbalancer/hvbalancer/balancer/moves"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/logins"
	"github.com/hvbalancer/hvbalancer/hyperv"
)

// guardedMigrator is the executor's Migrator over the fleet's WinRM
// clients, through the login guard: a host held back or a stopped
// credential stops migrations, comparisons and lookups as it stops polls, and a host
// held back counts as one that did not answer, so a VM is never declared
// lost while a host could not be asked. The hosts are the guard's current
// ones, so a reload that adds or removes hosts reaches the executor.
func guardedMigrator(g *logins.Guard) *executor.HyperV {
	return executor.NewHyperVHosts(func() map[string]executor.HostClient {
		hosts := make(map[string]executor.HostClient)
		for _, n := range g.Hosts() {
			hosts[n] = guardedClient{guard: g, host: n}
		}
		return hosts
	})
}

// guardedClient is one host's client behind the login guard.
type guardedClient struct {
	guard *logins.Guard
	host  string
}

var _ executor.HostClient = guardedClient{}

// Move implements executor.HostClient.
func (c guardedClient) Move(ctx context.Context, vmID, destination string, opt hyperv.MoveOptions) (loc hyperv.VMLocation, err error) {
	err = c.guard.Call(ctx, c.host, func(cl logins.Client) error {
		loc, err = cl.Move(ctx, vmID, destination, opt)
		return err
	})
	return loc, err
}

// Locate implements executor.HostClient.
func (c guardedClient) Locate(ctx context.Context, vmID string) (loc hyperv.VMLocation, found bool, err error) {
	err = c.guard.Call(ctx, c.host, func(cl logins.Client) error {
		loc, found, err = cl.Locate(ctx, vmID)
		return err
	})
	return loc, found, err
}

// Compare implements executor.HostClient.
func (c guardedClient) Compare(ctx context.Context, vmID, destination string, opt hyperv.MoveOptions) (report []hyperv.Incompatibility, err error) {
	err = c.guard.Call(ctx, c.host, func(cl logins.Client) error {
		report, err = cl.Compare(ctx, vmID, destination, opt)
		return err
	})
	return report, err
}

// swappableMigrator is the executor's Migrator: a reload puts a new one
// behind it (a new executor.locate_timeout) without a data race on the
// one in use; a call uses the migrator current when it began.
type swappableMigrator struct {
	cur atomic.Pointer[executor.HyperV]
}

var _ executor.Migrator = (*swappableMigrator)(nil)

func newSwappableMigrator(m *executor.HyperV) *swappableMigrator {
	s := &swappableMigrator{}
	s.cur.Store(m)
	return s
}

// set puts m behind s.
func (s *swappableMigrator) set(m *executor.HyperV) { s.cur.Store(m) }

// Migrate implements executor.Migrator.
func (s *swappableMigrator) Migrate(ctx context.Context, m moves.Move) error {
	return s.cur.Load().Migrate(ctx, m)
}

// Locate implements executor.Migrator.
func (s *swappableMigrator) Locate(ctx context.Context, vmID string, likely ...string) (executor.Location, error) {
	return s.cur.Load().Locate(ctx, vmID, likely...)
}

// Compare implements executor.Migrator.
func (s *swappableMigrator) Compare(ctx context.Context, m moves.Move) ([]hyperv.Incompatibility, error) {
	return s.cur.Load().Compare(ctx, m)
}
