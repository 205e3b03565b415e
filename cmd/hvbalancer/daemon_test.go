package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/config"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
	"github.com/hvbalancer/hvbalancer/hyperv/sim"
)

const testToken = "t0ken-for-tests"

// daemonConfig writes a configuration for the in-process simulated demo
// fleet, with fast rounds, and returns its path.
func daemonConfig(t *testing.T, automation string) string {
	t.Helper()
	dir := t.TempDir()
	abs, _ := filepath.Abs("../../examples")
	if err := os.WriteFile(filepath.Join(dir, "token"), []byte(testToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`version: 1
state_dir: state
simulator: {fleet: %s/fleets/demo.yaml, speed: 300}
http: {listen: "127.0.0.1:0", token_file: token}
automation: %s
round_interval: 300ms
collector: {interval: 200ms, window: 2s, stale_after: 5s}
policy: {dir: %s/policies}
planner: {max_moves: 10, cooldown: 1h}
executor: {max_concurrent: 4, migrations_per_minute: 600, burst: 10, drain_timeout: 30s}
`, abs, automation, abs)
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// runningDaemon is `hvbalancer run` in-process.
type runningDaemon struct {
	url, admin string
	stop       func() int
}

func startDaemon(t *testing.T, cfgPath string) *runningDaemon {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		code := runContext(ctx, []string{"run", "--config", cfgPath}, pw, io.Discard)
		pw.Close()
		done <- code
	}()
	d := &runningDaemon{}
	urlRE := regexp.MustCompile(`status page (http://\S+)/`)
	adminRE := regexp.MustCompile(`admin API (http://\S+)\)`)
	lines := bufio.NewScanner(pr)
	for (d.url == "" || d.admin == "") && lines.Scan() {
		if m := urlRE.FindStringSubmatch(lines.Text()); m != nil {
			d.url = m[1]
		}
		if m := adminRE.FindStringSubmatch(lines.Text()); m != nil {
			d.admin = m[1]
		}
	}
	go io.Copy(io.Discard, pr)
	if d.url == "" || d.admin == "" {
		cancel()
		t.Fatalf("daemon did not start (exit %d)", <-done)
	}
	stop := sync.OnceValue(func() int { cancel(); return <-done })
	d.stop = stop
	t.Cleanup(func() { stop() })
	return d
}

// approveNewest approves the newest pending plan that accept takes, as an
// administrator would: the daemon keeps planning while a plan waits, and
// a newer plan supersedes it (approving it then answers 409), so it tries
// again with the newest until one is approved. It returns the plan.
func approveNewest(t *testing.T, d *runningDaemon, by string, accept func(web.PlanInfo) bool) web.PlanInfo {
	t.Helper()
	var approved web.PlanInfo
	eventually(t, "a pending plan to approve", func() bool {
		var plans web.Plans
		getJSON(t, d.url+"/api/v1/plans", &plans)
		for _, p := range plans.Plans { // newest first
			if p.State != web.PlanPending || !accept(p) {
				continue
			}
			switch code := post(t, d.url+"/api/v1/plans/"+p.ID+"/approve", testToken, map[string]string{"by": by}); code {
			case http.StatusOK:
				approved = p
				return true
			case http.StatusConflict: // superseded or expired meanwhile: take the newest again
				return false
			default:
				t.Fatalf("approve %s: %d", p.ID, code)
			}
		}
		return false
	})
	return approved
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %s: %s", url, resp.Status, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

func post(t *testing.T, url, token string, body any) int {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// eventually polls cond, bounded by a generous deadline (not a timing
// assertion: it only keeps a broken build from hanging).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := patience(t); !cond(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("never happened: %s", what)
		}
	}
}

// patience is until when a test may wait for something to happen: what is
// left of the test binary's -timeout, less a minute for the test to fail
// with its own message and clean up (10 minutes without a timeout). A
// loaded machine makes a test slower, not red; a hang still fails it, with
// the name of what never happened.
func patience(t *testing.T) time.Time {
	if d, ok := t.Deadline(); ok {
		return d.Add(-time.Minute)
	}
	return time.Now().Add(10 * time.Minute)
}

type ledger struct {
	Entries []sim.LedgerEntry         `json:"entries"`
	Hosts   map[string]sim.HostLedger `json:"hosts"`
}

