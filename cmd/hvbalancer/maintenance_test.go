package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
	"github.com/hvbalancer/hvbalancer/hyperv/sim"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/model"
)

// evacFleet describes a fleet for the maintenance tests: HV01 runs VMs of
// the given sizes, HV02..HV(1+dests) run a few small ones each, every VM
// on the one share all hosts reach (memory-only moves).
type evacFleet struct {
	speed   float64 // simulated seconds per real second
	gbps    float64 // every host's migration bandwidth (TCPIP: no compression)
	dirty   float64 // MiB/s each VM dirties while it migrates
	sizes   []int   // GiB of HV01's VMs
	dests   int     // destination hosts
	srcMax  int     // HV01's MaximumVirtualMachineMigrations
	destMax int     // each destination's
}

// serve writes the fleet file and serves it over WinRM on 127.0.0.1.
func (f evacFleet) serve(t *testing.T) (*sim.Server, *sim.FleetSpec) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "name: evacuation\nseed: 13\nstart: 2026-01-05T08:00:00Z\nspeed: %g\nhosts:\n", f.speed)
	fmt.Fprintf(&b, "  - {name: HV01, logical_processors: 64, memory_gib: 512, max_migrations: %d, performance: TCPIP, bandwidth_gbps: %g}\n", f.srcMax, f.gbps)
	for i := range f.dests {
		fmt.Fprintf(&b, "  - {name: HV%02d, logical_processors: 64, memory_gib: 512, max_migrations: %d, performance: TCPIP, bandwidth_gbps: %g}\n", i+2, f.destMax, f.gbps)
	}
	b.WriteString("vms:\n")
	for i, gib := range f.sizes {
		fmt.Fprintf(&b, "  - {name: drain-%02d, host: HV01, cpus: 2, memory_gib: %d, load: {cpu: 0.3, memory: 0.9}, dirty_rate_mbps: %g}\n", i+1, gib, f.dirty)
	}
	for i := range f.dests {
		for k := range 4 {
			fmt.Fprintf(&b, "  - {name: stay-%02d-%d, host: HV%02d, cpus: 2, memory_gib: 4, load: {cpu: 0.2}, dirty_rate_mbps: %g}\n", i+2, k, i+2, f.dirty)
		}
	}
	path := filepath.Join(t.TempDir(), "fleet.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	spec, err := sim.LoadFleet(path)
	if err != nil {
		t.Fatal(err)
	}
	return serveFleet(t, spec), spec
}

// maintenanceConfig configures the daemon for the served fleet: partial
// automation (requests, evacuations among them, run; balancing waits for
// approval), a round interval of an hour (so that only a wake starts a
// round after the first), and executor settings as given. The policy is
// the shipped one with business hours all week at the usual max_moves and
// aggressiveness, so no test depends on the day and hour it runs.
func maintenanceConfig(t *testing.T, srv *sim.Server, spec *sim.FleetSpec, executor string) string {
	t.Helper()
	cfg := standaloneConfig(t, srv, spec, "partial", nil, `planner: {max_moves: 10, max_inflow_per_host: 16, cooldown: 1h}
executor: {`+executor+`, drain_timeout: 30s}
`)
	usePolicy(t, cfg, shippedPolicy(t, map[string]any{"business_hours": allDayBusinessHours}))
	return cfg
}

