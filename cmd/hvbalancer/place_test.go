package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
	"github.com/hvbalancer/hvbalancer/hyperv/sim"
)

// placeFleetYAML: HV01's VMs want 10 × 8 × 0.9 = 72 of its 64 logical
// processors (saturated: it reads 100 % received and about 113 % demand);
// HV02 and HV03 run light and moderate loads; HV04 is the quietest and
// runs the one role=sql VM; HV05 is idle and in maintenance by the
// configuration.
const placeFleetYAML = `name: placement
seed: 14
start: 2026-01-10T02:00:00Z
speed: 10
hosts:
  - {name: HV01, logical_processors: 64, memory_gib: 512}
  - {name: HV02, logical_processors: 64, memory_gib: 512}
  - {name: HV03, logical_processors: 64, memory_gib: 512}
  - {name: HV04, logical_processors: 64, memory_gib: 512}
  - {name: HV05, logical_processors: 64, memory_gib: 512}
vms:
%s  - {name: light-1, host: HV02, cpus: 4, memory_gib: 16, load: {cpu: 0.3}}
  - {name: light-2, host: HV02, cpus: 4, memory_gib: 16, load: {cpu: 0.3}}
  - {name: mid-1, host: HV03, cpus: 8, memory_gib: 32, load: {cpu: 0.5}}
  - {name: mid-2, host: HV03, cpus: 8, memory_gib: 32, load: {cpu: 0.5}}
  - {name: sql-1, host: HV04, cpus: 2, memory_gib: 16, notes: "role=sql", load: {cpu: 0.1}}
`

// servePlaceFleet serves the placement fleet over WinRM on 127.0.0.1 and
// writes a configuration for it: manual automation (nothing moves), HV05
// in maintenance, the shipped policy with two should rules for role=app
// VMs, which no VM of the fleet has: not on HV02 (penalty 20) and on HV04
// (penalty 10).
func servePlaceFleet(t *testing.T) string {
	t.Helper()
	var busy strings.Builder
	for i := range 10 {
		fmt.Fprintf(&busy, "  - {name: busy-%02d, host: HV01, cpus: 8, memory_gib: 16, load: {cpu: 0.9}}\n", i+1)
	}
	spec, err := sim.ParseFleet(fmt.Appendf(nil, placeFleetYAML, busy.String()))
	if err != nil {
		t.Fatal(err)
	}
	inMaintenance := func(host string) string { return fmt.Sprintf(", maintenance: %v", host == "HV05") }
	cfg := standaloneConfig(t, serveFleet(t, spec), spec, "manual", inMaintenance, "")
	usePolicy(t, cfg, shippedPolicy(t, hostRules(map[string]any{"hv02": []string{"HV02"}, "hv04": []string{"HV04"}},
		hostRule("app-off-hv02", "role=app", "hv02", "should_not_run_on", 20),
		hostRule("app-on-hv04", "role=app", "hv04", "should_run_on", 10))))
	return cfg
}