// checkLedgerAgainstJournal proves the executor's limits from the fleet's
// side: no host above its own limit, and every migration the fleet ran is
// one journaled decision, run once.
func checkLedgerAgainstJournal(t *testing.T, l ledger, history []web.HistoryEntry) {
	t.Helper()
	for name, h := range l.Hosts {
		if h.HighWater > h.Max {
			t.Errorf("%s ran %d migrations at once, its limit is %d", name, h.HighWater, h.Max)
		}
	}
	started := map[string]int{}
	seen := map[string]bool{}
	for _, e := range history {
		if seen[e.MoveID] {
			t.Errorf("move %s journaled twice", e.MoveID)
		}
		seen[e.MoveID] = true
		if !e.Started.IsZero() {
			started[e.VMID+" "+e.From+" "+e.To]++
		}
	}
	ran := map[string]int{}
	for _, e := range l.Entries {
		ran[e.VMID+" "+e.Source+" "+e.Destination]++
	}
	for k, n := range ran {
		if n != started[k] {
			t.Errorf("the fleet migrated %s %d times, the journal started it %d times", k, n, started[k])
		}
	}
}

func TestDaemonConvergesTheDemoFleet(t *testing.T) {
	d := startDaemon(t, daemonConfig(t, "full"))
	var before web.Hosts
	eventually(t, "a first snapshot", func() bool { getJSON(t, d.url+"/api/v1/hosts", &before); return len(before.Hosts) == 8 })
	maxBefore := 0.0
	for _, h := range before.Hosts {
		maxBefore = max(maxBefore, h.CPU.Mean)
	}
	var st web.Status
	eventually(t, "a round that moves nothing", func() bool {
		getJSON(t, d.url+"/api/v1/status", &st)
		return quietRound(st)
	})
	if b := st.Balance; b == nil || b.Moves != 0 || b.Balanced == nil || *b.Balanced != (b.Reason == "") || b.Time.IsZero() || b.Time.After(st.LastRound.Time) {
		t.Errorf("after a round that moves nothing the status's balance is %+v, want the round's, with no move, a known verdict, and a reason exactly when it is not balanced", b)
	}
	var after web.Hosts
	getJSON(t, d.url+"/api/v1/hosts", &after)
	maxAfter := 0.0
	for _, h := range after.Hosts {
		maxAfter = max(maxAfter, h.CPU.Mean)
	}
	if maxAfter >= maxBefore {
		t.Errorf("busiest host at %.1f%% CPU before and %.1f%% after balancing", maxBefore, maxAfter)
	}

	// Pause, let in-flight migrations land, and compare the fleet's ledger
	// with the journal.
	if code := post(t, d.url+"/api/v1/pause", testToken, map[string]string{"reason": "test"}); code != http.StatusOK {
		t.Fatalf("pause: %d", code)
	}
	eventually(t, "no migration in flight", func() bool {
		getJSON(t, d.url+"/api/v1/status", &st)
		return st.Paused && len(st.InFlight) == 0
	})
	var l ledger
	getJSON(t, d.admin+"ledger", &l)
	var hist web.History
	getJSON(t, d.url+"/api/v1/history?limit=1000", &hist)
	if len(l.Entries) == 0 {
		t.Fatal("the fleet ran no migration")
	}
	checkLedgerAgainstJournal(t, l, hist.Entries)
	checkMetrics(t, d.url+"/metrics")
	if code := d.stop(); code != 0 {
		t.Errorf("exit %d after stop", code)
	}
}