// maintenanceCall enters (POST) or exits (DELETE) a host's maintenance
// through the API and returns the status and the body.
func maintenanceCall(t *testing.T, d *runningDaemon, method, host, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, d.url+"/api/v1/hosts/"+host+"/maintenance", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// hostInfo returns one host of GET /api/v1/hosts.
func hostInfo(t *testing.T, d *runningDaemon, name string) web.HostInfo {
	t.Helper()
	var hosts web.Hosts
	getJSON(t, d.url+"/api/v1/hosts", &hosts)
	for _, h := range hosts.Hosts {
		if h.Name == name {
			return h
		}
	}
	t.Fatalf("no host %s in the API", name)
	return web.HostInfo{}
}

// fleetLedger reads the simulated fleet's record of every migration.
func fleetLedger(t *testing.T, srv *sim.Server) ledger {
	t.Helper()
	var l ledger
	getJSON(t, srv.AdminURL()+"ledger", &l)
	return l
}

// runningOn counts the running VMs the fleet itself places on host.
func runningOn(srv *sim.Server, host string) int {
	n := 0
	for _, v := range srv.Fleet().VMs(host) {
		if v.State == model.VMRunning {
			n++
		}
	}
	return n
}

// rewriteConfig replaces in the configuration at path, for each pair
// of oldnew, the first old with its new.
func rewriteConfig(t *testing.T, path string, oldnew ...string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for i := 0; i+1 < len(oldnew); i += 2 {
		if !strings.Contains(s, oldnew[i]) {
			t.Fatalf("%s does not hold %q", path, oldnew[i])
		}
		s = strings.Replace(s, oldnew[i], oldnew[i+1], 1)
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// cliConfig writes, beside cfgPath, the same configuration with the port
// the running daemon listens on, for the commands that talk to it.
func cliConfig(t *testing.T, cfgPath string, d *runningDaemon) string {
	t.Helper()
	b, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimPrefix(d.url, "http://")
	s := strings.Replace(string(b), `listen: "127.0.0.1:0"`, `listen: "`+addr+`"`, 1)
	path := filepath.Join(filepath.Dir(cfgPath), "cli.yaml")
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestMaintenanceThroughTheAPI, through a real daemon and the simulated
// fleet over WinRM: entering HV01's maintenance by the API evacuates every
// running VM of HV01 at once (the round interval is an hour: only the
// call's wake can start that round), each moved once and none into HV01;
// the state survives a restart of the daemon; the CLI lists it, refuses
// nothing twice, and takes it out; then HV01 takes VMs again.
func TestMaintenanceThroughTheAPI(t *testing.T) {
	f := evacFleet{speed: 10, gbps: 10, dirty: 10, sizes: []int{2, 2, 2, 2, 2, 2, 2, 2}, dests: 3, srcMax: 2, destMax: 2}
	srv, spec := f.serve(t)
	cfgPath := maintenanceConfig(t, srv, spec, "max_concurrent: 4, per_host_cap: 2, migrations_per_minute: 600, burst: 10")
	d, logs := startWatchedDaemon(t, cfgPath)
	awaitRound(t, d, "a first round")
	if n := len(fleetLedger(t, srv).Entries); n != 0 {
		t.Fatalf("%d migrations before maintenance: partial automation should run none here", n)
	}
	running := runningOn(srv, "HV01")
	if running != len(f.sizes) {
		t.Fatalf("HV01 runs %d VMs, want %d", running, len(f.sizes))
	}

	// Unknown host, bad name, and exit of a host not in maintenance.
	if code, body := maintenanceCall(t, d, http.MethodPost, "HV99", ""); code != http.StatusNotFound {
		t.Errorf("enter HV99: %d %s, want 404", code, body)
	}
	if code, body := maintenanceCall(t, d, http.MethodPost, "HV01.lab", ""); code != http.StatusBadRequest {
		t.Errorf("enter HV01.lab: %d %s, want 400", code, body)
	}

	asked := simNow(t, srv.AdminURL())
	code, body := maintenanceCall(t, d, http.MethodPost, "hv01", `{"by": "alice", "reason": "firmware update"}`)
	if code != http.StatusOK {
		t.Fatalf("enter: %d %s", code, body)
	}
	var change web.MaintenanceChange
	if err := json.Unmarshal([]byte(body), &change); err != nil || !change.Changed || change.Host != "HV01" {
		t.Fatalf("enter answered %s (%v)", body, err)
	}
	if code, body := maintenanceCall(t, d, http.MethodPost, "HV01", `{"by": "bob"}`); code != http.StatusOK || !strings.Contains(body, `"changed": false`) {
		t.Errorf("second enter: %d %s, want 200 and no change", code, body)
	}
	h := hostInfo(t, d, "HV01")
	if !h.Maintenance || len(h.MaintenanceSources) != 1 || h.MaintenanceSources[0].Source != web.MaintenanceAPI ||
		h.MaintenanceSources[0].By != "alice" || h.MaintenanceSources[0].Reason != "firmware update" || h.MaintenanceSources[0].Since.IsZero() {
		t.Errorf("HV01 in the API: %+v", h)
	}
	eventually(t, "HV01 drained", func() bool { return runningOn(srv, "HV01") == 0 })
	l := fleetLedger(t, srv)
	out := map[string]int{}
	for _, e := range l.Entries {
		if e.Destination == "HV01" {
			t.Errorf("%s migrated into HV01, a host in maintenance", e.VMName)
		}
		if e.Source == "HV01" && e.Outcome == "completed" {
			out[e.VMID]++
		}
	}
	if len(out) != running {
		t.Errorf("%d VMs left HV01, want %d", len(out), running)
	}
	for vm, n := range out {
		if n != 1 {
			t.Errorf("VM %s left HV01 %d times", vm, n)
		}
	}
	var first time.Time
	for _, e := range l.Entries {
		if e.Source == "HV01" && (first.IsZero() || e.Start.Before(first)) {
			first = e.Start
		}
	}
	t.Logf("first evacuation move started %.2f s (simulated; %.2f s real) after the request; collector interval 1 s",
		first.Sub(asked).Seconds(), first.Sub(asked).Seconds()/f.speed)
	var hist web.History
	getJSON(t, d.url+"/api/v1/history?limit=1000", &hist)
	checkLedgerAgainstJournal(t, l, hist.Entries)
	if !logged(logs, "host maintenance entered", "by=alice", `reason="firmware update"`) {
		t.Error("entering maintenance was not logged with who and why")
	}
	if page := getText(t, d.url+"/"); !strings.Contains(page, "entered by alice") {
		t.Error("the status page does not show HV01's maintenance")
	}

	// A restart keeps the state, and the new daemon sends nothing into HV01.
	if code := d.stop(); code != 0 {
		t.Fatalf("daemon exit %d", code)
	}
	d, _ = startWatchedDaemon(t, cfgPath)
	awaitSnapshot(t, d, "a first snapshot after the restart")
	h = hostInfo(t, d, "HV01")
	if !h.Maintenance || len(h.MaintenanceSources) != 1 || h.MaintenanceSources[0].By != "alice" {
		t.Errorf("after a restart HV01 is %+v, want in maintenance by alice", h)
	}
	awaitRound(t, d, "a round after the restart")

	// The CLI lists it, and takes it out: it reads the daemon's address
	// and token from a configuration naming the port the daemon got.
	cliPath := cliConfig(t, cfgPath, d)
	code, stdout, stderr := hvb(t, "maintenance", "list", "--config", cliPath)
	if code != 0 || !strings.Contains(stdout, "HV01") || !strings.Contains(stdout, "api: by alice") || !strings.Contains(stdout, "firmware update") {
		t.Errorf("maintenance list: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, stdout, stderr = hvb(t, "maintenance", "exit", "--config", cliPath, "--by", "carol", "HV01"); code != 0 || !strings.Contains(stdout, "out of maintenance") {
		t.Errorf("maintenance exit: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, stdout, _ = hvb(t, "maintenance", "list", "--config", cliPath); code != 0 || !strings.Contains(stdout, "no host is in maintenance") {
		t.Errorf("maintenance list after exit: exit %d\n%s", code, stdout)
	}
	if code, _, stderr = hvb(t, "maintenance", "enter", "--config", cliPath, "HV99"); code != 1 || !strings.Contains(stderr, "no such host") {
		t.Errorf("maintenance enter HV99: exit %d, %s", code, stderr)
	}
	b, err := os.ReadFile(filepath.Join(filepath.Dir(cfgPath), "state", "maintenance.json"))
	if err != nil || !strings.Contains(string(b), `"by": "carol"`) || !strings.Contains(string(b), `"action": "exit"`) {
		t.Errorf("the state file does not record carol's exit (%v):\n%s", err, b)
	}

	// Out of maintenance, HV01 (now empty) takes VMs again: a balancing
	// plan into it, approved, runs.
	into := approveNewest(t, d, "test", func(p web.PlanInfo) bool {
		var plan balancer.Plan
		getJSON(t, d.url+"/api/v1/plans/"+p.ID, &plan)
		for _, m := range plan.Moves {
			if m.To == "HV01" {
				return true
			}
		}
		return false
	})
	eventually(t, "a VM moved into HV01 after the exit", func() bool { return runningOn(srv, "HV01") > 0 })
	t.Logf("plan %s moved VMs into HV01 after the exit", into.ID)
}

// TestMaintenanceKeptByTheConfiguration: a host in maintenance by its
// configuration cannot be taken out through the API (409, naming the
// setting), nor can one by its label; the CLI says the same.
func TestMaintenanceKeptByTheConfiguration(t *testing.T) {
	f := evacFleet{speed: 10, gbps: 10, dirty: 10, sizes: []int{2, 2}, dests: 2, srcMax: 2, destMax: 2}
	srv, spec := f.serve(t)
	cfgPath := maintenanceConfig(t, srv, spec, "max_concurrent: 4, per_host_cap: 2, migrations_per_minute: 600, burst: 10")
	rewriteConfig(t, cfgPath,
		"{name: HV02,", "{name: HV02, maintenance: true,",
		"{name: HV03,", "{name: HV03, labels: {maintenance: \"true\"},")
	d, _ := startWatchedDaemon(t, cfgPath)
	cliPath := cliConfig(t, cfgPath, d)
	for host, want := range map[string]string{"HV02": "by its configuration (maintenance: true in", "HV03": "by its label maintenance=true"} {
		code, body := maintenanceCall(t, d, http.MethodDelete, host, "")
		if code != http.StatusConflict || !strings.Contains(body, want) || !strings.Contains(body, "reload") {
			t.Errorf("exit %s: %d %s, want 409 saying %q and how", host, code, body, want)
		}
		code, _, stderr := hvb(t, "maintenance", "exit", "--config", cliPath, host)
		if code != 1 || !strings.Contains(stderr, want) {
			t.Errorf("maintenance exit %s: exit %d, %s", host, code, stderr)
		}
	}
	awaitSnapshot(t, d, "a first snapshot")
	if m := hostInfo(t, d, "HV02").MaintenanceSources; len(m) != 1 || m[0].Source != web.MaintenanceConfig {
		t.Errorf("HV02's maintenance: %+v, want from the configuration", m)
	}
	if m := hostInfo(t, d, "HV03").MaintenanceSources; len(m) != 1 || m[0].Source != web.MaintenanceLabel {
		t.Errorf("HV03's maintenance: %+v, want from its label", m)
	}
}

// TestEvacuationBudget: with balancing paced at one migration a minute
// (burst 1) and per_host_cap 2, an evacuation of a host whose own limit is
// 4 runs 4 at once and starts more than the ordinary bucket would allow
// within a minute: it takes its tokens from evacuation_per_minute.
func TestEvacuationBudget(t *testing.T) {
	f := evacFleet{speed: 1, gbps: 10, dirty: 10, sizes: []int{4, 4, 4, 4, 4, 4, 4, 4}, dests: 4, srcMax: 4, destMax: 2}
	srv, spec := f.serve(t)
	cfgPath := maintenanceConfig(t, srv, spec, "max_concurrent: 8, per_host_cap: 2, migrations_per_minute: 1, burst: 1, evacuation_per_minute: 600")
	d, _ := startWatchedDaemon(t, cfgPath)
	awaitRound(t, d, "a first round")
	if code, body := maintenanceCall(t, d, http.MethodPost, "HV01", `{"reason": "budget"}`); code != http.StatusOK {
		t.Fatalf("enter: %d %s", code, body)
	}
	eventually(t, "HV01 drained", func() bool { return runningOn(srv, "HV01") == 0 })
	l := fleetLedger(t, srv)
	if hw := l.Hosts["HV01"].HighWater; hw != 4 {
		t.Errorf("HV01 ran at most %d migrations at once, want its own limit 4 (per_host_cap is 2)", hw)
	}
	var first time.Time
	for _, e := range l.Entries {
		if e.Source == "HV01" && (first.IsZero() || e.Start.Before(first)) {
			first = e.Start
		}
	}
	within := 0
	for _, e := range l.Entries {
		if e.Source == "HV01" && e.Start.Before(first.Add(time.Minute)) {
			within++
		}
	}
	// The ordinary bucket (1 a minute, burst 1) allows 2 starts within a
	// minute of the first.
	if within <= 2 {
		t.Errorf("%d evacuation moves started within a minute of the first: throttled by migrations_per_minute", within)
	}
	var hist web.History
	getJSON(t, d.url+"/api/v1/history?limit=1000", &hist)
	checkLedgerAgainstJournal(t, l, hist.Entries)
}

// getText GETs a page.
func getText(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// showLogsOnFailure prints the daemon's log when the test fails.
func showLogsOnFailure(t *testing.T, logs *logBuffer) {
	t.Cleanup(func() {
		if t.Failed() {
			t.Log("daemon log:\n" + strings.Join(logs.all(), "\n"))
		}
	})
}

// logged reports whether one line of the log holds every part.
func logged(logs *logBuffer, parts ...string) bool {
	for _, l := range logs.all() {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(l, p)
		}
		if all {
			return true
		}
	}
	return false
}

// TestEvacuationDoesNotWaitForTheWindow: a host in maintenance by its
// configuration at start-up is evacuated by a round that runs as soon as
// the hosts have one sample each, while the window wants more before it
// balances (a 10 s window at 1 s polls wants 3): the first plan is made
// with aggressiveness 1 (requests only) and says so, with max_moves raised
// for the VMs to evacuate, and every VM leaves the host.
func TestEvacuationDoesNotWaitForTheWindow(t *testing.T) {
	f := evacFleet{speed: 10, gbps: 10, dirty: 10, sizes: []int{2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2}, dests: 3, srcMax: 2, destMax: 2}
	srv, spec := f.serve(t)
	cfgPath := maintenanceConfig(t, srv, spec, "max_concurrent: 4, per_host_cap: 2, migrations_per_minute: 600, burst: 10")
	rewriteConfig(t, cfgPath,
		"{name: HV01,", "{name: HV01, maintenance: true,",
		"window: 4s", "window: 10s")
	d, _ := startWatchedDaemon(t, cfgPath)
	var first balancer.Plan
	eventually(t, "a first plan", func() bool {
		var plans web.Plans
		getJSON(t, d.url+"/api/v1/plans", &plans)
		if len(plans.Plans) == 0 {
			return false
		}
		getJSON(t, d.url+"/api/v1/plans/"+plans.Plans[len(plans.Plans)-1].ID, &first)
		return true
	})
	changed := map[string]balancer.SettingChange{}
	for _, c := range first.SettingsChanged {
		changed[c.Key] = c
	}
	if c := changed["aggressiveness"]; c.Effective != 1 || !strings.Contains(c.By, "requests only") {
		t.Errorf("the first plan's aggressiveness: %+v, want 1, requests only, before the window has its samples", c)
	}
	if c := changed["max_moves"]; c.Effective != 10+12 || !strings.Contains(c.By, "hosts in maintenance") {
		t.Errorf("the first plan's max_moves: %+v, want 22 for the 12 VMs to evacuate", c)
	}
	out := 0
	for _, m := range first.Moves {
		if m.From != "HV01" || m.Trigger != balancer.TriggerRequest {
			t.Errorf("the first plan moves %s from %s (%s): want evacuations only", m.VMName, m.From, m.Trigger)
		}
		out++
	}
	if out != len(f.sizes) {
		t.Errorf("the first plan evacuates %d VMs, want all %d in one plan", out, len(f.sizes))
	}
	eventually(t, "HV01 drained", func() bool { return runningOn(srv, "HV01") == 0 })
}