// placeCLIConfig is the configuration with the running daemon's address,
// and no token file: placement needs none.
func placeCLIConfig(t *testing.T, cfgPath string, d *runningDaemon) string {
	t.Helper()
	b, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(b), `http: {listen: "127.0.0.1:0", token_file: token}`,
		`http: {listen: "`+strings.TrimPrefix(d.url, "http://")+`"}`, 1)
	path := filepath.Join(filepath.Dir(cfgPath), "place.yaml")
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// postPlace sends POST /api/v1/place without a token.
func postPlace(t *testing.T, d *runningDaemon, body string) (int, []byte) {
	t.Helper()
	resp, err := http.Post(d.url+"/api/v1/place", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// TestPlaceThroughTheDaemon, through a real daemon reading the simulated
// fleet over WinRM with the shipped policy: the API shows the saturated
// host's CPU demand; placement refuses it for CPU, the host in
// maintenance, and, for a role=sql VM, the host whose sql VM the
// anti-affinity rule names; for a role=app VM it ranks each host with its
// penalty and the should rules that make it up, in the API's costs and
// the CLI's table; the CLI and the API agree on the best host;
// --name-only prints that one name; a VM no host can take exits 1.
func TestPlaceThroughTheDaemon(t *testing.T) {
	cfgPath := servePlaceFleet(t)
	d, _ := startWatchedDaemon(t, cfgPath)
	var hv01 web.HostInfo
	eventually(t, "every host read, HV01's demand known", func() bool {
		var hosts web.Hosts
		getJSON(t, d.url+"/api/v1/hosts", &hosts)
		ok := 0
		for _, h := range hosts.Hosts {
			if h.Health == web.HostOK && h.VMs > 0 || h.Name == "HV05" && h.Health == web.HostOK {
				ok++
			}
			if h.Name == "HV01" {
				hv01 = h
			}
		}
		return ok == 5 && hv01.CPUDemand != nil
	})
	t.Logf("HV01: %.1f %% received, %.1f %% demand (mean)", hv01.CPU.Mean, hv01.CPUDemand.Mean)
	if hv01.CPUDemand.Mean < 105 || hv01.CPUWaitUnknown {
		t.Errorf("HV01's demand %+v (wait unknown %v), want above 105 %%", hv01.CPUDemand, hv01.CPUWaitUnknown)
	}
	resp, err := http.Get(d.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(metrics, []byte(`hvbalancer_collector_host_cpu_demand_ratio{host="HV01"} 1.`)) {
		t.Errorf("/metrics lacks HV01's demand above 1:\n%s", metrics)
	}

	// The API: a role=sql VM.
	code, body := postPlace(t, d, `{"name": "sql-2", "cpus": 4, "memory": "16GiB", "tags": {"role": "sql"}}`)
	if code != http.StatusOK {
		t.Fatalf("POST /api/v1/place: %d %s", code, body)
	}
	var p balancer.Placement
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatal(err)
	}
	refused := map[string]balancer.PlaceRefusal{}
	for _, r := range p.Refused {
		refused[r.Host] = r
	}
	if r := refused["HV01"]; r.Reason != balancer.PlaceCPU {
		t.Errorf("HV01 (saturated): %+v, want refused for CPU", r)
	}
	if r := refused["HV05"]; r.Reason != balancer.PlaceMaintenance {
		t.Errorf("HV05: %+v, want refused for maintenance", r)
	}
	if r := refused["HV04"]; r.Reason != balancer.PlacePolicy || !slices.Contains(r.Deny, "sql-2: anti-affinity role=sql with sql-1 on HV04") {
		t.Errorf("HV04: %+v, want the anti-affinity rule's message", r)
	}
	if got := []string{p.Ranked[0].Host, p.Ranked[1].Host}; len(p.Ranked) != 2 || got[0] != "HV02" || got[1] != "HV03" {
		t.Errorf("ranked %+v, want HV02 then HV03", p.Ranked)
	}
	// Without the role HV04, the quietest, is best.
	code, body = postPlace(t, d, `{"cpus": 4, "memory": "16GiB"}`)
	var plain balancer.Placement
	if code != http.StatusOK || json.Unmarshal(body, &plain) != nil || plain.Best() != "HV04" {
		t.Errorf("a VM without tags: %d, best %q, want HV04:\n%s", code, plain.Best(), body)
	}
	// A role=app VM: each host with the should rules' penalties it pays,
	// by name; HV04, the one it should run on, first at none.
	wantCosts := map[string]map[string]float64{
		"HV02": {"vm_host_rule app-off-hv02": 20, "vm_host_rule app-on-hv04": 10},
		"HV03": {"vm_host_rule app-on-hv04": 10},
		"HV04": nil,
	}
	code, body = postPlace(t, d, `{"name": "app-1", "cpus": 4, "memory": "16GiB", "tags": {"role": "app"}}`)
	var app balancer.Placement
	if code != http.StatusOK || json.Unmarshal(body, &app) != nil || app.Best() != "HV04" || len(app.Ranked) != 3 {
		t.Fatalf("a role=app VM: %d, want HV04 first of 3:\n%s", code, body)
	}
	for _, c := range app.Ranked {
		sum := 0.0
		for _, v := range wantCosts[c.Host] {
			sum += v
		}
		if !maps.Equal(c.Costs, wantCosts[c.Host]) || c.Penalty != sum {
			t.Errorf("%s: penalty %g, costs %v; want %g, %v", c.Host, c.Penalty, c.Costs, sum, wantCosts[c.Host])
		}
	}
	for _, want := range []string{`"costs": {`, `"vm_host_rule app-off-hv02": 20`} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("the answer does not hold %s:\n%s", want, body)
		}
	}
	if code, body := postPlace(t, d, `{"cpus": 241, "memory": "16GiB"}`); code != http.StatusBadRequest || !bytes.Contains(body, []byte("1 to 240 virtual processors")) {
		t.Errorf("241 vCPUs: %d %s, want 400", code, body)
	}

	// The CLI, with no token: the same best host, the table, the name alone.
	cli := placeCLIConfig(t, cfgPath, d)
	args := []string{"place", "--config", cli, "--cpu", "4", "--memory", "16GiB", "--tags", "role=sql", "--vm-name", "sql-2"}
	code, stdout, stderr := hvb(t, args...)
	if code != 0 || !strings.Contains(stdout, "HV02") || !strings.Contains(stdout, "anti-affinity role=sql with sql-1 on HV04") || !strings.Contains(stdout, "HV05  maintenance") {
		t.Errorf("place: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = hvb(t, "place", "--config", cli, "--cpu", "4", "--memory", "16GiB", "--tags", "role=app")
	for _, want := range []string{"30 (vm_host_rule app-off-hv02 20, vm_host_rule app-on-hv04 10)", "10 (vm_host_rule app-on-hv04 10)"} {
		if code != 0 || !strings.Contains(stdout, want) {
			t.Errorf("place --tags role=app does not show %q: exit %d\n%s%s", want, code, stdout, stderr)
		}
	}
	code, stdout, stderr = hvb(t, append(args, "--name-only")...)
	if code != 0 || stdout != p.Best()+"\n" {
		t.Errorf("place --name-only: exit %d, %q (%s), want %q", code, stdout, stderr, p.Best()+"\n")
	}
	code, stdout, _ = hvb(t, append(args, "--json", "--top", "1")...)
	var cliP balancer.Placement
	if code != 0 || json.Unmarshal([]byte(stdout), &cliP) != nil || cliP.Best() != p.Best() || len(cliP.Ranked) != 1 || cliP.Candidates != 2 {
		t.Errorf("place --json --top 1: exit %d, best %q of %d:\n%s", code, cliP.Best(), cliP.Candidates, stdout)
	}

	// No host can take 64 busy vCPUs: exit 1, nothing on stdout with
	// --name-only, and why on stderr.
	code, stdout, stderr = hvb(t, "place", "--config", cli, "--cpu", "64", "--memory", "16GiB", "--name-only")
	if code != 1 || stdout != "" || !strings.Contains(stderr, "no host can take the VM: 5 hosts refused") {
		t.Errorf("an impossible VM: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if code, _, stderr = hvb(t, "place", "--config", cli, "--cpu", "4", "--memory", "16PiB"); code != 2 || !strings.Contains(stderr, `unit "PiB"`) {
		t.Errorf("16PiB: exit %d, %s", code, stderr)
	}
}
