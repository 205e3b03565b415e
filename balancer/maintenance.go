package balancer

import (
	"strings"

	"github.com/hvbalancer/hvbalancer/collector"
)

// Maintenance is a state of the host, not a choice of the policy: the
// planner never sends a VM into a host in maintenance, whatever the policy
// allows, and asks on its own to evacuate the running VMs of one, whether or
// not the policy has a request rule for it.

// MaintenanceLabel is the host label that puts a host in maintenance when
// its value is "true" (in any case), as the shipped policy's in_maintenance
// reads it.
const MaintenanceLabel = "maintenance"

// MaintenanceKind is the kind of the evacuation requests the planner makes
// for the VMs of a host in maintenance (policy.Request.Kind).
const MaintenanceKind = "maintenance"

// MaintenancePriority is the priority of those evacuation requests: that of
// the shipped policy's own maintenance requests, so that they come before
// pins and anti-affinity.
const MaintenancePriority = 100

// InMaintenance says whether a host is in maintenance: its snapshot flag is
// set, or it carries MaintenanceLabel=true. This is the one rule the
// planner, its reports and its evacuation requests use.
func InMaintenance(h *collector.Host) bool {
	return h.Maintenance || strings.EqualFold(h.Labels[MaintenanceLabel], "true")
}
