package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/logins"
	"github.com/hvbalancer/hvbalancer/hyperv"
)

// guardedMigrator is the executor's Migrator over the fleet's WinRM
// clients, through the login guard: a host held back or a stopped
// credential stops migrations and lookups as it stops polls.
type guardedMigrator struct{ guard *logins.Guard }

var _ balancer.Migrator = guardedMigrator{}

// Migrate runs Move-VM (Move-ClusterVirtualMachineRole for a clustered VM)
// on the source host, as balancer.HyperV does.
func (m guardedMigrator) Migrate(ctx context.Context, mv balancer.Move) error {
	return m.guard.Call(ctx, mv.From, func(c logins.Client) error {
		_, err := c.Move(ctx, mv.VM, mv.To, hyperv.MoveOptions{Clustered: mv.Clustered})
		return err
	})
}

// Locate asks every host at once where the VM is, as balancer.HyperV does:
// a host that has it wins over one that does not answer, a running copy
// over one that is not, one that is not migrating over one that is. A
// host the guard holds back counts as one that did not answer, so a VM is
// never declared lost while a host could not be asked.
func (m guardedMigrator) Locate(ctx context.Context, vmID string) (balancer.Location, error) {
	type answer struct {
		host string
		loc  hyperv.VMLocation
		ok   bool
		err  error
	}
	names := m.guard.Hosts()
	answers := make([]answer, len(names))
	done := make(chan struct{})
	for i, n := range names {
		go func() {
			defer func() { done <- struct{}{} }()
			a := answer{host: n}
			a.err = m.guard.Call(ctx, n, func(c logins.Client) error {
				var err error
				a.loc, a.ok, err = c.Locate(ctx, vmID)
				return err
			})
			answers[i] = a
		}()
	}
	for range names {
		<-done
	}
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
		return balancer.Location{
			Host: best.host, Running: best.loc.State == hyperv.VMStateRunning,
			Migrating: best.loc.Migrating(), State: best.loc.State.String(),
		}, nil
	}
	if len(errs) > 0 {
		return balancer.Location{}, fmt.Errorf("locate vm %s: %d of %d hosts did not answer: %w", vmID, len(errs), len(names), errors.Join(errs...))
	}
	return balancer.Location{}, fmt.Errorf("locate vm %s: %w", vmID, balancer.ErrVMLost)
}
