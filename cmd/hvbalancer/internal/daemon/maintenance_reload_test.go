package daemon

import (
	"testing"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/config"
)

// TestReloadWakesARoundForMaintenance: a reload wakes a round whenever the
// configuration's hosts in maintenance change, a host added already in
// maintenance (by its flag or its label) included, whose reload names no
// maintenance key of a host it had before; and only then.
func TestReloadWakesARoundForMaintenance(t *testing.T) {
	fleet := func(hosts ...config.Host) *config.Config {
		return &config.Config{Clusters: []config.Cluster{{Name: "c1", Hosts: hosts}}}
	}
	a := config.Host{Name: "HV01", Address: "hv01"}
	b := config.Host{Name: "HV02", Address: "hv02"}
	flagged, labelled := b, b
	flagged.Maintenance = true
	labelled.Labels = map[string]string{balancer.MaintenanceLabel: "TRUE"}
	other := b
	other.Labels = map[string]string{"role": "sql"}
	for _, tc := range []struct {
		name     string
		old, cur *config.Config
		want     bool
	}{
		{"new host in maintenance by its flag", fleet(a), fleet(a, flagged), true},
		{"new host in maintenance by its label", fleet(a), fleet(a, labelled), true},
		{"new host not in maintenance", fleet(a), fleet(a, b), false},
		{"flag set", fleet(a, b), fleet(a, flagged), true},
		{"flag cleared", fleet(a, flagged), fleet(a, b), true},
		{"label removed", fleet(a, labelled), fleet(a, b), true},
		{"flag traded for the label", fleet(a, flagged), fleet(a, labelled), false},
		{"host in maintenance removed", fleet(a, flagged), fleet(a), true},
		{"another label changed", fleet(a, b), fleet(a, other), false},
		{"nothing changed", fleet(a, flagged), fleet(a, flagged), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := maintenanceChanged(tc.old, tc.cur); got != tc.want {
				t.Errorf("maintenanceChanged = %v, want %v", got, tc.want)
			}
		})
	}
}
