package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/krbtest"
)

// kerberosConfig logs in to the lockout fleet with Kerberos as user, with
// the password in a file and the given krb5.conf.
func kerberosConfig(t *testing.T, user, password, krb5conf string) (cfg, pwFile string) {
	t.Helper()
	pwFile = filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte(password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg = simConfig(t, "testdata/fleets/lockout.yaml", "collector: {call_timeout: 20s}\n"+
		"winrm: {auth: kerberos, username: "+user+", password_file: "+pwFile+", kerberos: {realm: LAB.EXAMPLE, config_file: "+krb5conf+"}}\n")
	return cfg, pwFile
}

// checkResults runs check --connect and returns its exit code and the
// result column of its table, by host.
func checkResults(t *testing.T, cfg string) (int, map[string]string, string) {
	t.Helper()
	code, stdout, stderr := hvb(t, "check", "--config", cfg, "--connect")
	row := regexp.MustCompile(`^(HV0\d)\s+127\.0\.0\.1:\d+\s+(.*)$`)
	got := map[string]string{}
	for _, l := range strings.Split(stdout, "\n") {
		if m := row.FindStringSubmatch(l); m != nil {
			got[m[1]] = m[2]
		}
	}
	return code, got, stdout + stderr
}

func TestKerberosWithoutAKDC(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "krb5.conf")
	// Nothing listens on port 1 of the loopback address.
	if err := os.WriteFile(conf, []byte("[libdefaults]\n  default_realm = LAB.EXAMPLE\n  forwardable = true\n[realms]\n  LAB.EXAMPLE = {\n    kdc = 127.0.0.1:1\n  }\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _ := kerberosConfig(t, "hvbalancer", "whatever", conf)
	code, got, out := checkResults(t, cfg)
	if code != 3 || len(got) != 8 {
		t.Fatalf("exit %d, %d hosts:\n%s", code, len(got), out)
	}
	for h, r := range got {
		if r != "no Kerberos KDC reachable: check the realm's kdc entries in krb5.conf" {
			t.Errorf("%s: %s", h, r)
		}
	}
}

func TestKerberosRefusalsAgainstARealKDC(t *testing.T) {
	kdc := krbtest.Start(t, "LAB.EXAMPLE", krbtest.Options{})

	// A user the domain does not know: every host says so, and as no
	// password was refused, the account is not stopped.
	cfg, _ := kerberosConfig(t, "nosuchuser", "whatever", kdc.ConfigPath())
	code, got, out := checkResults(t, cfg)
	if code != 3 || len(got) != 8 {
		t.Fatalf("unknown user: exit %d, %d hosts:\n%s", code, len(got), out)
	}
	for h, r := range got {
		if r != "Kerberos principal unknown: the user, or the host's WSMAN/ and HTTP/ service principal names, are missing" {
			t.Errorf("unknown user, %s: %s", h, r)
		}
	}

	// A wrong password: three refusals at the KDC, then the account is not
	// used on the other hosts.
	before := strings.Count(strings.Join(kdc.LogLines(), "\n"), "PREAUTH_FAILED")
	cfg, pw := kerberosConfig(t, kdc.User(), "not-"+kdc.Password(), kdc.ConfigPath())
	code, got, out = checkResults(t, cfg)
	if code != 3 || len(got) != 8 {
		t.Fatalf("wrong password: exit %d, %d hosts:\n%s", code, len(got), out)
	}
	refused, stopped := 0, 0
	for h, r := range got {
		switch r {
		case "wrong credentials or account locked":
			refused++
		case "not tried: credential " + kdc.User() + "@LAB.EXAMPLE stopped after 3 failed logins: fix the password file " + pw + ", then it retries":
			stopped++
		default:
			t.Errorf("wrong password, %s: %s", h, r)
		}
	}
	if refused != 3 || stopped != 5 {
		t.Errorf("%d hosts refused, %d not tried; want 3 and 5\n%s", refused, stopped, out)
	}
	if n := strings.Count(strings.Join(kdc.LogLines(), "\n"), "PREAUTH_FAILED") - before; n < 1 || n > 3 {
		t.Errorf("the KDC refused the password %d times, want 1 to 3", n)
	}
}