func TestDaemonManualWaitsForApproval(t *testing.T) {
	d := startDaemon(t, daemonConfig(t, "manual"))
	var plans web.Plans
	eventually(t, "a pending plan", func() bool {
		getJSON(t, d.url+"/api/v1/plans", &plans)
		return len(plans.Plans) > 0 && plans.Plans[0].State == web.PlanPending
	})
	var l ledger
	getJSON(t, d.admin+"ledger", &l)
	if len(l.Entries) != 0 {
		t.Fatalf("manual mode moved %d VMs before approval", len(l.Entries))
	}
	if code := post(t, d.url+"/api/v1/plans/"+plans.Plans[0].ID+"/approve", "wrong", nil); code != http.StatusUnauthorized {
		t.Errorf("approve with a wrong token: %d", code)
	}
	id := approveNewest(t, d, "alice", func(web.PlanInfo) bool { return true }).ID
	eventually(t, "the approved moves to run", func() bool {
		getJSON(t, d.admin+"ledger", &l)
		done := 0
		for _, e := range l.Entries {
			if e.Outcome == sim.OutcomeCompleted {
				done++
			}
		}
		return done > 0 && done == len(l.Entries)
	})
	if code := post(t, d.url+"/api/v1/plans/"+id+"/approve", testToken, nil); code != http.StatusConflict {
		t.Errorf("approving twice: %d, want 409", code)
	}
	// The plan ends once every move has: done, with its outcomes.
	var mine web.PlanInfo
	eventually(t, "the approved plan to end", func() bool {
		getJSON(t, d.url+"/api/v1/plans", &plans)
		for _, p := range plans.Plans {
			if p.ID == id {
				mine = p
			}
		}
		return mine.State.Final()
	})
	if mine.ApprovedBy != "alice" || mine.Outcomes[web.MoveSucceeded] == 0 || mine.Outcomes[web.MoveFailed] != 0 ||
		mine.State != web.PlanDone && mine.State != web.PlanPartlyDone {
		t.Errorf("plan after its moves ran: %+v", mine)
	}
	if mine.State == web.PlanPartlyDone {
		// A bursty VM's move may no longer fit its destination when the
		// approved plan runs: re-checked, it is skipped as stale, never
		// sent.
		var hist web.History
		getJSON(t, d.url+"/api/v1/history?limit=1000", &hist)
		for _, e := range hist.Entries {
			if strings.HasPrefix(e.PlanID, id) && e.State == web.MoveSkipped && e.Cause != "stale" {
				t.Errorf("approved move of %s to %s skipped for %s (%s), want only stale re-checks", e.VMName, e.To, e.Cause, e.Error)
			}
		}
	}
	// Every plan that waited when a newer one came is superseded by a
	// newer one, and approving it is refused with the reason.
	superseded := 0
	for _, p := range plans.Plans {
		if p.State != web.PlanSuperseded {
			continue
		}
		superseded++
		if p.SupersededBy == "" || !p.Created.Before(planCreated(plans, p.SupersededBy)) {
			t.Errorf("superseded plan %s names %q, not a newer plan", p.ID, p.SupersededBy)
		}
		if code := post(t, d.url+"/api/v1/plans/"+p.ID+"/approve", testToken, nil); code != http.StatusConflict {
			t.Errorf("approving superseded plan %s: %d, want 409", p.ID, code)
		}
	}
	t.Logf("%d plans listed, %d superseded", len(plans.Plans), superseded)
}

// planCreated is when the listed plan id was made (zero if not listed).
func planCreated(plans web.Plans, id string) time.Time {
	for _, p := range plans.Plans {
		if p.ID == id {
			return p.Created
		}
	}
	return time.Time{}
}

func TestApplyRefusesTamperedAndExpiredPlans(t *testing.T) {
	// Its own state directory: the tests never touch the one examples/sim.yaml
	// shares with a daemon a user may be running.
	cfg := daemonConfig(t, "manual")
	dir := t.TempDir()
	snapPath := filepath.Join(dir, "snap.json")
	if code, o, e := hvb(t, "snapshot", "--config", cfg, "--out", snapPath, "--samples", "1"); code != 0 {
		t.Fatalf("snapshot: %d %s%s", code, o, e)
	}
	if code, o, e := hvb(t, "plan", "--config", cfg, "--snapshot", snapPath, "--out", filepath.Join(dir, "p")); code != 0 {
		t.Fatalf("plan: %d %s%s", code, o, e)
	}
	planJSON, _ := os.ReadFile(filepath.Join(dir, "p", "plan.json"))
	tampered := filepath.Join(dir, "tampered.json")
	os.WriteFile(tampered, []byte(strings.Replace(string(planJSON), `"to": "HV0`, `"to": "HV1`, 1)), 0o644)
	code, out, errOut := hvb(t, "apply", "--config", cfg, tampered)
	if code != 1 || !strings.Contains(errOut, "tamper") {
		t.Errorf("tampered plan: exit %d: %s%s", code, out, errOut)
	}

	// A plan made from a snapshot of a year ago has long expired.
	snap, _ := os.ReadFile(snapPath)
	old := regexp.MustCompile(`"taken": "2026-`).ReplaceAll(snap, []byte(`"taken": "2025-`))
	os.WriteFile(snapPath, old, 0o644)
	if code, o, e := hvb(t, "plan", "--config", cfg, "--snapshot", snapPath, "--out", filepath.Join(dir, "old")); code != 0 {
		t.Fatalf("plan: %d %s%s", code, o, e)
	}
	code, out, errOut = hvb(t, "apply", "--config", cfg, filepath.Join(dir, "old", "plan.json"))
	if code != 1 || !strings.Contains(errOut, "expired") {
		t.Errorf("expired plan: exit %d: %s%s", code, out, errOut)
	}
}

