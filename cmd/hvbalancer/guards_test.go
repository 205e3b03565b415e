package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/hyperv/sim"
)

// The guards of the shipped policy (guard_*.rego) end to end: the
// simulated fleet served over WinRM on 127.0.0.1, polled by the real
// client, planned by `hvbalancer plan` (or the daemon) under a copy of the
// shipped policy whose data.yaml switches one guard on. Each test proves
// the guard holds in the plan and that the plan and its report name the
// guard that denied.

// guardsFleetYAML: HV01 runs two VMs pinned to HV02 (one of 48 GiB) and a
// busy one; HV02 a busy one; HV03 one VM of tenant acme and nothing else,
// so that it is the first choice for any VM; HV04, in maintenance by the
// configuration, a VM of 48 GiB, one of tenant acme and three others.
const guardsFleetYAML = `name: guards
seed: 21
start: 2026-01-05T10:00:00Z
speed: 10
hosts:
  - {name: HV01, logical_processors: 64, memory_gib: 512}
  - {name: HV02, logical_processors: 64, memory_gib: 512}
  - {name: HV03, logical_processors: 64, memory_gib: 512}
  - {name: HV04, logical_processors: 64, memory_gib: 512}
vms:
  - {name: big-pinned, host: HV01, cpus: 4, memory_gib: 48, notes: "pin=HV02", load: {cpu: 0.2}}
  - {name: small-pinned, host: HV01, cpus: 2, memory_gib: 8, notes: "pin=HV02", load: {cpu: 0.2}}
  - {name: busy-01, host: HV01, cpus: 16, memory_gib: 16, load: {cpu: 0.6}}
  - {name: busy-02, host: HV02, cpus: 16, memory_gib: 16, load: {cpu: 0.6}}
  - {name: acme-home, host: HV03, cpus: 2, memory_gib: 8, notes: "tenant=acme", load: {cpu: 0.1}}
  - {name: big-evac, host: HV04, cpus: 4, memory_gib: 48, load: {cpu: 0.2}}
  - {name: acme-evac, host: HV04, cpus: 2, memory_gib: 8, notes: "tenant=acme", load: {cpu: 0.2}}
  - {name: evac-01, host: HV04, cpus: 2, memory_gib: 8, load: {cpu: 0.2}}
  - {name: evac-02, host: HV04, cpus: 2, memory_gib: 8, load: {cpu: 0.2}}
  - {name: evac-03, host: HV04, cpus: 2, memory_gib: 8, load: {cpu: 0.2}}
`

// guardsConfig serves the guards fleet and returns a configuration
// for it (HV04 in maintenance, manual automation) whose policy is the
// shipped one with settings laid over its data (see shippedPolicy).
func guardsConfig(t *testing.T, settings map[string]any) string {
	t.Helper()
	spec, err := sim.ParseFleet([]byte(guardsFleetYAML))
	if err != nil {
		t.Fatal(err)
	}
	inMaintenance := func(host string) string { return fmt.Sprintf(", maintenance: %v", host == "HV04") }
	cfg := standaloneConfig(t, serveFleet(t, spec), spec, "manual", inMaintenance, "")
	usePolicy(t, cfg, shippedPolicy(t, settings))
	return cfg
}

// planGuards runs `hvbalancer plan` on the guards fleet under the shipped
// policy with settings laid over (see guardsConfig) and returns the plan
// and its Markdown report.
func planGuards(t *testing.T, settings map[string]any) (*balancer.Plan, string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "plan")
	if code, o, e := hvb(t, "plan", "--config", guardsConfig(t, settings), "--out", out, "--samples", "2", "--every", "200ms"); code != 0 {
		t.Fatalf("plan: exit %d: %s%s", code, o, e)
	}
	plan, _ := readPlanDir(t, out)
	md, err := os.ReadFile(filepath.Join(out, "plan.md"))
	if err != nil {
		t.Fatal(err)
	}
	return plan, string(md)
}

// movesByName indexes a plan's moves by VM name.
func movesByName(p *balancer.Plan) map[string]balancer.Move {
	m := map[string]balancer.Move{}
	for _, mv := range p.Moves {
		m[mv.VMName] = mv
	}
	return m
}

