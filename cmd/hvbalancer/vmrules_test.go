package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/policy"
)

// The shipped policy's VM-VM affinity and VM-host rules end to end: a
// simulated fleet served over WinRM on 127.0.0.1, sampled and planned by
// `hvbalancer plan` with a copy of examples/policies whose data.yaml turns
// the rules on, the plan and its reports read back as written.

// rulesFleetHead is a fleet file's top: four hosts of 16 logical processors
// and 128 GiB, on a Saturday night (no business hours), then the hosts'
// label lines (one per host, HV01 first) and the VMs.
const rulesFleetHead = `name: rules
seed: 14
start: 2026-01-10T02:00:00Z
speed: 60
hosts:
`

// rulesFleet writes a fleet file with the hosts' extra lines (labels) and
// the VMs given, and returns its path.
func rulesFleet(t *testing.T, dir string, hostExtra [4]string, vms string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(rulesFleetHead)
	for i, name := range []string{"HV01", "HV02", "HV03", "HV04"} {
		b.WriteString("  - {name: " + name + ", logical_processors: 16, memory_gib: 128" + hostExtra[i] + "}\n")
	}
	b.WriteString("vms:\n")
	b.WriteString(vms)
	path := filepath.Join(dir, "fleet.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// rulesConfig writes a configuration that serves fleet with the policy in
// policyDir and returns its path.
func rulesConfig(t *testing.T, dir, fleet, policyDir string) string {
	t.Helper()
	return writeConfig(t, dir, `version: 1
time_zone: UTC
state_dir: state
simulator: {fleet: `+fleet+`, speed: 60}
http: {listen: "127.0.0.1:0"}
automation: manual
collector: {interval: 200ms, window: 2s, stale_after: 10s}
policy: {dir: `+policyDir+`}
planner: {aggressiveness: 3, max_moves: 10}
`)
}

// planRules plans the fleet of cfg (or, with a snapshot, that snapshot)
// into dir/name and returns the plan, the snapshot it was made from and
// its Markdown and HTML reports.
func planRules(t *testing.T, cfg, snapshot, dir, name string) (*balancer.Plan, *collector.Snapshot, string, string) {
	t.Helper()
	out := filepath.Join(dir, name)
	args := []string{"plan", "--config", cfg, "--out", out}
	if snapshot != "" {
		args = append(args, "--snapshot", snapshot)
	} else {
		args = append(args, "--samples", "2", "--every", "200ms")
	}
	if code, o, e := hvb(t, args...); code != 0 {
		t.Fatalf("plan: exit %d: %s%s", code, o, e)
	}
	plan, snap := readPlanDir(t, out)
	var reports [2]string
	for i, f := range []string{"plan.md", "plan.html"} {
		b, err := os.ReadFile(filepath.Join(out, f))
		if err != nil {
			t.Fatal(err)
		}
		reports[i] = string(b)
	}
	return plan, snap, reports[0], reports[1]
}

// placeNew places a new VM of 2 virtual processors and 4 GiB named new01,
// with tags, on the snapshot as the daemon's POST /api/v1/place does: a
// session of the policy in policyDir begun with the VM added.
func placeNew(t *testing.T, snap *collector.Snapshot, policyDir string, tags map[string]string) *balancer.Placement {
	t.Helper()
	engine, err := policy.Load(policy.Options{Dir: policyDir})
	if err != nil {
		t.Fatal(err)
	}
	req := balancer.PlaceRequest{Name: "new01", CPUs: 2, MemoryBytes: 4 << 30, CPULoad: 10, Tags: tags}
	session, err := engine.Begin(context.Background(), balancer.PlacementInput(snap, policy.History{}, time.UTC, &req))
	if err != nil {
		t.Fatal(err)
	}
	p, err := balancer.Place(context.Background(), snap, balancer.DefaultConfig(), session, req)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// placeRefused checks that placement refused host for the policy, with a
// deny message starting with want.
func placeRefused(t *testing.T, p *balancer.Placement, host, want string) {
	t.Helper()
	for _, r := range p.Refused {
		if r.Host == host {
			if r.Reason != balancer.PlacePolicy || !slices.ContainsFunc(r.Deny, func(m string) bool { return strings.HasPrefix(m, want) }) {
				t.Errorf("placement refuses %s with %+v, want the policy's %q", host, r, want)
			}
			return
		}
	}
	t.Errorf("placement does not refuse %s (ranked %+v)", host, p.Ranked)
}

// rankedNames lists the hosts placement ranked, best first.
func rankedNames(p *balancer.Placement) []string {
	var out []string
	for _, c := range p.Ranked {
		out = append(out, c.Host)
	}
	return out
}

// placed maps each VM's name to its host after the plan's moves.
func placed(plan *balancer.Plan, snap *collector.Snapshot) map[string]string {
	at := map[string]string{}
	for _, vm := range snap.VMs {
		at[vm.Name] = vm.Host
	}
	for _, m := range plan.Moves {
		at[m.VMName] = m.To
	}
	return at
}

// rejections lists every message of the plan's rejected candidates, those
// kept with a move and those of the plan.
func rejections(plan *balancer.Plan) []string {
	var out []string
	for _, r := range rejected(plan) {
		out = append(out, r.Messages...)
	}
	return out
}

// mustReject returns the first rejection message containing want, failing
// the test if there is none.
func mustReject(t *testing.T, plan *balancer.Plan, want string) string {
	t.Helper()
	for _, m := range rejections(plan) {
		if strings.Contains(m, want) {
			return m
		}
	}
	t.Fatalf("no rejection says %q; rejections: %q", want, rejections(plan))
	return ""
}

// mustReport fails the test unless both reports hold text (the Markdown
// one read without its backslash escapes, the HTML one with the characters
// html/template escapes escaped).
func mustReport(t *testing.T, md, html, text string) {
	t.Helper()
	mustSayMD(t, md, text)
	esc := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "'", "&#39;", `"`, "&#34;").Replace(text)
	if !strings.Contains(html, esc) {
		t.Errorf("plan.html does not say %q", esc)
	}
}

// TestAffinityInThePlan proves the VM-VM affinity rule through the
// planner and placement: HV01 is hot, and its two busiest VMs, app01 and db01, keep
// together (together=app1): the planner's best moves, sending either away,
// are refused by the rule, which the reports name, and another VM relieves
// HV01. The split group crm (web01 on HV02, the smaller web02 on HV03) is
// brought together by a request moving web02 to HV02. The split group erp
// cannot be: its largest VM's host HV04 has no memory left for erp02, so
// the repair is refused by the destination rule and counted unmet under
// its kind.
func TestAffinityInThePlan(t *testing.T) {
	dir := t.TempDir()
	fleet := rulesFleet(t, dir, [4]string{}, `  - {name: app01, host: HV01, cpus: 8, memory_gib: 16, notes: "together=app1", load: {cpu: 0.9}}
  - {name: db01, host: HV01, cpus: 4, memory_gib: 16, notes: "together=App1", load: {cpu: 0.9}}
  - {name: x01, host: HV01, cpus: 4, memory_gib: 8, load: {cpu: 0.6}}
  - {name: web01, host: HV02, cpus: 2, memory_gib: 16, notes: "together=crm", load: {cpu: 0.2}}
  - {name: web02, host: HV03, cpus: 2, memory_gib: 4, notes: "together=crm", load: {cpu: 0.2}}
  - {name: erp01, host: HV04, cpus: 4, memory_gib: 100, notes: "together=erp", load: {cpu: 0.2}}
  - {name: erp02, host: HV03, cpus: 2, memory_gib: 16, notes: "together=erp", load: {cpu: 0.2}}
`)
	pol := shippedPolicy(t, map[string]any{"vm_affinity": map[string]any{"enabled": true, "tag": "together"}})
	plan, snap, md, html := planRules(t, rulesConfig(t, dir, fleet, pol), "", dir, "plan")

	at := placed(plan, snap)
	if at["app01"] != at["db01"] || at["web01"] != at["web02"] {
		t.Errorf("groups split after the plan: app01 %s, db01 %s, web01 %s, web02 %s", at["app01"], at["db01"], at["web01"], at["web02"])
	}
	var repair *balancer.Move
	for i, m := range plan.Moves {
		if m.VMName == "web02" {
			repair = &plan.Moves[i]
		}
		if m.VMName == "app01" || m.VMName == "db01" {
			t.Errorf("%s moves %s → %s away from its group", m.VMName, m.From, m.To)
		}
	}
	if repair == nil || repair.To != "HV02" || repair.Trigger != balancer.TriggerRequest ||
		repair.Reason != "web02: affinity together=crm with web01 on HV02" {
		t.Errorf("web02 is not brought to web01: %+v", repair)
	}
	if at["x01"] == "HV01" {
		t.Errorf("nothing relieves HV01: moves %+v", plan.Moves)
	}
	denied := mustReject(t, plan, "affinity together=app1 keeps it with ")
	mustReport(t, md, html, denied)

	unmet := false
	for _, u := range plan.Unmet {
		if u.Kind == "affinity together=erp" && u.Count == 1 {
			unmet = true
		}
	}
	if !unmet || at["erp02"] != "HV03" {
		t.Errorf("erp02's repair is not unmet (erp02 on %s): %+v", at["erp02"], plan.Unmet)
	}
	mustReport(t, md, html, "affinity together=erp")
	refused := mustReject(t, plan, "requested (erp02: affinity together=erp with erp01 on HV04), but host HV04 memory")
	mustReport(t, md, html, refused)

	// A new VM of group app1 may go only with app01 and db01, to HV01,
	// which is too busy for it before the plan: no host is left.
	p := placeNew(t, snap, pol, map[string]string{"together": "app1"})
	if len(p.Ranked) != 0 {
		t.Errorf("a new VM of app1 is ranked on %v", rankedNames(p))
	}
	for _, h := range []string{"HV02", "HV03", "HV04"} {
		placeRefused(t, p, h, "new01: affinity together=app1 keeps it with app01, db01; "+h+" holds none of them")
	}
	// One of group crm, split over HV02 and HV03 before the plan, goes to
	// either.
	p = placeNew(t, snap, pol, map[string]string{"together": "CRM"})
	if got := rankedNames(p); !slices.Equal(slices.Sorted(slices.Values(got)), []string{"HV02", "HV03"}) {
		t.Errorf("a new VM of crm is ranked on %v, want HV02 and HV03 (web01's and web02's hosts)", got)
	}
}

// TestVMHostMustRulesInThePlan proves the must rules through the planner,
// with a host group by label (gpu=yes: HV01 and HV02): HV01 is hot with two
// busy role=gpu VMs that must run on the group, and a role=web VM that
// must not. The planner's best moves for the gpu VMs, to the idle HV03
// and HV04, are refused by rule gpu-on-gpu, named in the reports; no gpu VM
// leaves the group and no web VM enters it. gpu03, found on HV03, and
// web02, found on HV02, break the rules and are asked to move: both do, to
// hosts the rules allow.
func TestVMHostMustRulesInThePlan(t *testing.T) {
	dir := t.TempDir()
	gpu := ", labels: {gpu: \"yes\"}"
	fleet := rulesFleet(t, dir, [4]string{gpu, gpu, "", ""}, `  - {name: gpu01, host: HV01, cpus: 8, memory_gib: 16, notes: "role=gpu", load: {cpu: 0.9}}
  - {name: gpu02, host: HV01, cpus: 4, memory_gib: 16, notes: "role=GPU", load: {cpu: 0.9}}
  - {name: web01, host: HV01, cpus: 2, memory_gib: 8, notes: "role=web", load: {cpu: 0.5}}
  - {name: gpu03, host: HV03, cpus: 2, memory_gib: 8, notes: "role=gpu", load: {cpu: 0.2}}
  - {name: web02, host: HV02, cpus: 2, memory_gib: 8, notes: "role=web", load: {cpu: 0.2}}
  - {name: base02, host: HV02, cpus: 4, memory_gib: 16, load: {cpu: 0.3}}
`)
	pol := shippedPolicy(t, hostRules(map[string]any{"gpu": map[string]any{"label": map[string]any{"gpu": "yes"}}},
		hostRule("gpu-on-gpu", "role=gpu", "gpu", "must_run_on", 0),
		hostRule("web-off-gpu", "role=web", "gpu", "must_not_run_on", 0)))
	plan, snap, md, html := planRules(t, rulesConfig(t, dir, fleet, pol), "", dir, "plan")

	at := placed(plan, snap)
	for _, vm := range []string{"gpu01", "gpu02", "gpu03"} {
		if at[vm] != "HV01" && at[vm] != "HV02" {
			t.Errorf("%s ends on %s, outside host group gpu", vm, at[vm])
		}
	}
	for _, vm := range []string{"web01", "web02"} {
		if at[vm] == "HV01" || at[vm] == "HV02" {
			t.Errorf("%s ends on %s, in host group gpu", vm, at[vm])
		}
	}
	kinds := map[string]string{}
	for _, m := range plan.Moves {
		if m.Trigger == balancer.TriggerRequest {
			kinds[m.VMName] = m.Reason
		}
	}
	if kinds["gpu03"] != "gpu03: vm_host_rule gpu-on-gpu: must run on host group gpu, is on HV03" ||
		kinds["web02"] != "web02: vm_host_rule web-off-gpu: must not run on host group gpu, is on HV02" {
		t.Errorf("the rules' requests are not among the moves: %q", kinds)
	}
	denied := mustReject(t, plan, "gpu01: vm_host_rule gpu-on-gpu: must run on host group gpu, not HV0")
	mustReport(t, md, html, denied)

	// A new gpu VM is placed only in the group, a new web VM only outside.
	p := placeNew(t, snap, pol, map[string]string{"role": "gpu"})
	for _, h := range rankedNames(p) {
		if h != "HV01" && h != "HV02" {
			t.Errorf("a new gpu VM is ranked on %s", h)
		}
	}
	placeRefused(t, p, "HV03", "new01: vm_host_rule gpu-on-gpu: must run on host group gpu, not HV03")
	p = placeNew(t, snap, pol, map[string]string{"role": "web"})
	if got := rankedNames(p); len(got) == 0 || slices.Contains(got, "HV01") || slices.Contains(got, "HV02") {
		t.Errorf("a new web VM is ranked on %v", got)
	}
	placeRefused(t, p, "HV02", "new01: vm_host_rule web-off-gpu: must not run on host group gpu (HV02)")
}

// TestVMHostShouldRuleInThePlan proves a should rule through the planner:
// from one snapshot, HV01 hot with the busy app01 (its other VM frozen),
// the plan without rules
// sends app01 to the idlest host HV02; with rule app-on-hv03 (role=app
// should run on HV03) the same snapshot sends it to HV03 instead, the
// penalty having made HV02 the dearer host, and no rule refuses anything
// for it. A should rule app01 cannot escape (every host but its hot one
// breaks it) costs its move the penalty, and the reports name the rule
// beside the move.
func TestVMHostShouldRuleInThePlan(t *testing.T) {
	dir := t.TempDir()
	fleet := rulesFleet(t, dir, [4]string{}, `  - {name: app01, host: HV01, cpus: 8, memory_gib: 16, notes: "role=app", load: {cpu: 0.9}}
  - {name: x01, host: HV01, cpus: 4, memory_gib: 8, notes: "hvbalancer=frozen", load: {cpu: 0.9}}
  - {name: x03, host: HV03, cpus: 4, memory_gib: 16, load: {cpu: 0.3}}
  - {name: x04, host: HV04, cpus: 8, memory_gib: 32, load: {cpu: 0.6}}
`)
	off := shippedPolicy(t, nil)
	on := shippedPolicy(t, hostRules(map[string]any{"preferred": []string{"hv03"}},
		hostRule("app-on-hv03", "role=app", "preferred", "should_run_on", 50)))
	snapPath := filepath.Join(dir, "snap.json")
	if code, o, e := hvb(t, "snapshot", "--config", rulesConfig(t, dir, fleet, off), "--out", snapPath, "--samples", "2", "--every", "200ms"); code != 0 {
		t.Fatalf("snapshot: exit %d: %s%s", code, o, e)
	}

	moveOf := func(plan *balancer.Plan) *balancer.Move {
		for i, m := range plan.Moves {
			if m.VMName == "app01" {
				return &plan.Moves[i]
			}
		}
		return nil
	}
	without, _, _, _ := planRules(t, rulesConfig(t, dir, fleet, off), snapPath, dir, "without")
	if m := moveOf(without); m == nil || m.To != "HV02" {
		t.Fatalf("without the rule app01 does not go to HV02: %+v", without.Moves)
	}
	with, _, _, _ := planRules(t, rulesConfig(t, dir, fleet, on), snapPath, dir, "with")
	if m := moveOf(with); m == nil || m.To != "HV03" || m.Penalty != 0 {
		t.Fatalf("with rule app-on-hv03 app01 does not go to HV03 at no penalty: %+v", with.Moves)
	}
	for _, msg := range rejections(with) {
		if strings.Contains(msg, "app-on-hv03") {
			t.Errorf("a should rule refused a move: %s", msg)
		}
	}

	// A should rule that every host but the hot one breaks costs the move
	// its penalty, and the reports name the rule beside the move.
	paid := shippedPolicy(t, hostRules(map[string]any{"others": []string{"HV02", "HV03", "HV04"}},
		hostRule("app-off-others", "role=app", "others", "should_not_run_on", 5)))
	plan, _, md, html := planRules(t, rulesConfig(t, dir, fleet, paid), snapPath, dir, "paid")
	m := moveOf(plan)
	if m == nil || m.Penalty != 5 || len(m.Costs) != 1 || m.Costs["vm_host_rule app-off-others"] != 5 {
		t.Fatalf("app01's move does not carry the rule's cost: %+v", plan.Moves)
	}
	mustReport(t, md, html, "penalty 5 (vm_host_rule app-off-others 5)")

	// A new VM of role app: the rule's penalty ranks HV03 first and costs
	// every other host, none refused.
	snap, err := collector.LoadSnapshot(snapPath)
	if err != nil {
		t.Fatal(err)
	}
	p := placeNew(t, snap, on, map[string]string{"role": "app"})
	if len(p.Ranked) < 2 || p.Ranked[0].Host != "HV03" || p.Ranked[0].Penalty != 0 || p.Ranked[1].Penalty != 50 {
		t.Errorf("a new app VM is ranked %+v, want HV03 first at no penalty, the others at 50", p.Ranked)
	}
	if off := placeNew(t, snap, off, map[string]string{"role": "app"}); len(off.Ranked) == 0 || off.Ranked[0].Host == "HV03" {
		t.Errorf("without the rule HV03 is still first for a new app VM: %+v", off.Ranked)
	}
}
