package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestLimitsKeepSafetyOn: a setting that would switch a limit off — NaN,
// an infinity, a typo's extra zeros — is refused with its key, its value
// and the bound, and the bounds themselves are accepted.
func TestLimitsKeepSafetyOn(t *testing.T) {
	t.Setenv("HVB_DEADLINE_PW", "pw")
	tests := []struct {
		name  string
		extra string
		want  []string
	}{
		{"the bounds themselves", "executor: {max_concurrent: 100, per_host_cap: 16, migrations_per_minute: 600, burst: 100, breaker_threshold: 100}\n" +
			"collector: {concurrency: 256}\nplanner: {max_moves: 1000, max_inflow_per_host: 100, target_spread: 100, memory_reserve_gib: 4096, storage_reserve_gib: 65536, bandwidth_gbps: 1000, weights: {cpu: 1000, memory: 0, migration_cost: 0}}\n" +
			"retention: {plans: 10000}\n", nil},
		{"no moves at all", "planner: {max_moves: 0}\n", nil},
		{"rate NaN", "executor: {migrations_per_minute: .nan}\n", []string{"executor.migrations_per_minute: NaN: must be a finite number in (0, 600]"}},
		{"rate infinite", "executor: {migrations_per_minute: .inf}\n", []string{"executor.migrations_per_minute: +Inf: must be a finite number in (0, 600]"}},
		{"rate minus infinity", "executor: {migrations_per_minute: -.inf}\n", []string{"executor.migrations_per_minute: -Inf: must be a finite number in (0, 600]"}},
		{"rate above the bound", "executor: {migrations_per_minute: 601}\n", []string{"executor.migrations_per_minute: 601: must be a finite number in (0, 600]"}},
		{"evacuation rate NaN", "executor: {evacuation_per_minute: .nan}\n", []string{"executor.evacuation_per_minute: NaN: must be a finite number in (0, 600]"}},
		{"evacuation rate zero", "executor: {evacuation_per_minute: 0}\n", []string{"executor.evacuation_per_minute: 0: must be a finite number in (0, 600]"}},
		{"evacuation rate above the bound", "executor: {evacuation_per_minute: 601}\n", []string{"executor.evacuation_per_minute: 601: must be a finite number in (0, 600]"}},
		{"executor limits off by zeros", "executor: {max_concurrent: 1000000000, per_host_cap: 17, burst: 101, breaker_threshold: 1000}\n", []string{
			"executor.max_concurrent: 1000000000: must be 1..100",
			"executor.per_host_cap: 17: must be 1..16",
			"executor.burst: 101: must be 1..100",
			"executor.breaker_threshold: 1000: must be 1..100",
		}},
		{"collector concurrency", "collector: {concurrency: 100000}\n", []string{"collector.concurrency: 100000: must be 1..256"}},
		{"planner counts", "planner: {max_moves: 1001, max_inflow_per_host: 101}\n", []string{
			"planner.max_moves: 1001: must be 0..1000",
			"planner.max_inflow_per_host: 101: must be 1..100",
		}},
		{"retention count", "retention: {plans: 10001}\n", []string{"retention.plans: 10001: must be 1..10000"}},
		{"thresholds NaN and infinite", "planner: {cpu_high: .nan, memory_high: .inf, cpu_ceiling: .nan, headroom: 0}\n", []string{
			"planner.cpu_high: NaN: must be a percentage in (0, 100]",
			"planner.memory_high: +Inf: must be a percentage in (0, 100]",
			"planner.cpu_ceiling: NaN: must be a percentage in (0, 100]",
		}},
		{"planner floats NaN and infinite", "planner: {target_spread: .nan, memory_reserve_gib: .nan, storage_reserve_gib: .inf, bandwidth_gbps: .nan}\n", []string{
			"planner.target_spread: NaN: must be a finite number in [0, 100]",
			"planner.memory_reserve_gib: NaN: must be a finite number in [0, 4096]",
			"planner.storage_reserve_gib: +Inf: must be a finite number in [0, 65536]",
			"planner.bandwidth_gbps: NaN: must be a finite number in (0, 1000]",
		}},
		{"planner floats out of range", "planner: {memory_reserve_gib: 1e9, bandwidth_gbps: 0}\n", []string{
			"planner.memory_reserve_gib: 1e+09: must be a finite number in [0, 4096]",
			"planner.bandwidth_gbps: 0: must be a finite number in (0, 1000]",
		}},
		{"weights NaN and infinite", "planner: {weights: {cpu: .nan, memory: 1, migration_cost: .inf}}\n", []string{
			"planner.weights.cpu: NaN: must be a finite number in [0, 1000]",
			"planner.weights.migration_cost: +Inf: must be a finite number in [0, 1000]",
		}},
		{"min answering share NaN", "collector: {min_answering_share: .nan}\n", []string{
			"collector.min_answering_share: NaN: must be a share in (0, 1], such as 0.5 for half the hosts",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, parseProblems(t, deadlineDoc(t, tc.extra))); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

// TestNamesAreBounded: a host's name is a computer name (NetBIOS, at most
// 15 characters), its address a DNS name or an IP address, and the
// groupings are short lines of text; a long value is cut in the message.
func TestNamesAreBounded(t *testing.T) {
	t.Setenv("HVB_DEADLINE_PW", "pw")
	host := func(name, address string) string {
		return "clusters:\n  - name: lab\n    hosts:\n      - {name: '" + name + "', address: '" + address + "'}\n"
	}
	label63 := strings.Repeat("a", 63)
	tests := []struct {
		name  string
		extra string
		want  []string
	}{
		{"at the bounds", host("HV-PROD-RACK-01", strings.Join([]string{label63, label63, label63, strings.Repeat("b", 61)}, ".")), nil},
		{"an IPv4 address", host("HV01", "10.20.0.12"), nil},
		{"an IPv6 address", host("HV01", "fd00::12"), nil},
		{"a fully qualified name with its dot", host("HV01", "hv01.lab.example."), nil},
		{"a 10,000-character name", host(strings.Repeat("H", 10000), "hv01"), []string{
			"clusters[0].hosts[0].name: " + strings.Repeat("H", 40) + "… (10000 characters): a computer name has at most 15 characters (NetBIOS), not 10000",
		}},
		{"16 characters", host("HV-PROD-RACK-A01", "hv01"), []string{
			"clusters[0].hosts[0].name: HV-PROD-RACK-A01: a computer name has at most 15 characters (NetBIOS), not 16",
		}},
		{"a fully qualified name is not a computer name", host("hv01.lab", "hv01"), []string{
			"clusters[0].hosts[0].name: hv01.lab: not a computer name (letters, digits and hyphens only)",
		}},
		{"digits only", host("1234", "hv01"), []string{"clusters[0].hosts[0].name: 1234: not a computer name (digits only)"}},
		{"an address of 254 characters", host("HV01", strings.Join([]string{label63, label63, label63, strings.Repeat("b", 62)}, ".")), []string{
			"clusters[0].hosts[0].address: " + strings.Repeat("a", 40) + "… (254 characters): want a DNS name (at most 253 characters, labels of at most 63 letters, digits, hyphens or underscores) or an IP address, not 254 characters",
		}},
		{"a label of 64 characters", host("HV01", strings.Repeat("a", 64)+".example"), []string{
			"clusters[0].hosts[0].address: " + strings.Repeat("a", 40) + "… (72 characters): want a DNS name (at most 253 characters, labels of at most 63 letters, digits, hyphens or underscores) or an IP address",
		}},
		{"an address with a port", host("HV01", "hv01.example:5986"), []string{
			"clusters[0].hosts[0].address: hv01.example:5986: want a DNS name (at most 253 characters, labels of at most 63 letters, digits, hyphens or underscores) or an IP address",
		}},
		{"an address starting with a hyphen", host("HV01", "-hv01.example"), []string{
			"clusters[0].hosts[0].address: -hv01.example: want a DNS name (at most 253 characters, labels of at most 63 letters, digits, hyphens or underscores) or an IP address",
		}},
		{"groupings too long", "clusters:\n  - name: " + strings.Repeat("c", 64) + "\n    hosts:\n      - {name: HV01, address: hv01, group: " + strings.Repeat("g", 64) + ", labels: {rack: " + strings.Repeat("v", 257) + "}}\n", []string{
			"clusters[0].name: " + strings.Repeat("c", 40) + "… (64 characters): at most 63 characters, not 64",
			"clusters[0].hosts[0].group: " + strings.Repeat("g", 40) + "… (64 characters): at most 63 characters, not 64",
			"clusters[0].hosts[0].labels.rack: " + strings.Repeat("v", 40) + "… (257 characters): at most 256 characters, not 257",
		}},
		{"a control character in a group", "clusters:\n  - name: lab\n    hosts:\n      - {name: HV01, address: hv01, group: \"a\\u0007b\"}\n", []string{
			"clusters[0].hosts[0].group: a\ab: control characters are not allowed",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, parseProblems(t, deadlineDoc(t, tc.extra))); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

// TestListenerRules: the token file must hold a token, TLS needs both
// files and a pair that loads, allowed_hosts are names or addresses, and
// a bind beyond loopback needs a token and TLS unless allow_insecure says
// otherwise.
func TestListenerRules(t *testing.T) {
	t.Setenv("HVB_DEADLINE_PW", "pw")
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	token := file("token", "s3cret\n")
	empty := file("empty-token", "")
	blank := file("blank-token", " \n\t\n")
	long := file("long-token", strings.Repeat("x", 4097))
	cert, key := writeCert(t, dir, "a")
	_, otherKey := writeCert(t, dir, "b")
	tests := []struct {
		name  string
		extra string
		want  []string
	}{
		{"loopback needs nothing", "http: {listen: '127.0.0.1:9707'}\n", nil},
		{"another loopback address", "http: {listen: '127.0.0.2:9707'}\n", nil},
		{"IPv6 loopback", "http: {listen: '[::1]:0'}\n", nil},
		{"localhost", "http: {listen: 'localhost:9707'}\n", nil},
		{"every interface with token and TLS", "http: {listen: '0.0.0.0:9707', token_file: " + token + ", tls_cert_file: " + cert + ", tls_key_file: " + key + ", allowed_hosts: [hvb.lab.example, 10.0.0.5, 'fd00::5']}\n", nil},
		{"every interface, explicitly insecure", "http: {listen: '0.0.0.0:9707', allow_insecure: true}\n", nil},
		{"every interface with nothing", "http: {listen: '0.0.0.0:9707'}\n", []string{
			"http.listen: 0.0.0.0:9707: binds beyond loopback without a token (http.token_file) and TLS (http.tls_cert_file and http.tls_key_file): the network would see the fleet's inventory and the API in the clear; set them, or http.allow_insecure: true to serve anyway",
		}},
		{"an empty host is every interface", "http: {listen: ':9707', token_file: " + token + "}\n", []string{
			"http.listen: :9707: binds beyond loopback without TLS (http.tls_cert_file and http.tls_key_file): the network would see the fleet's inventory and the API in the clear; set them, or http.allow_insecure: true to serve anyway",
		}},
		{"one address with TLS but no token", "http: {listen: '10.0.0.5:9707', tls_cert_file: " + cert + ", tls_key_file: " + key + "}\n", []string{
			"http.listen: 10.0.0.5:9707: binds beyond loopback without a token (http.token_file): the network would see the fleet's inventory and the API in the clear; set them, or http.allow_insecure: true to serve anyway",
		}},
		{"a name to bind", "http: {listen: 'hvb.lab.example:9707'}\n", []string{
			"http.listen: hvb.lab.example:9707: want an IP address (or localhost) to bind; put the names clients use in http.allowed_hosts",
		}},
		{"empty token file", "http: {token_file: " + empty + "}\n", []string{
			"http.token_file: " + empty + ": holds no token (empty or white space only): approve, pause, resume and reload would refuse every call",
		}},
		{"white space token file", "http: {token_file: " + blank + "}\n", []string{
			"http.token_file: " + blank + ": holds no token (empty or white space only): approve, pause, resume and reload would refuse every call",
		}},
		{"token file too long", "http: {token_file: " + long + "}\n", []string{"http.token_file: " + long + ": longer than 4096 bytes"}},
		{"a certificate without its key", "http: {tls_cert_file: " + cert + "}\n", []string{"http: tls_cert_file and tls_key_file go together: set both or neither"}},
		{"TLS files missing", "http: {tls_cert_file: nocert.pem, tls_key_file: nokey.pem}\n", []string{
			"http.tls_cert_file: nocert.pem: no such file or directory",
			"http.tls_key_file: nokey.pem: no such file or directory",
		}},
		{"a key of another certificate", "http: {tls_cert_file: " + cert + ", tls_key_file: " + otherKey + "}\n", []string{
			"http.tls_cert_file: " + cert + ": does not load with http.tls_key_file: tls: private key does not match public key",
		}},
		{"bad allowed hosts", "http: {allowed_hosts: ['hvb.example:9707', '*.example', '']}\n", []string{
			"http.allowed_hosts[0]: hvb.example:9707: want a DNS name or an IP address, without a port or wildcard",
			"http.allowed_hosts[1]: *.example: want a DNS name or an IP address, without a port or wildcard",
			"http.allowed_hosts[2]: : want a DNS name or an IP address, without a port or wildcard",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, parseProblems(t, deadlineDoc(t, tc.extra))); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

// writeCert writes a self-signed certificate for localhost, valid for a
// year, and its key (PEM) into dir.
func writeCert(t *testing.T, dir, name string) (certFile, keyFile string) {
	t.Helper()
	return writeCertUntil(t, dir, name, time.Now().AddDate(1, 0, 0))
}

// writeCertUntil writes a certificate that ends at notAfter, as writeCert.
func writeCertUntil(t *testing.T, dir, name string, notAfter time.Time) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     notAfter,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// TestListenerWarnings: a bind beyond loopback that allow_insecure lets
// through, and a certificate near its end, are warned about (check prints
// the warnings, the daemon logs them at start); a loopback bind and a
// certificate good for a year are not.
func TestListenerWarnings(t *testing.T) {
	t.Setenv("HVB_DEADLINE_PW", "pw")
	dir := t.TempDir()
	token := filepath.Join(dir, "token")
	if err := os.WriteFile(token, []byte("s3cret"), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, key := writeCert(t, dir, "year")
	soon := time.Now().Add(48 * time.Hour).Truncate(time.Second) // as a certificate holds it
	soonCert, soonKey := writeCertUntil(t, dir, "soon", soon)
	tls := func(c, k string) string { return ", tls_cert_file: " + c + ", tls_key_file: " + k }
	tests := []struct {
		name  string
		extra string
		want  []string
	}{
		{"loopback, insecure allowed", "http: {listen: '127.0.0.1:9707', allow_insecure: true}\n", nil},
		{"token and TLS", "http: {listen: '0.0.0.0:9707', token_file: " + token + tls(cert, key) + "}\n", nil},
		{"neither", "http: {listen: '0.0.0.0:9707', allow_insecure: true}\n", []string{
			"http.allow_insecure: true: 0.0.0.0:9707 serves beyond loopback without TLS: the inventory and the token cross the network in the clear; without a token: approve, pause, resume and reload are refused",
		}},
		{"no token", "http: {listen: '10.0.0.5:9707', allow_insecure: true" + tls(cert, key) + "}\n", []string{
			"http.allow_insecure: true: 10.0.0.5:9707 serves beyond loopback without a token: approve, pause, resume and reload are refused",
		}},
		{"a certificate near its end", "http: {listen: '127.0.0.1:9707'" + tls(soonCert, soonKey) + "}\n", []string{
			"http.tls_cert_file: " + soonCert + ": the certificate ends on " + soon.UTC().Format(time.DateOnly) + ": renew it (a renewed file is served without a restart)",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse(deadlineDoc(t, tc.extra), t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, w := range c.Warnings() {
				got = append(got, w.Error())
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSimulatorSpeedIsFinite: a NaN speed passed "speed < 0".
func TestSimulatorSpeedIsFinite(t *testing.T) {
	fleet, err := filepath.Abs("../../../../examples/fleets/demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	policies, err := filepath.Abs("../../../../examples/policies")
	if err != nil {
		t.Fatal(err)
	}
	for speed, want := range map[string][]string{
		"60":    nil,
		"0":     nil, // the fleet file's
		".nan":  {"simulator.speed: NaN: must be a finite number in [0, 10000]"},
		".inf":  {"simulator.speed: +Inf: must be a finite number in [0, 10000]"},
		"-1":    {"simulator.speed: -1: must be a finite number in [0, 10000]"},
		"10001": {"simulator.speed: 10001: must be a finite number in [0, 10000]"},
	} {
		doc := "version: 1\npolicy: {dir: " + policies + "}\nsimulator: {fleet: " + fleet + ", speed: " + speed + "}\n"
		if diff := cmp.Diff(want, parseProblems(t, []byte(doc))); diff != "" {
			t.Errorf("speed %s (-want +got):\n%s", speed, diff)
		}
	}
}