// guardRejections returns the messages of every rejection in the plan, the
// plan's own and its moves', that contain part, each after its VM and
// destination.
func guardRejections(p *balancer.Plan, part string) []string {
	var out []string
	for _, r := range rejected(p) {
		for _, msg := range r.Messages {
			if strings.Contains(msg, part) {
				out = append(out, r.VMName+" -> "+r.To+": "+msg)
			}
		}
	}
	return out
}

// TestGuardLargeVMInBusinessHours: with guards.large_vm.max_memory_gib 32
// and every hour business hours, the 48 GiB VM pinned elsewhere does not
// move (the guard holds it for the plan: its request is refused with the
// guard's reason, and the plan and its report count the hold under the
// guard's name) while the 8 GiB one pinned alike does, and the 48 GiB VM of
// the host in maintenance is evacuated all the same.
func TestGuardLargeVMInBusinessHours(t *testing.T) {
	plan, md := planGuards(t, map[string]any{
		"business_hours": allDayBusinessHours,
		"guards":         map[string]any{"large_vm": map[string]any{"max_memory_gib": 32}},
	})
	moves := movesByName(plan)
	if m, ok := moves["big-pinned"]; ok {
		t.Errorf("big-pinned (48 GiB) moves to %s in business hours", m.To)
	}
	if m := moves["small-pinned"]; m.To != "HV02" {
		t.Errorf("small-pinned (8 GiB) moves to %q, want its pin HV02", m.To)
	}
	if m := moves["big-evac"]; m.From != "HV04" || m.To == "" {
		t.Errorf("big-evac (48 GiB) is not evacuated from HV04 in maintenance: %+v", m)
	}
	const want = "big-pinned: guard large_vm: 48 GiB of memory, over 32 GiB, moves only outside business hours"
	if got := guardRejections(plan, "guard large_vm"); len(got) == 0 || !strings.HasSuffix(got[0], want) {
		t.Errorf("the plan's rejections by the guard: %q, want big-pinned's %q", got, want)
	}
	for _, r := range guardRejections(plan, "guard large_vm") {
		if !strings.HasPrefix(r, "big-pinned ") {
			t.Errorf("the guard refused another VM: %s", r)
		}
	}
	// Held for the plan, not judged host by host: the plan counts it under
	// the guard, and the report says so.
	if got, want := heldBy(plan, "guard large_vm"), (balancer.HeldRule{Rule: "guard large_vm", VMs: 1, Example: want}); got != want {
		t.Errorf("the plan's holds by the guard: %+v, want %+v", got, want)
	}
	mustSayMD(t, md, want)
	mustSayMD(t, md, "1 held by the policy (guard large_vm: 1 VM, first "+want+")")
}

// heldBy is the plan's count of the VMs a policy rule held, with its
// example; zero if the rule held none.
func heldBy(p *balancer.Plan, rule string) balancer.HeldRule {
	for _, h := range p.Held.Rules {
		if h.Rule == rule {
			return h
		}
	}
	return balancer.HeldRule{}
}

// TestGuardHostCapacity: with at most 3 VMs a host, 2 on the host group
// small (HV03), the evacuation of HV04's five VMs and the two pins fill
// the hosts to their caps and no further: no destination ends above its
// cap, the requests left are refused by the guard, and the report says so.
func TestGuardHostCapacity(t *testing.T) {
	plan, md := planGuards(t, map[string]any{
		"host_groups": map[string]any{"small": []string{"HV03"}},
		"guards": map[string]any{"host_capacity": map[string]any{
			"max_vms": 3,
			"groups":  map[string]any{"small": map[string]any{"max_vms": 2}},
		}},
	})
	caps := map[string]int{"HV01": 3, "HV02": 3, "HV03": 2}
	moved := 0
	for _, h := range plan.Hosts {
		if h.In > 0 && h.VMsAfter > caps[h.Name] {
			t.Errorf("%s holds %d VMs after the plan, its cap is %d", h.Name, h.VMsAfter, caps[h.Name])
		}
		moved += h.In
	}
	// Room: HV01 none (3 of 3), HV02 two, HV03 one: three of the seven
	// requests (five evacuations, two pins) can be met.
	if moved != 3 {
		t.Errorf("%d VMs moved, want 3 (the room under the caps): %+v", moved, plan.Moves)
	}
	unmet := 0
	for _, u := range plan.Unmet {
		unmet += u.Count
	}
	if unmet != 4 {
		t.Errorf("%d requests unmet, want 4: %+v", unmet, plan.Unmet)
	}
	got := guardRejections(plan, "guard host_capacity")
	if len(got) == 0 {
		t.Fatalf("no rejection names the guard; rejected: %+v", plan.Rejected)
	}
	for _, r := range got {
		if !strings.Contains(r, "VMs (limit 3)") && !strings.Contains(r, "HV03 would hold 3 VMs (limit 2)") {
			t.Errorf("a rejection of the guard with another limit: %s", r)
		}
	}
	mustSayMD(t, md, "guard host_capacity: ")
}

