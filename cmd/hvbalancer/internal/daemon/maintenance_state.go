package daemon

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/config"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
	"github.com/hvbalancer/hvbalancer/collector"
)

// A host is in maintenance by its configuration, its label, or the API.
// The first two reach the snapshot through the collector's targets, at
// its next poll; the API's does not reach it at all. So the flag is laid
// over the collector's snapshot (see latest), from the running
// configuration and the API's store, wherever the daemon plans, re-checks
// or shows the fleet: maintenance holds from the call or the reload on,
// not from the next poll.

// overlay is the latest snapshot with the maintenance flags laid over it,
// made once per snapshot, configuration and store generation: the
// validator names a snapshot by its pointer.
type overlay struct {
	mu   sync.Mutex
	raw  *collector.Snapshot
	cfg  *config.Config
	gen  uint64
	snap *collector.Snapshot
}

// latest is the collector's latest snapshot with each host's maintenance
// flag set from the running configuration and the API; nil before the
// first snapshot. A label the configuration no longer has counts until
// the next poll: a host leaves maintenance late rather than early.
func (d *Daemon) latest() *collector.Snapshot {
	raw := d.col.Latest()
	if raw == nil {
		return nil
	}
	cfg, _, _ := d.current()
	api, gen := d.maint.entries()
	o := &d.maint.overlay
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.raw == raw && o.cfg == cfg && o.gen == gen {
		return o.snap
	}
	out := withMaintenance(raw, cfg, api)
	o.raw, o.cfg, o.gen, o.snap = raw, cfg, gen, out
	return out
}

// withMaintenance is raw with each host's maintenance flag set from the
// configuration (its flag or label) and the API's entries; raw itself
// when nothing changes. A host the configuration does not name keeps the
// flag it was polled with.
func withMaintenance(raw *collector.Snapshot, cfg *config.Config, api map[string]maintenanceEntry) *collector.Snapshot {
	configured := configuredMaintenance(cfg) // host name → in maintenance by the file
	flag := func(h *collector.Host) bool {
		_, byAPI := api[h.Name]
		byFile, ok := configured[h.Name]
		return byAPI || byFile || h.Maintenance && !ok
	}
	for i := range raw.Hosts {
		if flag(&raw.Hosts[i]) != raw.Hosts[i].Maintenance {
			c := *raw
			c.Hosts = slices.Clone(raw.Hosts)
			for j := range c.Hosts {
				c.Hosts[j].Maintenance = flag(&c.Hosts[j])
			}
			return &c
		}
	}
	return raw
}

// WithMaintenance is snap as the daemon plans with it: the maintenance
// of the configuration and of the API's store in c's state directory laid
// over it, as the running daemon lays them (see latest), so that a plan
// made apart from the daemon does not send VMs to a host an administrator
// took out of the fleet, and evacuates it. The store is only read; one
// that does not read is an error, as it stops the daemon's start.
func WithMaintenance(c *config.Config, snap *collector.Snapshot) (*collector.Snapshot, error) {
	s, err := openMaintenance(c.StateDir)
	if err != nil {
		return nil, err
	}
	api, _ := s.entries()
	return withMaintenance(snap, c, api), nil
}

// configuredHost finds a host of the configuration by name, in any case.
func configuredHost(c *config.Config, name string) (config.Host, bool) {
	for _, cl := range c.Clusters {
		for _, h := range cl.Hosts {
			if strings.EqualFold(h.Name, name) {
				return h, true
			}
		}
	}
	return config.Host{}, false
}

// maintenanceSources says why host h is in maintenance, given the API's
// entry for it (nil when none); empty when it is not.
func maintenanceSources(h config.Host, api *maintenanceEntry) []web.MaintenanceState {
	out := []web.MaintenanceState{}
	if h.Maintenance {
		out = append(out, web.MaintenanceState{Source: web.MaintenanceConfig})
	}
	if strings.EqualFold(h.Labels[balancer.MaintenanceLabel], "true") {
		out = append(out, web.MaintenanceState{Source: web.MaintenanceLabel})
	}
	if api != nil {
		out = append(out, web.MaintenanceState{Source: web.MaintenanceAPI, Since: api.Since, By: api.By, Reason: api.Reason})
	}
	return out
}

