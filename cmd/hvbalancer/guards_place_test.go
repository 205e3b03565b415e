package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
)

// TestGuardsPlaceANewVM places new VMs through a real daemon reading the
// guards fleet over WinRM, every guard on: business hours all day with
// large_vm at 32 GiB and move_cap at 0 (no VM may migrate at all), at most
// 3 VMs a host, HV03 reserved for tenant acme and acme confined to it. A
// new VM is not migrated, so a 48 GiB one is placed in business hours and
// move_cap refuses nothing; the caps and the reservation judge its
// destination as they judge a move's, and the answer names the guard.
func TestGuardsPlaceANewVM(t *testing.T) {
	d, _ := startWatchedDaemon(t, guardsConfig(t, map[string]any{
		"business_hours": allDayBusinessHours,
		"host_groups":    map[string]any{"acme-hosts": []string{"HV03"}},
		"guards": map[string]any{
			"large_vm":      map[string]any{"max_memory_gib": 32},
			"move_cap":      map[string]any{"max_moves_per_day": 0},
			"host_capacity": map[string]any{"max_vms": 3},
			"tenant_hosts":  map[string]any{"acme-hosts": map[string]any{"tenant": "acme", "confine": true}},
		},
	}))
	eventually(t, "every host read", func() bool {
		var hosts web.Hosts
		getJSON(t, d.url+"/api/v1/hosts", &hosts)
		ok := 0
		for _, h := range hosts.Hosts {
			if h.Health == web.HostOK && h.VMs > 0 {
				ok++
			}
		}
		return ok == 4
	})
	place := func(body string) (*balancer.Placement, map[string]balancer.PlaceRefusal) {
		t.Helper()
		code, b := postPlace(t, d, body)
		var p balancer.Placement
		if code != http.StatusOK || json.Unmarshal(b, &p) != nil {
			t.Fatalf("POST /api/v1/place %s: %d %s", body, code, b)
		}
		refused := map[string]balancer.PlaceRefusal{}
		for _, r := range p.Refused {
			refused[r.Host] = r
		}
		return &p, refused
	}
	denies := func(r balancer.PlaceRefusal, want string) bool {
		return r.Reason == balancer.PlacePolicy && len(r.Deny) == 1 && r.Deny[0] == want
	}

	p, refused := place(`{"name": "big-new", "cpus": 4, "memory": "48GiB"}`)
	if p.Best() != "HV02" || len(p.Ranked) != 1 {
		t.Errorf("big-new ranked %+v, want HV02 alone", p.Ranked)
	}
	if r := refused["HV01"]; !denies(r, "big-new: guard host_capacity: HV01 would hold 4 VMs (limit 3)") {
		t.Errorf("HV01 (3 VMs): %+v, want refused by the host_capacity guard alone", r)
	}
	if r := refused["HV03"]; !denies(r, "big-new: guard tenant_hosts: HV03 is reserved for tenant acme (host group acme-hosts)") {
		t.Errorf("HV03 (acme's): %+v, want refused by the tenant_hosts guard alone", r)
	}
	if r := refused["HV04"]; r.Reason != balancer.PlaceMaintenance {
		t.Errorf("HV04: %+v, want refused for maintenance", r)
	}
	for _, r := range p.Refused {
		for _, m := range r.Deny {
			if strings.Contains(m, "guard large_vm") || strings.Contains(m, "guard move_cap") {
				t.Errorf("a new VM refused %s by a guard of migrations: %s", r.Host, m)
			}
		}
	}

	p, refused = place(`{"name": "acme-new", "cpus": 2, "memory": "8GiB", "tags": {"tenant": "acme"}}`)
	if p.Best() != "HV03" || len(p.Ranked) != 1 {
		t.Errorf("acme-new ranked %+v, want HV03 alone", p.Ranked)
	}
	if r := refused["HV02"]; !denies(r, "acme-new: guard tenant_hosts: tenant acme stays on host group acme-hosts; HV02 is not in it") {
		t.Errorf("HV02: %+v, want refused by the tenant_hosts guard's confinement alone", r)
	}
}
