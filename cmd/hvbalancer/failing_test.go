package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// simConfig writes a configuration for an in-process simulated fleet with
// extra YAML appended, and returns its path.
func simConfig(t *testing.T, fleet, extra string) string {
	t.Helper()
	dir := t.TempDir()
	fleet, _ = filepath.Abs(fleet)
	policies, _ := filepath.Abs("../../examples/policies")
	cfg := "version: 1\nstate_dir: state\nlog: {level: error}\nsimulator: {fleet: " + fleet + "}\npolicy: {dir: " + policies + "}\n" + extra
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

var portRE = regexp.MustCompile(`127\.0\.0\.1:\d+`)

// stderrLines returns the command's error output with ports hidden.
func stderrLines(s string) []string {
	return strings.Split(strings.TrimSpace(portRE.ReplaceAllString(s, "127.0.0.1:PORT")), "\n")
}

const faultyFleet = "testdata/fleets/faulty.yaml"

// The three failing hosts of the faulty fleet, each with its cause.
var faultyLines = []string{
	"  HV02 (127.0.0.1:PORT): wrong credentials or account locked",
	"  HV03 (127.0.0.1:PORT): unreachable: no connection to its WinRM port",
	"  HV04 (127.0.0.1:PORT): timeout: no answer within the call timeout",
}

func TestSnapshotNamesEveryHostItCouldNotRead(t *testing.T) {
	cfg := simConfig(t, faultyFleet, "collector: {call_timeout: 3s}\n")
	out := filepath.Join(t.TempDir(), "fleet.json")
	code, stdout, stderr := hvb(t, "snapshot", "--config", cfg, "--out", out, "--samples", "1")
	if code != 3 {
		t.Fatalf("exit %d, want 3\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "4 hosts (1 ok)") {
		t.Errorf("stdout %q", stdout)
	}
	want := append([]string{"hvbalancer snapshot: 3 of 4 hosts could not be read; the snapshot marks them"}, faultyLines...)
	if diff := cmp.Diff(want, stderrLines(stderr)); diff != "" {
		t.Errorf("stderr (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(out); err != nil {
		t.Errorf("the snapshot was not written: %v", err)
	}
}

func TestPlanRefusesTooPartialAFleet(t *testing.T) {
	cfg := simConfig(t, faultyFleet, "collector: {call_timeout: 3s}\n")
	dir := t.TempDir()
	code, stdout, stderr := hvb(t, "plan", "--config", cfg, "--out", dir, "--samples", "1")
	if code != 3 {
		t.Fatalf("exit %d, want 3\n%s%s", code, stdout, stderr)
	}
	want := append([]string{"hvbalancer plan: only 1 of 4 hosts answer, fewer than collector.min_answering_share (0.5); no plan written"}, faultyLines...)
	if diff := cmp.Diff(want, stderrLines(stderr)); diff != "" {
		t.Errorf("stderr (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(filepath.Join(dir, "plan.json")); err == nil {
		t.Error("a plan was written from a quarter of the fleet")
	}
}

func TestPlanFromAPartialFleetSaysSo(t *testing.T) {
	cfg := simConfig(t, faultyFleet, "collector: {call_timeout: 3s, min_answering_share: 0.25}\n")
	dir := t.TempDir()
	code, stdout, stderr := hvb(t, "plan", "--config", cfg, "--out", dir, "--samples", "1")
	if code != 3 {
		t.Fatalf("exit %d, want 3\n%s%s", code, stdout, stderr)
	}
	want := append([]string{"hvbalancer plan: 3 of 4 hosts could not be read; the plan leaves them out and says so"}, faultyLines...)
	if diff := cmp.Diff(want, stderrLines(stderr)); diff != "" {
		t.Errorf("stderr (-want +got):\n%s", diff)
	}
	const warning = "Incomplete fleet: 3 of 4 hosts could not be read"
	if !strings.Contains(stdout, warning) {
		t.Errorf("the summary does not warn:\n%s", stdout)
	}
	md, err := os.ReadFile(filepath.Join(dir, "plan.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "> **"+warning) || !strings.Contains(string(md), "> - HV02 (unreachable): wrong credentials or account locked") {
		t.Errorf("plan.md does not warn at the top:\n%s", md)
	}
}

func TestWrongPasswordNamesEveryHostAndStopsAfterThree(t *testing.T) {
	pw := filepath.Join(t.TempDir(), "winrm-password")
	if err := os.WriteFile(pw, []byte("not-the-password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := simConfig(t, "../../examples/fleets/demo.yaml", "winrm: {username: hvadmin, password_file: "+pw+"}\n")
	code, stdout, stderr := hvb(t, "snapshot", "--config", cfg, "--out", filepath.Join(t.TempDir(), "s.json"), "--samples", "1")
	if code != 3 {
		t.Fatalf("exit %d, want 3\n%s%s", code, stdout, stderr)
	}
	lines := stderrLines(stderr)
	if lines[0] != "hvbalancer snapshot: 8 of 8 hosts could not be read; the snapshot marks them" || len(lines) != 9 {
		t.Fatalf("stderr:\n%s", stderr)
	}
	refused, stopped := 0, 0
	hostRE := regexp.MustCompile(`^  HV0[1-8] \(127\.0\.0\.1:PORT\): (.*)$`)
	for _, l := range lines[1:] {
		m := hostRE.FindStringSubmatch(l)
		switch {
		case m == nil:
			t.Errorf("line %q", l)
		case m[1] == "wrong credentials or account locked":
			refused++
		case m[1] == "not tried: credential hvadmin stopped after 3 failed logins: fix the password file "+pw+", then it retries":
			stopped++
		default:
			t.Errorf("line %q", l)
		}
	}
	if refused != 3 || stopped != 5 {
		t.Errorf("%d hosts refused the login and %d were not tried; want 3 and 5", refused, stopped)
	}
	// Sampled again, every host says the account is no longer tried.
	_, _, stderr = hvb(t, "snapshot", "--config", cfg, "--out", filepath.Join(t.TempDir(), "s.json"), "--samples", "2", "--every", "0s")
	if n := strings.Count(stderr, "not tried: credential hvadmin stopped after 3 failed logins"); n != 8 {
		t.Errorf("%d hosts say the credential stopped, want 8:\n%s", n, stderr)
	}
}

func TestCertificateNameMismatch(t *testing.T) {
	cfg := simConfig(t, faultyFleet, "winrm: {tls_server_name: hv01.wrong.example}\n")
	if err := os.WriteFile(cfg, []byte(strings.Replace(mustRead(t, cfg), "simulator: {", "simulator: {https: true, ", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := hvb(t, "snapshot", "--config", cfg, "--out", filepath.Join(t.TempDir(), "s.json"), "--samples", "1")
	if code != 3 {
		t.Fatalf("exit %d, want 3\n%s%s", code, stdout, stderr)
	}
	lines := stderrLines(stderr)
	if len(lines) < 2 || lines[1] != "  HV01 (127.0.0.1:PORT): TLS certificate not accepted: check the name it carries against the address or tls_server_name, and ca_file" {
		t.Errorf("stderr:\n%s", stderr)
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestApplyNamesTheHostsItCouldNotRead(t *testing.T) {
	cfg := simConfig(t, faultyFleet, "collector: {call_timeout: 3s, min_answering_share: 0.25}\n")
	dir := t.TempDir()
	if code, stdout, stderr := hvb(t, "plan", "--config", cfg, "--out", dir, "--samples", "1"); code != 3 {
		t.Fatalf("plan: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr := hvb(t, "apply", "--config", cfg, filepath.Join(dir, "plan.json"))
	if code != 3 {
		t.Fatalf("apply: exit %d, want 3\n%s%s", code, stdout, stderr)
	}
	want := append([]string{"hvbalancer apply: 3 of 4 hosts could not be read; moves from or to them were skipped"}, faultyLines...)
	if diff := cmp.Diff(want, stderrLines(stderr)); diff != "" {
		t.Errorf("stderr (-want +got):\n%s", diff)
	}

	// Below the share, apply does nothing.
	// (The same installation, so the same signing key.)
	key := filepath.Join(filepath.Dir(cfg), "state", "plan-signing.key")
	strict := simConfig(t, faultyFleet, "collector: {call_timeout: 3s}\nsigning: {key_file: "+key+"}\n")
	code, stdout, stderr = hvb(t, "apply", "--config", strict, filepath.Join(dir, "plan.json"))
	if code != 3 || !strings.HasPrefix(stderr, "hvbalancer apply: only 1 of 4 hosts answer, fewer than collector.min_answering_share (0.5); nothing applied") {
		t.Errorf("apply below the share: exit %d\n%s%s", code, stdout, stderr)
	}
}

func TestUnencryptedMessagesRefused(t *testing.T) {
	cfg := simConfig(t, "testdata/fleets/lockout.yaml", "winrm: {auth: ntlm, encryption: never}\n")
	code, stdout, stderr := hvb(t, "snapshot", "--config", cfg, "--out", filepath.Join(t.TempDir(), "s.json"), "--samples", "1")
	if code != 3 {
		t.Fatalf("exit %d, want 3\n%s%s", code, stdout, stderr)
	}
	want := []string{"hvbalancer snapshot: 8 of 8 hosts could not be read; the snapshot marks them"}
	for _, h := range []string{"HV01", "HV02", "HV03", "HV04", "HV05", "HV06", "HV07", "HV08"} {
		want = append(want, "  "+h+" (127.0.0.1:PORT): the host refuses unencrypted messages: enable message encryption (default) or use HTTPS")
	}
	if diff := cmp.Diff(want, stderrLines(stderr)); diff != "" {
		t.Errorf("stderr (-want +got):\n%s", diff)
	}
}
