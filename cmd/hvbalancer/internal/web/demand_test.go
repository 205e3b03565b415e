package web_test

import (
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
