package daemon

import (
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/config"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/ha"
	"github.com/hvbalancer/hvbalancer/collector"
)

// WithFleetMaintenance is WithMaintenance with the API's hosts in
// maintenance read where the daemons keep them: with an ha section, in
// etcd under its prefix (the fleet's, which every daemon of it follows;
// the state directory's file is not read, as the daemons do not read it),
// else in c's state directory. A store that cannot be read (etcd not
// answering) is an error: a plan made without it could send VMs to a
// host an administrator took out of the fleet.
func WithFleetMaintenance(c *config.Config, snap *collector.Snapshot) (*collector.Snapshot, error) {
	if c.HA == nil {
		return WithMaintenance(c, snap)
	}
	hc, err := HAConfig(c)
	if err != nil {
		return nil, err
	}
	el, err := ha.New(hc, slog.New(slog.DiscardHandler), prometheus.NewRegistry()) // reads only: it never campaigns
	if err != nil {
		return nil, err
	}
	defer el.Close()
	m := openSharedMaintenance(el)
	if _, err := m.load(); err != nil {
		return nil, err
	}
	api, _ := m.entries()
	return withMaintenance(snap, c, api), nil
}
