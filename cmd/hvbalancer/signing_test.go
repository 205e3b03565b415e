package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hvbalancer/hvbalancer/balancer"
)

// TestApplyChecksTheSignature: apply runs a plan only with the signature
// hvbalancer plan wrote beside it, from a key the configuration trusts. A
// plan edited after it was signed is refused even with its digest
// computed again; a CI machine's plans run once its public key is listed.
func TestApplyChecksTheSignature(t *testing.T) {
	cfg := daemonConfig(t, "manual")
	dir := t.TempDir()
	made := filepath.Join(dir, "made")
	if code, o, e := hvb(t, "plan", "--config", cfg, "--out", made, "--samples", "1"); code != 0 || !strings.Contains(o, "signed by key") {
		t.Fatalf("plan: %d %s%s", code, o, e)
	}
	f, err := os.Open(filepath.Join(made, "plan.json"))
	if err != nil {
		t.Fatal(err)
	}
	plan, err := balancer.ReadPlan(f)
	f.Close()
	if err != nil || len(plan.Moves) == 0 {
		t.Fatalf("the plan: %v, %d moves", err, len(plan.Moves))
	}

	// Edited: another destination, the digest computed again, the old
	// signature beside it.
	edited := filepath.Join(dir, "edited")
	os.MkdirAll(edited, 0o755)
	plan.Moves[0].To = plan.Moves[0].From
	w, _ := os.Create(filepath.Join(edited, "plan.json"))
	if err := plan.WriteJSON(w); err != nil {
		t.Fatal(err)
	}
	w.Close()
	sig, _ := os.ReadFile(filepath.Join(made, "plan.sig"))
	os.WriteFile(filepath.Join(edited, "plan.sig"), sig, 0o644)
	code, out, errOut := hvb(t, "apply", "--config", cfg, filepath.Join(edited, "plan.json"))
	if code != 1 || !strings.Contains(errOut, "plan signature does not match") || !strings.Contains(errOut, "the plan's content has digest") {
		t.Errorf("an edited plan with its digest recomputed: exit %d: %s%s", code, out, errOut)
	}

	// Unsigned: the plan alone.
	unsigned := filepath.Join(dir, "unsigned")
	os.MkdirAll(unsigned, 0o755)
	orig, _ := os.ReadFile(filepath.Join(made, "plan.json"))
	os.WriteFile(filepath.Join(unsigned, "plan.json"), orig, 0o644)
	code, out, errOut = hvb(t, "apply", "--config", cfg, filepath.Join(unsigned, "plan.json"))
	if code != 1 || !strings.Contains(errOut, "plan is not signed") || !strings.Contains(errOut, "plan.sig is missing") {
		t.Errorf("an unsigned plan: exit %d: %s%s", code, out, errOut)
	}

	// Another installation's plan (its own state directory, so its own
	// key): refused until its public key is trusted, then run.
	ci := daemonConfig(t, "manual")
	ciPlan := filepath.Join(dir, "ci")
	if code, o, e := hvb(t, "plan", "--config", ci, "--out", ciPlan, "--samples", "1"); code != 0 {
		t.Fatalf("plan on the other installation: %d %s%s", code, o, e)
	}
	code, out, errOut = hvb(t, "apply", "--config", cfg, filepath.Join(ciPlan, "plan.json"))
	if code != 1 || !strings.Contains(errOut, "signed by a key this configuration does not trust") {
		t.Errorf("another installation's plan: exit %d: %s%s", code, out, errOut)
	}
	code, pub, errOut := hvb(t, "key", "--config", ci)
	if code != 0 || !strings.HasPrefix(pub, "-----BEGIN PUBLIC KEY-----") {
		t.Fatalf("key: exit %d: %s%s", code, pub, errOut)
	}
	pubFile := filepath.Join(dir, "ci.pub")
	os.WriteFile(pubFile, []byte(pub), 0o644)
	b, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, append(b, []byte("signing: {trusted_keys: ["+pubFile+"]}\n")...), 0o644)
	code, out, errOut = hvb(t, "apply", "--config", cfg, filepath.Join(ciPlan, "plan.json"))
	if code != 0 || !strings.Contains(out, "succeeded") {
		t.Errorf("a trusted installation's plan: exit %d: %s%s", code, out, errOut)
	}
}
