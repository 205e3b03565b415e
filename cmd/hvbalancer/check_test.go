package main

import (
	"encoding/pem"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/keytab"
)

// checkDir holds the files a check test's configuration names.
type checkDir struct {
	t   *testing.T
	dir string
}

func (d checkDir) file(name, content string) string {
	d.t.Helper()
	p := filepath.Join(d.dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		d.t.Fatal(err)
	}
	return p
}

// keytab writes a keytab with one key for principal@realm.
func (d checkDir) keytab(name, principal, realm string) string {
	d.t.Helper()
	kt := keytab.New()
	if err := kt.AddEntry(principal, realm, "a password", time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC), 1, etypeID.AES256_CTS_HMAC_SHA1_96); err != nil {
		d.t.Fatal(err)
	}
	b, err := kt.Marshal()
	if err != nil {
		d.t.Fatal(err)
	}
	return d.file(name, string(b))
}

// caPEM is a real certificate, PEM-encoded.
func caPEM(t *testing.T) string {
	srv := httptest.NewTLSServer(nil)
	defer srv.Close()
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
}

const krb5Conf = `[libdefaults]
  default_realm = LAB.EXAMPLE
  forwardable = true
[realms]
  LAB.EXAMPLE = {
    kdc = 127.0.0.1:88
  }
`

func (d checkDir) config(body string) string {
	d.t.Helper()
	policies, _ := filepath.Abs("../../examples/policies")
	return d.file("config.yaml", "version: 1\npolicy: {dir: "+policies+"}\n"+body)
}

func TestCheckResolvesEverySecretAndFile(t *testing.T) {
	d := checkDir{t, t.TempDir()}
	t.Setenv("HVB_CHECK_PW", "from-env")
	cfg := d.config(`
winrm: {auth: ntlm, username: svc-hvbalancer, password_file: pw}
clusters:
  - name: lab
    hosts:
      - {name: HV01, address: hv01.lab.example}
      - {name: HV02, address: hv02.lab.example, winrm: {password_env: HVB_CHECK_PW}}
      - name: HV03
        address: hv03.lab.example
        winrm:
          auth: kerberos
          kerberos: {realm: LAB.EXAMPLE, config_file: krb5.conf, keytab: svc.keytab}
      - {name: HV04, address: 10.0.0.14, winrm: {https: true, ca_file: ca.pem, tls_server_name: hv04.lab.example}}
`)
	d.file("pw", "secret\n")
	d.file("krb5.conf", krb5Conf)
	d.keytab("svc.keytab", "svc-hvbalancer", "LAB.EXAMPLE")
	d.file("ca.pem", caPEM(t))
	code, stdout, stderr := hvb(t, "check", "--config", cfg)
	if code != 0 || !regexp.MustCompile(`^\S+config.yaml: valid \(1 clusters, 4 hosts\); policy sha256:[0-9a-f]{64}\n$`).MatchString(stdout) {
		t.Errorf("exit %d\n%s%s", code, stdout, stderr)
	}
}

