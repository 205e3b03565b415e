package daemon

import (
	"maps"
	"strings"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/config"
)

// configuredMaintenance is, by host name, whether the configuration puts
// each of its hosts in maintenance, by its flag or its label.
func configuredMaintenance(c *config.Config) map[string]bool {
	out := map[string]bool{}
	for _, cl := range c.Clusters {
		for _, h := range cl.Hosts {
			out[h.Name] = h.Maintenance || strings.EqualFold(h.Labels[balancer.MaintenanceLabel], "true")
		}
	}
	return out
}

// maintenanceChanged reports whether a reload from old to cur puts a host
// in maintenance or takes one out by the configuration: a flag or label
// changed, or a host came or went in maintenance. A reload that does wakes
// a round (see reload), so that a host added already in maintenance is
// evacuated now, as one whose flag was set is.
func maintenanceChanged(old, cur *config.Config) bool {
	in := func(c *config.Config) map[string]bool {
		m := configuredMaintenance(c)
		maps.DeleteFunc(m, func(_ string, v bool) bool { return !v })
		return m
	}
	return !maps.Equal(in(old), in(cur))
}
