package policy

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func ptr[T any](v T) *T { return &v }

func TestConfigDecoding(t *testing.T) {
	tests := []struct {
		name    string
		rule    string
		want    Settings
		wantErr string
	}{{
		name: "undefined leaves everything to the planner",
		rule: `config := {} if false`,
	}, {
		name: "every key",
		rule: `config := {"cpu_high": 70, "memory_high": 80.5, "target_spread": 4, "max_moves": 3, "aggressiveness": 2,
			"cpu_weight": 1, "memory_weight": 0.5, "migration_cost_weight": 0}`,
		want: Settings{CPUHigh: ptr(70.0), MemoryHigh: ptr(80.5), TargetSpread: ptr(4.0), MaxMoves: ptr(3), Aggressiveness: ptr(2),
			CPUWeight: ptr(1.0), MemoryWeight: ptr(0.5), MigrationCostWeight: ptr(0.0)},
	}, {
		name: "null leaves the configured value",
		rule: `config := {"cpu_high": null, "max_moves": 4}`,
		want: Settings{MaxMoves: ptr(4)},
	}, {
		name:    "unknown keys are named",
		rule:    `config := {"cpu_hgih": 70, "max_move": 3, "memory_high": 80}`,
		wantErr: `begin session: config: unknown key "cpu_hgih", "max_move" (known: cpu_high, memory_high, target_spread, max_moves, aggressiveness, cpu_weight, memory_weight, migration_cost_weight, reasons)`,
	}, {
		name: "reasons name the rule that set a key",
		rule: `config := {"max_moves": 3, "reasons": {"max_moves": "business hours", "aggressiveness": null}}`,
		want: Settings{MaxMoves: ptr(3), Reasons: map[string]string{"max_moves": "business hours"}},
	}, {
		name:    "reasons for no setting, or not words",
		rule:    `config := {"max_moves": 3, "reasons": {"max_move": "typo", "cpu_high": 1, "reasons": "x"}}`,
		wantErr: "begin session: config: reasons: cpu_high is the number 1, want a string\nconfig: reasons: \"max_move\" is not a setting\nconfig: reasons: \"reasons\" is not a setting",
	}, {
		name:    "reasons not an object",
		rule:    `config := {"reasons": ["max_moves"]}`,
		wantErr: `begin session: config: reasons is the array ["max_moves"], want an object of strings by setting`,
	}, {
		name:    "not an object",
		rule:    `config := ["cpu_high", 70]`,
		wantErr: `begin session: config is a array, want an object`,
	}, {
		name:    "wrong types",
		rule:    `config := {"max_moves": 2.5, "cpu_high": "75"}`,
		wantErr: "begin session: config: cpu_high is the string \"75\", want a number\nconfig: max_moves is the number 2.5, want an integer",
	}, {
		name:    "out of range",
		rule:    `config := {"cpu_high": 0, "memory_high": 120, "aggressiveness": 6, "max_moves": -1, "cpu_weight": -2}`,
		wantErr: "begin session: config: cpu_high 0 is not a percentage in (0, 100]\nconfig: memory_high 120 is not a percentage in (0, 100]\nconfig: cpu_weight -2 is negative\nconfig: max_moves -1 is negative\nconfig: aggressiveness 6 is not in 1..5",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := mustLoad(t, Options{Dir: writePolicy(t, map[string]string{"p.rego": "package hvbalancer\n\n" + tc.rule + "\n"})})
			r, err := e.Begin(context.Background(), emptyInput())
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("Begin error = %v\nwant %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Begin: %v", err)
			}
			if diff := cmp.Diff(tc.want, r.Settings()); diff != "" {
				t.Errorf("Settings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRequestsDecoding(t *testing.T) {
	tests := []struct {
		name    string
		rule    string
		want    []Request
		wantErr string
	}{{
		name: "sorted by priority, vm, to",
		rule: `requests := {
			{"vm": "vm1", "reason": "b", "priority": 10},
			{"vm": "vm1", "to": "HV02", "reason": "a", "priority": 10},
			{"vm": "vm2", "reason": "c", "priority": 100},
			{"vm": "vm1", "reason": "d"},
		}`,
		want: []Request{
			{VM: "vm2", Reason: "c", Priority: 100},
			{VM: "vm1", Reason: "b", Priority: 10},
			{VM: "vm1", To: "HV02", Reason: "a", Priority: 10},
			{VM: "vm1", Reason: "d"},
		},
	}, {
		name: "invalid entries are all listed",
		rule: `requests := {{"vm": "nope", "reason": "x", "priority": 1}, {"vm": "vm1", "to": "HV99", "reason": "y"}, {"vm": "vm2", "priority": 1.5, "prio": 3}, "vm1"}`,
		wantErr: "begin session: requests: \"vm1\": is a string, want an object\n" +
			"requests: {\"prio\":3,\"priority\":1.5,\"vm\":\"vm2\"}: unknown key \"prio\" (known: vm, to, reason, priority, kind); priority is the number 1.5, want an integer; no reason\n" +
			"requests: {\"priority\":1,\"reason\":\"x\",\"vm\":\"nope\"}: vm \"nope\" is not a VM in the fleet\n" +
			"requests: {\"reason\":\"y\",\"to\":\"HV99\",\"vm\":\"vm1\"}: to \"HV99\" is not a host in the fleet",
	}, {
		name:    "not a set",
		rule:    `requests := "vm1"`,
		wantErr: "begin session: requests is a string, want a set of objects",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := emptyInput()
			in.Fleet.VMs["vm2"] = VM{Name: "two", Host: "HV02", State: "Running"}
			e := mustLoad(t, Options{Dir: writePolicy(t, map[string]string{"p.rego": "package hvbalancer\n\n" + tc.rule + "\n"})})
			r, err := e.Begin(context.Background(), in)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("Begin error = %v\nwant %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Begin: %v", err)
			}
			if diff := cmp.Diff(tc.want, r.Requests()); diff != "" {
				t.Errorf("Requests (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFrozen(t *testing.T) {
	e := mustLoad(t, Options{Dir: writePolicy(t, map[string]string{"p.rego": "package hvbalancer\n\nfrozen contains \"vm1\"\n"})})
	r := mustBegin(t, e, emptyInput())
	if !r.Frozen("vm1") || r.Frozen("vm2") {
		t.Errorf("Frozen(vm1), Frozen(vm2) = %v, %v; want true, false", r.Frozen("vm1"), r.Frozen("vm2"))
	}
	e = mustLoad(t, Options{Dir: writePolicy(t, map[string]string{"p.rego": "package hvbalancer\n\nfrozen contains 1\n"})})
	_, err := e.Begin(context.Background(), emptyInput())
	if want := "begin session: frozen holds the number 1, want strings only"; err == nil || err.Error() != want {
		t.Errorf("Begin = %v, want %s", err, want)
	}
}

func TestBeginErrors(t *testing.T) {
	e := mustLoad(t, Options{Dir: writePolicy(t, map[string]string{"p.rego": "package hvbalancer\n\nconfig := {\"max_moves\": 1}\nconfig := {\"max_moves\": 2} if input.now != \"\"\n"})})
	_, err := e.Begin(context.Background(), emptyInput())
	if err == nil || !strings.Contains(err.Error(), "p.rego:4: eval_conflict_error: rule data.hvbalancer.config produced conflicting values") {
		t.Errorf("Begin with conflicting config = %v, want an eval_conflict_error", err)
	}
	in := emptyInput()
	h := in.Fleet.Hosts["HV01"]
	h.CPU.Mean = inf()
	in.Fleet.Hosts["HV01"] = h
	_, err = mustLoad(t, Options{Dir: examplesDir}).Begin(context.Background(), in)
	if want := "begin session: input: host HV01: cpu: mean: +Inf is not a finite number"; err == nil || err.Error() != want {
		t.Errorf("Begin with an infinite load = %v, want %s", err, want)
	}
}

func TestHeld(t *testing.T) {
	e := mustLoad(t, Options{Dir: writePolicy(t, map[string]string{"p.rego": `package hvbalancer

held["vm1"]["guard b"] := "vm1: guard b: two"

held["vm1"]["guard a"] := "vm1: guard a: one"
`})})
	r := mustBegin(t, e, emptyInput())
	want := []Hold{{Rule: "guard a", Reason: "vm1: guard a: one"}, {Rule: "guard b", Reason: "vm1: guard b: two"}}
	if diff := cmp.Diff(want, r.Held("vm1")); diff != "" {
		t.Errorf("Held(vm1) (-want +got):\n%s", diff)
	}
	if got := r.Held("vm2"); got != nil {
		t.Errorf("Held(vm2) = %v, want none", got)
	}
	for _, tc := range []struct{ rule, want string }{
		{`held := {"vm1"}`, `begin session: held is the array ["vm1"], want an object of VM IDs to objects of rule names to reasons`},
		{`held := {"vm1": "guard a"}`, `begin session: held["vm1"] is the string "guard a", want an object of rule names to reasons`},
		{`held := {"vm1": {"guard a": 3}}`, `begin session: held["vm1"]["guard a"] is the number 3, want a rule named and a reason (a string)`},
	} {
		e := mustLoad(t, Options{Dir: writePolicy(t, map[string]string{"p.rego": "package hvbalancer\n\n" + tc.rule + "\n"})})
		if _, err := e.Begin(context.Background(), emptyInput()); err == nil || err.Error() != tc.want {
			t.Errorf("Begin with %s = %v\nwant %s", tc.rule, err, tc.want)
		}
	}
}

// TestHeldByTheShippedGuards: the shipped policy holds a VM at its move
// cap for the session with the message its deny gives each of its moves.
func TestHeldByTheShippedGuards(t *testing.T) {
	dir := copyDir(t, examplesDir)
	data := "hvbalancer_settings:\n  guards:\n    move_cap:\n      max_moves_per_day: 2\n"
	if err := os.WriteFile(filepath.Join(dir, "data.yaml"), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	e := mustLoad(t, Options{Dir: dir})
	in := goldenInput()
	id := sortedKeys(in.Fleet.VMs)[0]
	in.History.MovesByVM = map[string]int{id: 2}
	r := mustBegin(t, e, in)
	held := r.Held(id)
	if len(held) != 1 || held[0].Rule != "guard move_cap" {
		t.Fatalf("Held(%s) = %v, want one hold by guard move_cap", id, held)
	}
	to := ""
	for _, name := range sortedKeys(in.Fleet.Hosts) {
		if name != in.Fleet.VMs[id].Host {
			to = name
			break
		}
	}
	m := Move{VM: id, From: in.Fleet.VMs[id].Host, To: to}
	v, err := r.Judge(context.Background(), m, project(in, m))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(v.Deny, held[0].Reason) {
		t.Errorf("Judge(%v).Deny = %v, want the hold's reason %q among them", m, v.Deny, held[0].Reason)
	}
	for _, other := range sortedKeys(in.Fleet.VMs)[1:] {
		if h := r.Held(other); h != nil {
			t.Errorf("Held(%s) = %v, want none", other, h)
		}
	}
}
