package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
	"github.com/hvbalancer/hvbalancer/collector"
)

// TestHostsSayCPUDemand: GET /api/v1/hosts gives a saturated host's CPU
// demand beside the CPU it received, and says which hosts lacked the
// wait counter; a host whose VMs wanted no more has neither field.
func TestHostsSayCPUDemand(t *testing.T) {
	got, body := hostsAfter(t, func(hosts []collector.Host) {
		hosts[0].CPU.Demand = collector.Demand{Last: 131, Mean: 128.5, P95: 133.25, Max: 134}
		hosts[1].CPUWaitUnknown = true
	})
	for i, hi := range got.Hosts {
		switch i {
		case 0:
			if hi.CPUDemand == nil || *hi.CPUDemand != (web.Load{Mean: 128.5, P95: 133.25}) || hi.CPUWaitUnknown {
				t.Errorf("%s: cpu_demand %+v, wait unknown %v; want 128.5/133.25, known", hi.Name, hi.CPUDemand, hi.CPUWaitUnknown)
			}
		case 1:
			if hi.CPUDemand != nil || !hi.CPUWaitUnknown {
				t.Errorf("%s: cpu_demand %+v, wait unknown %v; want none, unknown", hi.Name, hi.CPUDemand, hi.CPUWaitUnknown)
			}
		default:
			if hi.CPUDemand != nil || hi.CPUWaitUnknown {
				t.Errorf("%s: cpu_demand %+v, wait unknown %v; want neither", hi.Name, hi.CPUDemand, hi.CPUWaitUnknown)
			}
		}
	}
	if !strings.Contains(body, `"cpu_demand": {`+"\n"+`        "mean": 128.5,`) {
		t.Errorf("the answer does not give the first host's cpu_demand:\n%s", body)
	}
	if strings.Count(body, `"cpu_demand"`) != 1 || strings.Count(body, `"cpu_wait_unknown": true`) != 1 {
		t.Errorf("cpu_demand or cpu_wait_unknown on the wrong hosts:\n%s", body)
	}
}

// TestStatusPageSaysCPUDemand: the status page shows a saturated host's
// CPU demand under its CPU bar, and says where the wait counter is
// missing, so the page agrees with what the planner plans on.
func TestStatusPageSaysCPUDemand(t *testing.T) {
	e := newEnv(t)
	e.fake.snap.Hosts[0].CPU.Demand = collector.Demand{Last: 131, Mean: 128.5, P95: 133.25, Max: 134}
	e.fake.snap.Hosts[1].CPUWaitUnknown = true
	r := e.do(t, http.MethodGet, "/", "")
	if r.code != http.StatusOK {
		t.Fatalf("status %d: %s", r.code, r.body)
	}
	if n := strings.Count(r.body, "demand 128 / 133: its VMs wanted more"); n != 1 {
		t.Errorf("the page gives the first host's demand %d times, want once", n)
	}
	if n := strings.Count(r.body, "CPU wait counter missing"); n != 1 {
		t.Errorf("the page says %d times that a wait counter is missing, want once", n)
	}
}
