package main

import (
	"path/filepath"
	"regexp"
	"testing"
)

// TestCheckHA proves that check says how a daemon with an ha section
// reaches etcd and who it is to the others, and reports every problem of
// the section with its path.
func TestCheckHA(t *testing.T) {
	t.Setenv("HVB_CHECK_HA_PW", "secret")
	const hosts = "clusters: [{name: lab, winrm: {https: true, auth: ntlm, username: svc, password_env: HVB_CHECK_HA_PW}, hosts: [{name: HV01, address: hv01.lab.example}]}]\n"
	fleet, _ := filepath.Abs("../../examples/fleets/demo.yaml")
	tests := []struct {
		name, body string
		code       int
		want       string
	}{
		{"valid", hosts + "ha: {etcd: {endpoints: [\"http://127.0.0.1:2379\"]}, node_name: hvb-a}\n", 0,
			`(?m)^high availability: etcd http://127.0.0.1:2379, prefix /hvbalancer, session ttl 15s; this daemon is hvb-a at http://127.0.0.1:9707$`},
		{"problems", hosts + "ha: {etcd: {endpoints: [\"etcd1:2379\"], session_ttl: 1s, tls: {ca: nowhere.pem}}}\n", 1,
			`(?s)ha.etcd.endpoints\[0\]: etcd1:2379: want a URL.*ha.etcd.session_ttl: 1s: must be 5s\.\.10m0s.*ha.etcd.tls.ca: \S+nowhere.pem: no such file or directory`},
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
