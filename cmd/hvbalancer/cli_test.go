package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/collector"
)

// hvb runs the command line in-process and returns its exit code and output.
func hvb(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "usage: hvbalancer <command>"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"plan", "--config", "../../examples/sim.yaml"}, 2, "--out is required"},
		{[]string{"plan", "--out", "x"}, 2, "--config is required"},
		{[]string{"plan", "--config", "x.yaml", "--out", "x", "--samples", "0"}, 2, "--samples must be >= 1"},
		{[]string{"policy"}, 2, "policy test DIR"},
		{[]string{"policy", "eval", "--snapshot", "s.json"}, 2, "give --snapshot and one of --policy or --config"},
		{[]string{"check", "--config", "internal/config/testdata/config/invalid-many.yaml"}, 1, "planner.weights: cpu and memory weights cannot both be 0"},
		{[]string{"version"}, 0, "hvbalancer "},
		{[]string{"plan", "--config", "../../examples/sim.yaml", "--check"}, 0, "examples/sim.yaml: valid (simulated fleet "},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errOut := hvb(t, tc.args...)
			if code != tc.code || !strings.Contains(out+errOut, tc.want) {
				t.Errorf("exit %d, output %q%q; want exit %d containing %q", code, out, errOut, tc.code, tc.want)
			}
		})
	}
}

func TestPolicyTestCommand(t *testing.T) {
	code, out, errOut := hvb(t, "policy", "test", "../../examples/policies")
	if code != 0 || !strings.Contains(out, "PASS") {
		t.Errorf("exit %d: %s%s", code, out, errOut)
	}
}

// TestPlanOnSimulatedFleet is the README's plan command end to end: the demo
// fleet served in-process over WinRM, sampled, judged by the shipped policy.
func TestPlanOnSimulatedFleet(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := hvb(t, "plan", "--config", "../../examples/sim.yaml", "--out", dir, "--samples", "2", "--every", "200ms")
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, out, errOut)
	}
	plan, snap := readPlanDir(t, dir)
	if len(plan.Moves) == 0 {
		t.Fatalf("no moves for the demo fleet:\n%s", out)
	}
	checkPlanAgainstSnapshot(t, plan, snap)
	for _, name := range []string{"plan.md", "plan.html", "plan.sig"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || len(b) == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
	if !strings.Contains(out, "wrote "+filepath.Join(dir, "plan.{json,md,html,sig}")+", signed by key ") {
		t.Errorf("summary does not say where the plan is:\n%s", out)
	}
}

func TestPlanFromSnapshotIsDeterministic(t *testing.T) {
	dir := t.TempDir()
	snapPath := filepath.Join(dir, "snap.json")
	if code, out, errOut := hvb(t, "snapshot", "--config", "../../examples/sim.yaml", "--out", snapPath, "--samples", "2", "--every", "100ms"); code != 0 {
		t.Fatalf("snapshot: exit %d: %s%s", code, out, errOut)
	}
	var plans [2][]byte
	for i := range plans {
		out := filepath.Join(dir, "run", string(rune('a'+i)))
		if code, o, e := hvb(t, "plan", "--config", "../../examples/sim.yaml", "--snapshot", snapPath, "--out", out); code != 0 {
			t.Fatalf("plan: exit %d: %s%s", code, o, e)
		}
		var err error
		if plans[i], err = os.ReadFile(filepath.Join(out, "plan.json")); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(plans[0], plans[1]) {
		t.Error("two plans from one snapshot and policy differ")
	}
	code, out, errOut := hvb(t, "policy", "eval", "--config", "../../examples/sim.yaml", "--snapshot", snapPath)
	if code != 0 || !strings.Contains(out, `"policy_digest": "sha256:`) {
		t.Errorf("policy eval: exit %d: %s%s", code, out, errOut)
	}
}

// readPlanDir reads the plan and the snapshot that hvbalancer plan --out
// wrote into dir.
func readPlanDir(t *testing.T, dir string) (*balancer.Plan, *collector.Snapshot) {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "plan.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	plan, err := balancer.ReadPlan(f)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := collector.LoadSnapshot(filepath.Join(dir, "snapshot.json"))
	if err != nil {
		t.Fatal(err)
	}
	return plan, snap
}
