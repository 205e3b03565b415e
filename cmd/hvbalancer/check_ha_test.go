package main

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/etcdtest"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
	"github.com/hvbalancer/hvbalancer/hyperv/sim"
)

// TestCheckHA proves that check says how a daemon with an ha section
// reaches etcd and who it is to the others, and reports every problem of
// the section with its path.
func TestCheckHA(t *testing.T) {
	t.Setenv("HVB_CHECK_HA_PW", "secret")
	const hosts = "clusters: [{name: lab, winrm: {https: true, auth: ntlm, username: svc, password_env: HVB_CHECK_HA_PW}, hosts: [{name: HV01, address: hv01.lab.example}]}]\n"
	fleet, _ := filepath.Abs("../../examples/fleets/demo.yaml")
	const signing = "signing: {key_file: plan-signing.key}\n" // one key for the daemons of one fleet
	tests := []struct {
		name, body string
		code       int
		want       string
	}{
		{"valid", hosts + signing + "ha: {etcd: {endpoints: [\"http://127.0.0.1:2379\"]}, node_name: hvb-a}\n", 0,
			`(?m)^high availability: etcd http://127.0.0.1:2379, prefix /hvbalancer, session ttl 15s; this daemon is hvb-a at http://127.0.0.1:9707$`},
		{"problems", hosts + "ha: {etcd: {endpoints: [\"etcd1:2379\"], session_ttl: 1s, tls: {ca: nowhere.pem}}}\n", 1,
			`(?s)ha.etcd.endpoints\[0\]: etcd1:2379: want a URL.*ha.etcd.session_ttl: 1s: must be 5s\.\.10m0s.*ha.etcd.tls.ca: \S+nowhere.pem: no such file or directory.*signing.key_file: required with ha`},
		{"with the simulator", "simulator: {fleet: " + fleet + "}\nha: {etcd: {endpoints: [\"http://127.0.0.1:2379\"]}}\n", 1,
			`ha: cannot be used with simulator`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := checkDir{t, t.TempDir()}.config(tc.body)
			code, stdout, stderr := hvb(t, "check", "--config", cfg)
			if code != tc.code || !regexp.MustCompile(tc.want).MatchString(stdout+stderr) {
				t.Errorf("exit %d, want %d, and output matching %s\n%s%s", code, tc.code, tc.want, stdout, stderr)
			}
		})
	}
}

// TestCheckConnectReachesEtcd: check --connect reaches the etcd of an ha
// section as the daemon would, says how many members it has and who
// leads, and fails when etcd cannot be reached.
func TestCheckConnectReachesEtcd(t *testing.T) {
	endpoint := etcdtest.Start(t, 1).Members[0].ClientURL
	spec, err := sim.LoadFleet("../../examples/fleets/demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	srv := serveFleet(t, spec)
	config := func(endpoint string) string {
		return standaloneConfig(t, srv, spec, "manual", nil, fmt.Sprintf("ha: {etcd: {endpoints: [%q], dial_timeout: 1s}, node_name: hvb-a}\nsigning: {key_file: %s}\n", endpoint, filepath.Join(t.TempDir(), "plan-signing.key")))
	}
	cfg := config(endpoint)
	code, stdout, stderr := hvb(t, "check", "--connect", "--config", cfg)
	if want := "etcd: 1 members reached; under /hvbalancer no daemon leads yet\n"; code != 0 || !strings.HasSuffix(stdout, want) {
		t.Errorf("before any daemon: exit %d, want 0 and a last line %q\n%s%s", code, want, stdout, stderr)
	}
	d, logs := startLoggingDaemon(t, cfg)
	showLogsOnFailure(t, logs)
	eventually(t, "the daemon leads", func() bool {
		var st web.Status
		getJSON(t, d.url+"/api/v1/status", &st)
		return st.HA != nil && st.HA.Leading
	})
	code, stdout, stderr = hvb(t, "check", "--connect", "--config", cfg)
	if want := fmt.Sprintf("etcd: 1 members reached; under /hvbalancer leader hvb-a (%s)\n", d.url); code != 0 || !strings.HasSuffix(stdout, want) {
		t.Errorf("with a leader: exit %d, want 0 and a last line %q\n%s%s", code, want, stdout, stderr)
	}
	code, stdout, stderr = hvb(t, "check", "--connect", "--config", config("http://127.0.0.1:1"))
	if code == 0 || !strings.Contains(stderr, "etcd [http://127.0.0.1:1]") {
		t.Errorf("etcd unreachable: exit %d, want a failure naming the endpoint\n%s%s", code, stdout, stderr)
	}
}
