package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckRefusesSettingsThatSwitchSafetyOff runs check on the settings
// a typo turns into "no limit" — an infinite rate, a limit with extra
// zeros, a whitespace token file, a listener open to the network without
// a token or TLS — and then on the same file made safe: the first exits 1
// naming every key, value and bound, the second is valid.
func TestCheckRefusesSettingsThatSwitchSafetyOff(t *testing.T) {
	token := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(token, []byte("  \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := simConfig(t, faultyFleet, "executor: {migrations_per_minute: .inf, max_concurrent: 1000000000}\n"+
		"http: {listen: '0.0.0.0:9707', token_file: "+token+"}\n")
	code, _, stderr := hvb(t, "check", "--config", bad)
	want := []string{
		"http.token_file: " + token + ": holds no token (empty or white space only): approve, pause, resume and reload would refuse every call",
		"http.listen: 0.0.0.0:9707: binds beyond loopback without TLS (http.tls_cert_file and http.tls_key_file): the network would see the fleet's inventory and the API in the clear; set them, or http.allow_insecure: true to serve anyway",
		"executor.max_concurrent: 1000000000: must be 1..100",
		"executor.migrations_per_minute: +Inf: must be a finite number in (0, 600]",
	}
	for _, w := range want {
		if code != 1 || !strings.Contains(stderr, w) {
			t.Errorf("exit %d, want 1 and %q in:\n%s", code, w, stderr)
		}
	}

	if err := os.WriteFile(token, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	good := simConfig(t, faultyFleet, "executor: {migrations_per_minute: 600, max_concurrent: 100}\n"+
		"http: {listen: '0.0.0.0:9707', token_file: "+token+", allow_insecure: true}\n")
	if code, stdout, stderr := hvb(t, "check", "--config", good); code != 0 || !strings.Contains(stdout, "valid") {
		t.Errorf("exit %d, want 0 and valid:\n%s%s", code, stdout, stderr)
	}
}
