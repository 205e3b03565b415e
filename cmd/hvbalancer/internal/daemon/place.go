package daemon

import (
	"context"
	"fmt"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
)

var _ web.Placer = backend{}

// Place implements web.Placer.
func (b backend) Place(ctx context.Context, req balancer.PlaceRequest) (*balancer.Placement, error) {
	return b.d.Place(ctx, req)
}

// Place ranks the hosts where a new VM should go (POST /api/v1/place,
// hvbalancer place) on what a round would plan with: the latest snapshot
// with the API's maintenance, the running configuration's planner
// settings, and a session of the running policy begun on that snapshot
// and the recent history with the VM added (balancer.PlacementInput).
// Nothing is kept or changed: placement is a read. Before the first
// snapshot the error wraps web.ErrConflict.
func (d *Daemon) Place(ctx context.Context, req balancer.PlaceRequest) (*balancer.Placement, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	cfg, engine, _ := d.current()
	snap := d.latest()
	if snap == nil {
		return nil, fmt.Errorf("place: no snapshot yet, the hosts have not been read: %w", web.ErrConflict)
	}
	history, _, _, err := d.history(d.fleet.Now(), cfg.Planner.RefusalMemory)
	if err != nil {
		return nil, fmt.Errorf("place: %w", err)
	}
	session, err := engine.Begin(ctx, balancer.PlacementInput(snap, history, cfg.Location(), &req))
	if err != nil {
		return nil, fmt.Errorf("place: %w", err)
	}
	return balancer.Place(ctx, snap, PlannerConfig(cfg), session, req)
}