func TestCheckReportsEveryProblemAtOnce(t *testing.T) {
	d := checkDir{t, t.TempDir()}
	policies := filepath.Join(d.dir, "policies")
	if err := os.Mkdir(policies, 0o755); err != nil {
		t.Fatal(err)
	}
	d.file("policies/broken.rego", "package hvbalancer\n\ndeny contains msg if {\n")
	cfg := d.file("config.yaml", `version: 1
policy: {dir: policies}
winrm: {auth: ntlm, username: svc-hvbalancer, password_file: empty-pw}
clusters:
  - name: lab
    hosts:
      - {name: HV01, address: hv01.lab.example}
      - {name: HV02, address: hv02.lab.example}
      - {name: HV03, address: hv03.lab.example, winrm: {password_env: HVB_CHECK_UNSET}}
      - name: HV04
        address: hv04.lab.example
        winrm:
          auth: kerberos
          kerberos: {realm: LAB.EXAMPLE, config_file: krb5-no-kdc.conf, keytab: other.keytab}
      - name: HV05
        address: hv05.lab.example
        winrm:
          auth: kerberos
          kerberos: {realm: LAB.EXAMPLE, config_file: krb5.conf, keytab: junk.keytab}
      - {name: HV06, address: 10.0.0.16, winrm: {https: true, ca_file: junk.pem}}
`)
	d.file("empty-pw", "\n")
	d.file("krb5-no-kdc.conf", "[libdefaults]\n  default_realm = LAB.EXAMPLE\n")
	d.file("krb5.conf", krb5Conf)
	d.keytab("other.keytab", "someone-else", "LAB.EXAMPLE")
	d.file("junk.keytab", "not a keytab")
	d.file("junk.pem", "not a certificate")
	code, stdout, stderr := hvb(t, "check", "--config", cfg)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", code, stdout, stderr)
	}
	got := strings.Split(strings.TrimSpace(strings.ReplaceAll(stderr, d.dir+"/", "")), "\n")
	if len(got) == 0 || !strings.HasPrefix(got[0], "hvbalancer check: policy: ") {
		t.Fatalf("stderr:\n%s", stderr)
	}
	want := []string{
		"clusters[0].hosts[0].winrm.password_file: empty-pw is empty",
		"clusters[0].hosts[2].winrm.password_env: environment variable HVB_CHECK_UNSET is not set",
		"clusters[0].hosts[3].winrm.kerberos.config_file: krb5-no-kdc.conf names no kdc for realm LAB.EXAMPLE: add it under [realms], or set dns_lookup_kdc = true",
		"clusters[0].hosts[3].winrm.kerberos.keytab: other.keytab holds no key for svc-hvbalancer@LAB.EXAMPLE (it has someone-else@LAB.EXAMPLE)",
		"clusters[0].hosts[4].winrm.kerberos.keytab: junk.keytab: not a keytab: ",
		"clusters[0].hosts[5].winrm.ca_file: junk.pem: holds no PEM certificate",
	}
	rest := got[1:]
	if len(rest) != len(want) {
		t.Fatalf("problems (want %d after the policy's):\n%s", len(want), strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(rest[i], want[i]) {
			t.Errorf("problem %d\n%s\nwant\n%s", i, rest[i], want[i])
		}
	}
	wantWarnings := []string{
		"warning: clusters[0].hosts[3].winrm.kerberos.config_file: krb5-no-kdc.conf does not set forwardable = true in [libdefaults]: live migration between stand-alone hosts needs forwardable tickets",
		"warning: clusters[0].hosts[5].address: 10.0.0.16 is an IP address, but a WinRM certificate names the host: connect by that name or set winrm.tls_server_name to it",
	}
	if diff := cmp.Diff(wantWarnings, strings.Split(strings.TrimSpace(strings.ReplaceAll(stdout, d.dir+"/", "")), "\n")); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	// run --check checks as much.
	code, _, runErr := hvb(t, "run", "--config", cfg, "--check")
	if code != 1 || runErr != strings.Replace(stderr, "hvbalancer check:", "hvbalancer run:", 1) {
		t.Errorf("run --check: exit %d\n%s\nwant the same problems as check:\n%s", code, runErr, stderr)
	}
}

func TestCheckConnectLogsInToEveryHost(t *testing.T) {
	cfg := simConfig(t, faultyFleet, "collector: {call_timeout: 3s}\n")
	code, stdout, stderr := hvb(t, "check", "--config", cfg, "--connect")
	if code != 3 || stderr != "hvbalancer check: 3 of 4 hosts failed the check\n" {
		t.Fatalf("exit %d, want 3\n%s%s", code, stdout, stderr)
	}
	row := regexp.MustCompile(`^(\S+)\s+(\S+)\s+(.*)$`)
	var got [][]string
	lines := strings.Split(strings.TrimSpace(portRE.ReplaceAllString(stdout, "127.0.0.1:PORT")), "\n")
	for _, l := range lines[1:] { // after the valid line
		if m := row.FindStringSubmatch(l); m != nil {
			got = append(got, m[1:])
		}
	}
	want := [][]string{
		{"HOST", "ADDRESS", "RESULT"},
		{"HV01", "127.0.0.1:PORT", "ok: HV01.lab.example, 16 logical processors, 128 GiB, live migration on (2 at once)"},
		{"HV02", "127.0.0.1:PORT", "wrong credentials or account locked"},
		{"HV03", "127.0.0.1:PORT", "unreachable: no connection to its WinRM port"},
		{"HV04", "127.0.0.1:PORT", "timeout: no answer within the call timeout"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("table (-want +got):\n%s\n%s", diff, stdout)
	}
}
