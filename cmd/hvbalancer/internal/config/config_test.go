package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestInvalidConfigs(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"invalid-unknown-key.yaml", []string{`line 6: unknown key "adress"`}},
		{"invalid-empty.yaml", []string{"empty document"}},
		{"invalid-bad-duration.yaml", []string{`line 6: "soon" is not a valid duration (like 30s or 5m)`}},
		{"invalid-inline-password.yaml", []string{
			"winrm.password: secrets are never read from the configuration; use password_file or password_env",
			"clusters[0].hosts[0]: no winrm.password_file or winrm.password_env for basic authentication",
		}},
		{"invalid-basic-over-http.yaml", []string{
			"clusters[0].hosts[0]: basic authentication cannot encrypt messages over plain HTTP: set winrm.https: true, or winrm.encryption: never for a host with AllowUnencrypted=true (the password then crosses the network in the clear)",
			"clusters[0].hosts[0]: winrm.insecure_skip_verify needs winrm.https: true",
		}},
		{"invalid-encryption.yaml", []string{
			"winrm.encryption: sometimes: want auto (seal messages over HTTP, as Windows requires by default) or never",
		}},
		{"invalid-kerberos.yaml", []string{
			"clusters[0].hosts[1]: winrm.kerberos.keytab and a password_file or password_env exclude each other",
			"clusters[0].hosts[2]: winrm.kerberos.keytab and winrm.kerberos.ccache exclude each other",
			"clusters[0].hosts[3]: kerberos authentication needs winrm.kerberos.realm",
			"clusters[0].hosts[3]: kerberos authentication needs winrm.kerberos.config_file (the krb5.conf naming the realm's KDCs)",
			"clusters[0].hosts[3].winrm.kerberos.keytab: ../no-keytab: no such file or directory",
			"clusters[0].hosts[4].winrm.kerberos.config_file: ../no-krb5.conf: no such file or directory",
			"clusters[0].hosts[5]: winrm.kerberos.keytab is only for kerberos authentication",
			"clusters[0].hosts[6]: kerberos authentication needs winrm.kerberos.ccache, or winrm.username with a password_file, password_env or kerberos.keytab",
		}},
		{"invalid-collector-logins.yaml", []string{
			"collector.min_answering_share: 1.5: must be a share in (0, 1], such as 0.5 for half the hosts",
			"collector.stop_after_failed_logins: 20: must be 1..10, below the domain's account lockout threshold",
			"collector.login_backoff_max: 10s: must be at least 1m, the first wait after a failed login",
		}},
		{"invalid-simulator-winrm.yaml", []string{
			"winrm.encryption: maybe: want auto (seal messages over HTTP, as Windows requires by default) or never",
			"winrm: winrm.username needs winrm.password_file or winrm.password_env",
			"collector.min_answering_share: 0: must be a share in (0, 1], such as 0.5 for half the hosts",
		}},
		{"invalid-missing-files.yaml", []string{
			"clusters[0].hosts[0].name: HV01; Stop-Computer: not a computer name (letters, digits and hyphens only)",
			"clusters[0].hosts[0].winrm.password_file: ../nope: no such file or directory",
			"clusters[0].hosts[0].winrm.ca_file: ../nope.pem: no such file or directory",
			"policy.dir: ../nowhere: no such file or directory",
		}},
		{"invalid-simulator-and-clusters.yaml", []string{
			"simulator: cannot be used together with clusters",
			"simulator.fleet: ../nofleet.yaml: no such file or directory",
		}},
		{"invalid-executor.yaml", []string{
			"http.token_file: ../no-token: no such file or directory",
			"automation: yolo: want manual, partial or full",
			"round_interval: 0s: must be > 0",
			"executor.max_concurrent: 0: must be 1..100",
			"executor.per_host_cap: 0: must be 1..16",
			"executor.migrations_per_minute: 0: must be a finite number in (0, 600]",
			"executor.drain_timeout: -1s: must be >= 0",
		}},
		{"invalid-storage.yaml", []string{
			`clusters[0].hosts[1].storage_path: VMs\here: want an absolute Windows directory such as D:\Hyper-V or \\fs01\vms`,
			`clusters[0].hosts[2].storage_path: \\fs01: want an absolute Windows directory such as D:\Hyper-V or \\fs01\vms`,
			"planner.storage_reserve_gib: -1: must be a finite number in [0, 65536]",
		}},
		{"invalid-many.yaml", []string{
			"version: 2: unsupported version, want 1",
			"time_zone: Mars/Olympus: unknown time zone",
			"log.level: loud: want debug, info, warn or error",
			"log.format: xml: want text or json",
			"http.listen: 9707: want host:port",
			"clusters[0].winrm.port: 70000: must be 1..65535",
			"clusters[0].winrm.auth: digest: want basic, ntlm or kerberos",
			"clusters[0].hosts[1].name: hv01: duplicate host name (also clusters[0].hosts[0])",
			"clusters[0].hosts[1].address: required",
			"clusters[1].name: lab: duplicate cluster name",
			"clusters[1].hosts: required: at least one host",
			"collector.window: 10s: must be at least the interval (30s)",
			"collector.sample_interval: 1.5s: must be whole seconds (Get-Counter -SampleInterval)",
			"collector.concurrency: 0: must be 1..256",
			"policy: dir and bundle exclude each other",
			"planner.aggressiveness: 9: must be 1..5",
			"planner.cpu_high: 120: must be a percentage in (0, 100]",
			"planner.max_inflow_per_host: 0: must be 1..100",
			"planner.weights: cpu and memory weights cannot both be 0",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			_, err := Load(filepath.Join("testdata", "config", tc.file))
			if err == nil {
				t.Fatal("loaded without error")
			}
			msg := err.Error()
			prefix := "config " + filepath.Join("testdata", "config", tc.file) + ": "
			if !strings.HasPrefix(msg, prefix) {
				t.Fatalf("error %q does not start with %q", msg, prefix)
			}
			if diff := cmp.Diff(tc.want, strings.Split(strings.TrimPrefix(msg, prefix), "\n")); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFieldErrorsAreTyped(t *testing.T) {
	_, err := Load("testdata/config/invalid-many.yaml")
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Path != "version" {
		t.Errorf("first field error = %+v", fe)
	}
}

func TestMergedEndpoints(t *testing.T) {
	t.Setenv("HVB_TEST_PASSWORD", "from-env")
	c, err := Load("testdata/config/valid-overrides.yaml")
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs("testdata/password")
	want := []Endpoint{
		{Host: "HV01", Address: "hv01.example", Port: 15986, HTTPS: true, Auth: "ntlm", Encryption: "auto", Username: "admin", PasswordEnv: "HVB_TEST_PASSWORD", CallTimeout: 10 * time.Second},
		{Host: "HV02", Address: "hv02.example", Port: 15986, HTTPS: true, Auth: "ntlm", Encryption: "auto", Username: "other", PasswordFile: abs, CallTimeout: 10 * time.Second},
	}
	got := c.Endpoints()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("endpoints (-want +got):\n%s", diff)
	}
	for i, wantPass := range []string{"from-env", "secret"} {
		if p, err := got[i].Password(); err != nil || p != wantPass {
			t.Errorf("%s password = %q, %v", got[i].Host, p, err)
		}
	}
	os.Unsetenv("HVB_TEST_PASSWORD")
	if _, err := got[0].Password(); err == nil || strings.Contains(err.Error(), "from-env") || !strings.Contains(err.Error(), "HVB_TEST_PASSWORD is not set") {
		t.Errorf("missing env error = %v", err)
	}
}

func TestSecretsReplaceEachOther(t *testing.T) {
	c, err := Parse([]byte(`version: 1
winrm: {auth: kerberos, username: svc, password_file: password, kerberos: {realm: LAB.EXAMPLE, config_file: krb5.conf}}
clusters:
  - name: lab
    winrm: {kerberos: {realm: LAB.EXAMPLE, config_file: krb5.conf, keytab: keytab}}
    hosts:
      - {name: HV01, address: hv01}
      - {name: HV02, address: hv02, winrm: {password_env: HVB_PW}}
policy: {dir: policies}
`), "testdata")
	if err != nil {
		t.Fatal(err)
	}
	abs := func(p string) string { a, _ := filepath.Abs(filepath.Join("testdata", p)); return a }
	eps := c.Endpoints()
	// The cluster's keytab replaces the inherited password file; the
	// host's variable replaces the inherited keytab.
	if e := eps[0]; e.PasswordFile != "" || e.PasswordEnv != "" || e.Kerberos.Keytab != abs("keytab") {
		t.Errorf("HV01: password_file %q, password_env %q, keytab %q", e.PasswordFile, e.PasswordEnv, e.Kerberos.Keytab)
	}
	if e := eps[1]; e.PasswordFile != "" || e.PasswordEnv != "HVB_PW" || e.Kerberos.Keytab != "" || e.Kerberos.ConfigFile != abs("krb5.conf") {
		t.Errorf("HV02: password_file %q, password_env %q, keytab %q, krb5.conf %q", e.PasswordFile, e.PasswordEnv, e.Kerberos.Keytab, e.Kerberos.ConfigFile)
	}
}

func TestShippedExamplesAreValid(t *testing.T) {
	for _, f := range []string{"../../../../examples/sim.yaml", "../../../../examples/config.yaml"} {
		t.Run(filepath.Base(f), func(t *testing.T) {
			c, err := Load(f)
			if err != nil {
				if _, serr := os.Stat("/etc/krb5.conf"); serr != nil && filepath.Base(f) == "config.yaml" {
					t.Skipf("the example names /etc/krb5.conf, which this machine lacks (install krb5-config): %v", err)
				}
				t.Fatal(err)
			}
			if !filepath.IsAbs(c.Policy.Dir) {
				t.Errorf("policy dir %q not resolved", c.Policy.Dir)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"invalid-many.yaml", "valid-overrides.yaml", "invalid-unknown-key.yaml"} {
		b, err := os.ReadFile(filepath.Join("testdata", "config", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, "testdata/config")
		if err == nil && c.Validate() != nil {
			t.Fatal("Parse accepted what Validate rejects")
		}
	})
}

func TestStoragePaths(t *testing.T) {
	c, err := Parse([]byte(`version: 1
clusters:
  - name: lab
    winrm: {https: true, auth: ntlm, username: u, password_env: P}
    hosts:
      - {name: HV01, address: hv01, storage_path: 'E:\VMs'}
      - {name: HV02, address: hv02}
      - {name: HV03, address: hv03, storage_path: '\\fs01\vms\hv03'}
policy: {dir: policies}
planner: {storage_reserve_gib: 100}
`), "testdata")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"HV01": `E:\VMs`, "HV03": `\\fs01\vms\hv03`}
	if diff := cmp.Diff(want, c.StoragePaths()); diff != "" {
		t.Errorf("storage paths (-want +got):\n%s", diff)
	}
	if c.Planner.StorageReserveGiB != 100 || Default().Planner.StorageReserveGiB != 50 {
		t.Errorf("storage reserve %g GiB, default %g GiB", c.Planner.StorageReserveGiB, Default().Planner.StorageReserveGiB)
	}
}