// TestGuardTenantHosts: HV03 is reserved for tenant acme, confined to it.
// The evacuation of HV04 sends acme's VM to HV03 and every other VM
// elsewhere, though HV03, nearly empty, is where the planner would send
// them; the plan and its report name the guard that kept them off it.
func TestGuardTenantHosts(t *testing.T) {
	plan, md := planGuards(t, map[string]any{
		"host_groups": map[string]any{"acme-hosts": []string{"HV03"}},
		"guards": map[string]any{"tenant_hosts": map[string]any{
			"acme-hosts": map[string]any{"tenant": "acme", "confine": true},
		}},
	})
	moves := movesByName(plan)
	if m := moves["acme-evac"]; m.To != "HV03" {
		t.Errorf("acme-evac goes to %q, want HV03, the only host of its tenant", m.To)
	}
	for _, m := range plan.Moves {
		if m.To == "HV03" && m.VMName != "acme-evac" {
			t.Errorf("%s, not of tenant acme, moves to HV03", m.VMName)
		}
	}
	for _, name := range []string{"evac-01", "evac-02", "evac-03", "big-evac"} {
		if m := moves[name]; m.From != "HV04" {
			t.Errorf("%s is not evacuated: %+v", name, m)
		}
	}
	const want = "guard tenant_hosts: HV03 is reserved for tenant acme (host group acme-hosts)"
	if got := guardRejections(plan, want); len(got) == 0 {
		t.Errorf("no rejection names the guard; rejections: %q", guardRejections(plan, ""))
	}
	mustSayMD(t, md, want)
}

// relayRule is a policy rule of the test's own: it asks to move roamer
// from HV01 to HV02 and from HV02 on to HV03, and, once roamer has left
// HV01, steady from HV02 to HV03.
const relayRule = `package hvbalancer

requests contains {"vm": id, "to": to, "reason": sprintf("relay %s to %s", [vm.name, to]), "priority": 60, "kind": "relay"} if {
	some id, vm in input.fleet.vms
	vm.name == "roamer"
	to := {"HV01": "HV02", "HV02": "HV03"}[vm.host]
}

requests contains {"vm": id, "to": "HV03", "reason": "relay steady to HV03", "priority": 60, "kind": "relay"} if {
	some id, vm in input.fleet.vms
	vm.name == "steady"
	vm.host == "HV02"
	some roamer in input.fleet.vms
	roamer.name == "roamer"
	roamer.host != "HV01"
}
`

