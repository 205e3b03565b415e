package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/hvbalancer/hvbalancer/balancer"
)

// The end-to-end tests' copies of the shipped policy, the configurations
// pointed at them, and what they read back from a plan.

// shippedPolicyDir is the shipped policy, from this package's directory.
const shippedPolicyDir = "../../examples/policies"

// shippedPolicy copies the shipped policy (every file of examples/policies)
// into a new directory and lays settings over the hvbalancer_settings of
// its data.yaml, key by key: a key named replaces the shipped value whole,
// the others keep theirs. A key the shipped settings lack fails the test,
// so that a renamed setting cannot leave a test's rule silently off. With
// no settings the copy is the shipped policy as it is.
func shippedPolicy(t *testing.T, settings map[string]any) string {
	t.Helper()
	dir := t.TempDir()
	shipped, err := filepath.Glob(shippedPolicyDir + "/*")
	if err != nil || len(shipped) == 0 {
		t.Fatalf("shipped policies: %v", err)
	}
	for _, p := range shipped {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Base(p) == "data.yaml" && len(settings) > 0 {
			b = laySettings(t, b, settings)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(p)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// laySettings returns data.yaml's text b with settings laid over its
// hvbalancer_settings (see shippedPolicy).
func laySettings(t *testing.T, b []byte, settings map[string]any) []byte {
	t.Helper()
	var data map[string]map[string]any
	if err := yaml.Unmarshal(b, &data); err != nil {
		t.Fatalf("the shipped data.yaml: %v", err)
	}
	shipped := data["hvbalancer_settings"]
	for k, v := range settings {
		if _, ok := shipped[k]; !ok {
			t.Fatalf("the shipped data.yaml has no setting %q to lay over", k)
		}
		shipped[k] = v
	}
	out, err := yaml.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// usePolicy points the configuration at cfgPath, written for the shipped
// policy, at the policy in dir; a configuration without the shipped
// policy's line fails the test.
func usePolicy(t *testing.T, cfgPath, dir string) {
	t.Helper()
	abs, err := filepath.Abs(shippedPolicyDir)
	if err != nil {
		t.Fatal(err)
	}
	rewriteConfig(t, cfgPath, "policy: {dir: "+abs+"}", "policy: {dir: "+dir+"}")
}

// hostRules are the settings of the VM-host rules given over the host
// groups given, to lay over the shipped policy's (see shippedPolicy).
func hostRules(groups map[string]any, rules ...map[string]any) map[string]any {
	return map[string]any{"host_groups": groups, "vm_host_rules": rules}
}

// hostRule is one VM-host rule: name, for the VMs tagged tag, of type typ
// over host group group, with its penalty when a should rule.
func hostRule(name, tag, group, typ string, penalty float64) map[string]any {
	r := map[string]any{"name": name, "vms": map[string]any{"tag": tag}, "hosts": group, "type": typ}
	if penalty != 0 {
		r["penalty"] = penalty
	}
	return r
}

// allDayBusinessHours makes every minute of the week business hours, so
// that a test does not depend on the day it runs, without the smaller
// max_moves the shipped business hours set.
var allDayBusinessHours = map[string]any{
	"days":   []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"},
	"start":  "00:00",
	"end":    "24:00",
	"config": map[string]any{"max_moves": 10, "aggressiveness": 3},
}

// rejected lists the plan's rejected candidates, those kept with a move
// and the plan's own.
func rejected(plan *balancer.Plan) []balancer.Rejection {
	var out []balancer.Rejection
	for _, m := range plan.Moves {
		out = append(out, m.Rejected...)
	}
	return append(out, plan.Rejected...)
}

// mustSayMD fails the test unless the Markdown report md, read without its
// backslash escapes, says text.
func mustSayMD(t *testing.T, md, text string) {
	t.Helper()
	if !strings.Contains(strings.ReplaceAll(md, `\`, ""), text) {
		t.Errorf("plan.md does not say %q:\n%s", text, md)
	}
}