func TestApplyExecutesAnApprovedPlan(t *testing.T) {
	cfg := daemonConfig(t, "manual")
	dir := t.TempDir()
	if code, o, e := hvb(t, "plan", "--config", cfg, "--out", dir, "--samples", "2", "--every", "300ms"); code != 0 {
		t.Fatalf("plan: %d %s%s", code, o, e)
	}
	code, out, errOut := hvb(t, "apply", "--config", cfg, filepath.Join(dir, "plan.json"))
	if code != 0 {
		t.Fatalf("apply: exit %d: %s%s", code, out, errOut)
	}
	if !regexp.MustCompile(`\d+ moves: [1-9]\d* succeeded, 0 failed`).MatchString(out) {
		t.Errorf("apply output:\n%s", out)
	}
	// Plain lines when not on a terminal: one per state change, no escapes.
	if strings.Contains(out, "\033[") || !strings.Contains(out, "succeeded") {
		t.Errorf("apply progress is not plain text:\n%s", out)
	}
}

// checkMetrics scrapes the daemon's /metrics over HTTP, lints what it
// serves with promlint, and checks that the families the status of a
// fleet needs are there, with no per-VM label.
func checkMetrics(t *testing.T, url string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	problems, err := testutil.GatherAndLint(prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		out := make([]*dto.MetricFamily, 0, len(families))
		for _, f := range families {
			out = append(out, f)
		}
		return out, nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("metric %s: %s", p.Metric, p.Text)
	}
	for _, name := range []string{
		"hvbalancer_collector_host_cpu_utilization_ratio", "hvbalancer_collector_host_memory_utilization_ratio",
		"hvbalancer_cluster_spread_ratio", "hvbalancer_daemon_rounds_total", "hvbalancer_planner_plan_moves",
		"hvbalancer_executor_migrations_total", "hvbalancer_executor_migration_duration_seconds",
		"hvbalancer_executor_in_flight", "hvbalancer_executor_queue_length",
		"hvbalancer_policy_evaluation_duration_seconds", "hvbalancer_collector_errors_total",
		"hvbalancer_executor_circuit_breaker_open", "hvbalancer_build_info",
	} {
		if families[name] == nil {
			t.Errorf("/metrics has no %s", name)
		}
	}
	for name, f := range families {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if strings.HasPrefix(l.GetName(), "vm") {
					t.Errorf("%s has a per-VM label %s", name, l.GetName())
				}
			}
		}
	}
}

