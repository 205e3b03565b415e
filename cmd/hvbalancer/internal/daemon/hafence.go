package daemon

import (
	"context"
	"fmt"

	"github.com/hvbalancer/hvbalancer/balancer/executor"
	"github.com/hvbalancer/hvbalancer/balancer/moves"
)

// fencedValidator refuses a move, before its start is journaled, when this
// daemon no longer leads as etcd says: the move is skipped as stale.
type fencedValidator struct {
	next  executor.Validator
	leads func(context.Context) error
}

var _ executor.Validator = fencedValidator{}

// Validate implements executor.Validator.
func (v fencedValidator) Validate(ctx context.Context, m moves.Move, earlier []moves.Move) error {
	if err := v.leads(ctx); err != nil {
		return fmt.Errorf("not started: %w", err)
	}
	return v.next.Validate(ctx, m, earlier)
}

// fencedMigrator asks etcd once more just before Move-VM is sent: a
// leader deposed since the move was validated (its lease expired, another
// daemon leads) sends nothing.
type fencedMigrator struct {
	executor.Migrator
	leads func(context.Context) error
}

// Migrate implements executor.Migrator.
func (f fencedMigrator) Migrate(ctx context.Context, m moves.Move) error {
	if err := f.leads(ctx); err != nil {
		return fmt.Errorf("move %s to %s: Move-VM not sent: %w", m.VMName, m.To, err)
	}
	return f.Migrator.Migrate(ctx, m)
}

var _ executor.Migrator = fencedMigrator{}
