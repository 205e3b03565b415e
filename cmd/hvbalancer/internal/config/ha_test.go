package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestInvalidHAConfigs(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"invalid-ha.yaml", []string{
			"ha: cannot be used with simulator: each daemon would run a fleet of its own; run hvsim once and name its hosts in clusters",
			"ha.etcd.endpoints[1]: etcd2.example:2379: want a URL such as https://etcd1.example:2379 (http or https, a host and a port)",
			"ha.etcd.endpoints[2]: http://etcd3.example:2379/v3: want a URL such as https://etcd1.example:2379 (http or https, a host and a port)",
			"ha.etcd.endpoints[3]: http://bad_host!:2379: want a DNS name (at most 253 characters, labels of at most 63 letters, digits, hyphens or underscores) or an IP address",
			"ha.etcd.prefix: hvbalancer/: want a key prefix such as /hvbalancer or /hvbalancer/site-a: a leading slash, no trailing one, no spaces",
			"ha.etcd.session_ttl: 2s: must be 5s..10m0s: a shorter lease deposes a healthy leader during an etcd election or a pause, a longer one leaves the fleet without a leader that long",
			"ha.node_name: hvb\x01one: control characters are not allowed",
			"ha.advertise: required when http.listen binds every interface: the URL the other daemons reach this one's API at, such as https://hvb1.example:9707",
			"signing.key_file: required with ha: a new leader refuses the plans the last one signed with a key of its own; copy one key file to every daemon and name it here (or list the others' public keys in signing.trusted_keys)",
		}},
		{"invalid-ha-tls.yaml", []string{
			"ha.etcd.endpoints: ha.etcd.tls is set: want https:// endpoints",
			"ha.etcd.session_ttl: 7.5s: must be whole seconds (an etcd lease)",
			"ha.etcd.tls.ca: " + abs(t, "testdata/password") + ": no PEM certificate in the file",
			"ha.etcd.tls: cert and key go together: set both or neither",
			"ha.advertise: ftp://hvb1.example:9707: want a URL such as https://etcd1.example:2379 (http or https, a host and a port)",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			_, err := Load(filepath.Join("testdata", "config", tc.file))
			if err == nil {
				t.Fatal("loaded without error")
			}
			prefix := "config " + filepath.Join("testdata", "config", tc.file) + ": "
			if diff := cmp.Diff(tc.want, strings.Split(strings.TrimPrefix(err.Error(), prefix), "\n")); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

// TestHADefaults proves that an ha section with only endpoints gets the
// documented defaults, that TLS files are resolved and parsed, that a
// file without ha runs alone, and that daemons sharing etcd are refused a
// signing key of each one's own.
func TestHADefaults(t *testing.T) {
	dir := t.TempDir()
	writeCert(t, dir, "etcd")
	writeCert(t, dir, "other")
	if err := os.WriteFile(filepath.Join(dir, "hvb-b.pub"), []byte("a public key"), 0o600); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	// Daemons that share etcd sign with one key, or trust each other's.
	const signing = "signing: {key_file: plan-signing.key}\n"
	const endpoints = "ha: {etcd: {endpoints: [\"http://127.0.0.1:2379\"]}}\n"
	tests := []struct {
		name string
		yaml string
		want *HA
		errs string
	}{
		{"absent: a daemon alone", "", nil, ""},
		{"endpoints only", signing + endpoints, &HA{
			Etcd:     Etcd{Endpoints: []string{"http://127.0.0.1:2379"}, Prefix: "/hvbalancer", SessionTTL: 15 * time.Second, DialTimeout: 5 * time.Second},
			NodeName: host, Advertise: "http://127.0.0.1:9707",
		}, ""},
		{"tls and every key", signing + `ha:
  etcd: {endpoints: ["https://etcd1.example:2379", "https://10.0.0.2:2379"], tls: {ca: etcd.crt, cert: etcd.crt, key: etcd.key}, prefix: /hvbalancer/site-a, session_ttl: 10s, dial_timeout: 2s}
  node_name: hvb-a
  advertise: https://hvb-a.example:9707
`, &HA{
			Etcd: Etcd{Endpoints: []string{"https://etcd1.example:2379", "https://10.0.0.2:2379"},
				TLS:    EtcdTLS{CA: filepath.Join(dir, "etcd.crt"), Cert: filepath.Join(dir, "etcd.crt"), Key: filepath.Join(dir, "etcd.key")},
				Prefix: "/hvbalancer/site-a", SessionTTL: 10 * time.Second, DialTimeout: 2 * time.Second},
			NodeName: "hvb-a", Advertise: "https://hvb-a.example:9707",
		}, ""},
		{"key of another pair", signing + `ha:
  etcd: {endpoints: ["https://etcd1.example:2379"], tls: {cert: etcd.crt, key: other.key}}
`, nil, "ha.etcd.tls: cert and key do not load as a pair: tls: private key does not match public key"},
		{"the others' keys trusted", "signing: {trusted_keys: [hvb-b.pub]}\n" + endpoints, &HA{
			Etcd:     Etcd{Endpoints: []string{"http://127.0.0.1:2379"}, Prefix: "/hvbalancer", SessionTTL: 15 * time.Second, DialTimeout: 5 * time.Second},
			NodeName: host, Advertise: "http://127.0.0.1:9707",
		}, ""},
		{"a key of each daemon's own", endpoints, nil, "signing.key_file: required with ha: a new leader refuses the plans the last one signed with a key of its own; copy one key file to every daemon and name it here (or list the others' public keys in signing.trusted_keys)"},
	}
	policies, _ := filepath.Abs("testdata/policies")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := "version: 1\nclusters: [{name: lab, winrm: {https: true, auth: ntlm, username: svc, password_env: HVB_PW}, hosts: [{name: HV01, address: hv01.lab.example}]}]\npolicy: {dir: " + policies + "}\n" + tc.yaml
			c, err := Parse([]byte(doc), dir)
			if tc.errs != "" {
				if err == nil || err.Error() != tc.errs {
					t.Fatalf("error %v, want %s", err, tc.errs)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, c.HA); diff != "" {
				t.Errorf("ha (-want +got):\n%s", diff)
			}
		})
	}
}

func abs(t *testing.T, p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