// TestDaemonReloadKeepsTheLastGoodConfig reloads over HTTP: a configuration
// that does not validate is refused and the running one stays; a valid one
// takes effect at once.
func TestDaemonReloadKeepsTheLastGoodConfig(t *testing.T) {
	cfgPath := daemonConfig(t, "manual")
	d := startDaemon(t, cfgPath)
	good, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	rewrite := func(from, to string) {
		t.Helper()
		if err := os.WriteFile(cfgPath, []byte(strings.Replace(string(good), from, to, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var st web.Status
	rewrite("automation: manual", "automation: sometimes")
	if code := post(t, d.url+"/-/reload", testToken, nil); code != http.StatusUnprocessableEntity {
		t.Errorf("reload of an invalid configuration: %d, want 422", code)
	}
	getJSON(t, d.url+"/api/v1/status", &st)
	if st.Mode != config.AutomationManual {
		t.Errorf("after a refused reload the mode is %q, want manual", st.Mode)
	}
	rewrite("automation: manual", "automation: partial")
	if code := post(t, d.url+"/-/reload", "", nil); code != http.StatusUnauthorized {
		t.Errorf("reload without a token: %d, want 401", code)
	}
	if code := post(t, d.url+"/-/reload", testToken, nil); code != http.StatusOK {
		t.Fatalf("reload: %d", code)
	}
	getJSON(t, d.url+"/api/v1/status", &st)
	if st.Mode != config.AutomationPartial {
		t.Errorf("after reload the mode is %q, want partial", st.Mode)
	}
}

// TestDaemonPartialRunsOnlyPolicyRequests runs the daemon in partial
// automation with the shipped policy plus one request (evacuate lab-0003
// from HV01): that move (and any other policy request) runs on its own,
// the balancing moves wait in a pending plan, and the fleet runs nothing
// the journal does not show as a request.
func TestDaemonPartialRunsOnlyPolicyRequests(t *testing.T) {
	policies := shippedPolicy(t, nil)
	extra := `package hvbalancer

requests contains {"vm": id, "reason": "test: move lab-0003 off HV01", "priority": 90} if {
	some id, vm in input.fleet.vms
	vm_name(id) == "lab-0003"
	vm.host == "HV01"
}
`
	if err := os.WriteFile(filepath.Join(policies, "extra.rego"), []byte(extra), 0o644); err != nil {
		t.Fatal(err)
	}
	cfgPath := daemonConfig(t, "partial")
	b, _ := os.ReadFile(cfgPath)
	abs, _ := filepath.Abs("../../examples")
	cfg := strings.Replace(string(b), "policy: {dir: "+abs+"/policies}", "policy: {dir: "+policies+"}", 1)
	if cfg == string(b) {
		t.Fatal("could not point the configuration at the test policies")
	}
	os.WriteFile(cfgPath, []byte(cfg), 0o644)
	d := startDaemon(t, cfgPath)

	var hist web.History
	eventually(t, "the requested move to run", func() bool {
		getJSON(t, d.url+"/api/v1/history?limit=1000", &hist)
		for _, e := range hist.Entries {
			if e.VMName == "lab-0003" && e.State == web.MoveSucceeded {
				return true
			}
		}
		return false
	})
	var plans web.Plans
	eventually(t, "a plan with balancing moves pending", func() bool {
		getJSON(t, d.url+"/api/v1/plans", &plans)
		for _, p := range plans.Plans {
			if p.State == web.PlanPending {
				return true
			}
		}
		return false
	})
	// The ledger first: whatever it shows was journaled before it started.
	var l ledger
	getJSON(t, d.admin+"ledger", &l)
	getJSON(t, d.url+"/api/v1/history?limit=1000", &hist)
	for _, e := range hist.Entries {
		if e.Trigger != balancer.TriggerRequest {
			t.Errorf("partial automation ran a %s move of %s without approval", e.Trigger, e.VMName)
		}
	}
	checkLedgerAgainstJournal(t, l, hist.Entries)
}

// TestTamperedStoredPlanIsRefused: a plan whose stored copy was edited
// after the daemon made and signed it — its digest computed again — is
// refused for good when someone approves it, and nothing of it runs.
func TestTamperedStoredPlanIsRefused(t *testing.T) {
	cfgPath := daemonConfig(t, "manual")
	b, _ := os.ReadFile(cfgPath)
	// One round only, so no newer plan supersedes the one under test.
	os.WriteFile(cfgPath, []byte(strings.Replace(string(b), "round_interval: 300ms", "round_interval: 1h", 1)), 0o644)
	d := startDaemon(t, cfgPath)
	var plans web.Plans
	eventually(t, "a pending plan", func() bool {
		getJSON(t, d.url+"/api/v1/plans", &plans)
		return len(plans.Plans) > 0 && plans.Plans[0].State == web.PlanPending
	})
	id := plans.Plans[0].ID
	path := filepath.Join(filepath.Dir(cfgPath), "state", "plans", id, "plan.json")
	// An edit whose digest is computed again: only the signature tells.
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := balancer.ReadPlan(f)
	f.Close()
	if err != nil || len(plan.Moves) == 0 {
		t.Fatalf("plan %s: %v, %d moves", id, err, len(plan.Moves))
	}
	plan.Moves[0].To = plan.Moves[0].From
	w, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := plan.WriteJSON(w); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if code := post(t, d.url+"/api/v1/plans/"+id+"/approve", testToken, nil); code != http.StatusConflict {
		t.Fatalf("approving a tampered plan: %d, want 409", code)
	}
	getJSON(t, d.url+"/api/v1/plans", &plans)
	if plans.Plans[0].ID != id || plans.Plans[0].State != web.PlanRefused {
		t.Errorf("tampered plan after approval: %+v", plans.Plans[0])
	}
	var l ledger
	getJSON(t, d.admin+"ledger", &l)
	if len(l.Entries) != 0 {
		t.Errorf("%d migrations ran from a refused plan", len(l.Entries))
	}
}