// maintenance returns, by host name, why each host in maintenance is in
// it.
func (d *Daemon) maintenance() map[string][]web.MaintenanceState {
	cfg, _, _ := d.current()
	api, _ := d.maint.entries()
	out := map[string][]web.MaintenanceState{}
	for _, cl := range cfg.Clusters {
		for _, h := range cl.Hosts {
			var e *maintenanceEntry
			if a, ok := api[h.Name]; ok {
				e = &a
			}
			if m := maintenanceSources(h, e); len(m) > 0 {
				out[h.Name] = m
			}
		}
	}
	return out
}

// enterMaintenance puts a configured host in maintenance on behalf of by,
// durably, and starts a round at once to evacuate it.
func (d *Daemon) enterMaintenance(host, by, reason string) (web.MaintenanceChange, error) {
	cfg, _, _ := d.current()
	h, ok := configuredHost(cfg, host)
	if !ok {
		return web.MaintenanceChange{}, fmt.Errorf("host %s: no such host in the configuration: %w", host, web.ErrNotFound)
	}
	e, changed, err := d.maint.enter(h.Name, by, reason, time.Now())
	if err != nil {
		return web.MaintenanceChange{}, err
	}
	if changed {
		d.log.Info("host maintenance entered", "host", h.Name, "by", by, "reason", clip(reason))
		d.wakeRounds()
	}
	return web.MaintenanceChange{Host: h.Name, Maintenance: true, Changed: changed, Sources: maintenanceSources(h, &e)}, nil
}

// exitMaintenance ends a host's maintenance entered through the API. The
// API cannot end what the configuration or a label keeps: the answer says
// which setting to change.
func (d *Daemon) exitMaintenance(host, by, reason string) (web.MaintenanceChange, error) {
	cfg, _, _ := d.current()
	h, ok := configuredHost(cfg, host)
	if !ok {
		return web.MaintenanceChange{}, fmt.Errorf("host %s: no such host in the configuration: %w", host, web.ErrNotFound)
	}
	if why := keptInMaintenance(h, d.cfgPath); why != "" {
		return web.MaintenanceChange{}, fmt.Errorf("%w: %s", web.ErrConflict, why)
	}
	changed, err := d.maint.exit(h.Name, by, reason, time.Now())
	if err != nil {
		return web.MaintenanceChange{}, err
	}
	if changed {
		d.log.Info("host maintenance ended", "host", h.Name, "by", by, "reason", clip(reason))
		d.wakeRounds() // it may take VMs again
	}
	return web.MaintenanceChange{Host: h.Name, Changed: changed, Sources: []web.MaintenanceState{}}, nil
}

// keptInMaintenance says what keeps host h in maintenance beyond the API,
// and the way out; "" when nothing does.
func keptInMaintenance(h config.Host, file string) string {
	if file == "" {
		file = "the configuration file"
	}
	switch {
	case h.Maintenance:
		return fmt.Sprintf("host %s is in maintenance by its configuration (maintenance: true in %s): set it to false there and reload (SIGHUP or POST /-/reload)", h.Name, file)
	case strings.EqualFold(h.Labels[balancer.MaintenanceLabel], "true"):
		return fmt.Sprintf("host %s is in maintenance by its label %s=%s (in %s): remove the label there and reload (SIGHUP or POST /-/reload)",
			h.Name, balancer.MaintenanceLabel, h.Labels[balancer.MaintenanceLabel], file)
	}
	return ""
}

// wakeRounds asks the round loop for a round now rather than at its next
// tick; a wake already waiting is enough.
func (d *Daemon) wakeRounds() {
	select {
	case d.maint.wake <- struct{}{}:
	default:
	}
}