// TestGuardMoveCap runs the daemon (full automation, no cooldown, no
// balancing) with
// guards.move_cap.max_moves_per_day 1 and the relay rule: the first plan
// moves roamer to HV02 on the fleet; the next asks to move it on to HV03
// and steady too. From the journal, through the policy's history, roamer
// has moved once today: the guard holds it for the plan (its request
// refused with the guard's reason, the hold counted under the guard's name
// in the plan and its report), while steady, which has not moved, goes.
func TestGuardMoveCap(t *testing.T) {
	spec, err := sim.ParseFleet([]byte(`name: move-cap
seed: 22
start: 2026-01-05T10:00:00Z
speed: 10
hosts:
  - {name: HV01, logical_processors: 64, memory_gib: 512}
  - {name: HV02, logical_processors: 64, memory_gib: 512}
  - {name: HV03, logical_processors: 64, memory_gib: 512}
vms:
  - {name: roamer, host: HV01, cpus: 2, memory_gib: 4, load: {cpu: 0.2}}
  - {name: steady, host: HV02, cpus: 2, memory_gib: 4, load: {cpu: 0.2}}
  - {name: anchor, host: HV03, cpus: 2, memory_gib: 4, load: {cpu: 0.2}}
`))
	if err != nil {
		t.Fatal(err)
	}
	srv := serveFleet(t, spec)
	cfg := standaloneConfig(t, srv, spec, "full", nil, `planner: {max_moves: 10, cooldown: 0s}
executor: {max_concurrent: 2, migrations_per_minute: 600, burst: 10, drain_timeout: 30s}
`)
	// Aggressiveness 1, by day and by night: the policy's requests only, so
	// that no balancing move of steady or roamer counts against the cap.
	policies := shippedPolicy(t, map[string]any{
		"config":         map[string]any{"aggressiveness": 1},
		"business_hours": map[string]any{"config": map[string]any{"aggressiveness": 1}},
		"guards":         map[string]any{"move_cap": map[string]any{"max_moves_per_day": 1}},
	})
	if err := os.WriteFile(filepath.Join(policies, "relay.rego"), []byte(relayRule), 0o644); err != nil {
		t.Fatal(err)
	}
	usePolicy(t, cfg, policies)
	rewriteConfig(t, cfg, "round_interval: 1h", "round_interval: 1s")
	d, _ := startWatchedDaemon(t, cfg)

	on := func(name string) string {
		for _, h := range []string{"HV01", "HV02", "HV03"} {
			for _, v := range srv.Fleet().VMs(h) {
				if v.Name == name {
					return h
				}
			}
		}
		return ""
	}
	eventually(t, "steady to reach HV03 (after roamer reached HV02)", func() bool { return on("steady") == "HV03" })
	if h := on("roamer"); h != "HV02" {
		t.Fatalf("roamer is on %s, want HV02: it moved once, then the guard held it", h)
	}
	// The plan that moved steady, from the journal.
	var hist struct {
		Entries []struct {
			PlanID string `json:"plan_id"`
			VMName string `json:"vm_name"`
			To     string `json:"to"`
			State  string `json:"state"`
		} `json:"entries"`
	}
	getJSON(t, d.url+"/api/v1/history?limit=100", &hist)
	planID, roamerMoves := "", 0
	for _, e := range hist.Entries {
		switch {
		case e.VMName == "steady" && e.To == "HV03":
			planID, _, _ = strings.Cut(e.PlanID, "#")
		case e.VMName == "roamer" && e.State == "succeeded":
			roamerMoves++
		}
	}
	if planID == "" || roamerMoves != 1 {
		t.Fatalf("journal: steady's plan %q, roamer moved %d times; want a plan and 1 move: %+v", planID, roamerMoves, hist.Entries)
	}
	var plan balancer.Plan
	getJSON(t, d.url+"/api/v1/plans/"+planID, &plan)
	const want = "roamer: guard move_cap: 1 move in the last 24 hours (limit 1)"
	if got := guardRejections(&plan, "guard move_cap"); len(got) != 1 || !strings.HasSuffix(got[0], want) {
		t.Errorf("rejections by the guard in plan %s: %q, want roamer's %q", planID, got, want)
	}
	resp, err := http.Get(d.url + "/api/v1/plans/" + planID + "/report.md")
	if err != nil {
		t.Fatal(err)
	}
	md, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	mustSayMD(t, string(md), want)
	if got, want := heldBy(&plan, "guard move_cap"), (balancer.HeldRule{Rule: "guard move_cap", VMs: 1, Example: want}); got != want {
		t.Errorf("the plan's holds by the guard: %+v, want %+v", got, want)
	}
	mustSayMD(t, string(md), "1 held by the policy (guard move_cap: 1 VM, first "+want+")")
}
