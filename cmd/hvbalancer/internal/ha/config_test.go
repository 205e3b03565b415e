package ha

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestConfigDefaultsAndProblems(t *testing.T) {
	good := Config{Endpoints: []string{"http://127.0.0.1:2379"}, Prefix: "/hvbalancer", Self: Identity{Name: "a"}}
	tests := []struct {
		name string
		edit func(*Config)
		want string // "" when valid
	}{
		{"defaults", func(*Config) {}, ""},
		{"no endpoints", func(c *Config) { c.Endpoints = nil }, "no etcd endpoints"},
		{"bad endpoint", func(c *Config) { c.Endpoints = []string{"http://[::1"} }, `endpoint "http://[::1"`},
		{"fraction of a second", func(c *Config) { c.SessionTTL = 1500 * time.Millisecond }, "session ttl 1.5s"},
		{"below a second", func(c *Config) { c.SessionTTL = 500 * time.Millisecond }, "session ttl 500ms"},
		{"relative prefix", func(c *Config) { c.Prefix = "hvbalancer" }, `prefix "hvbalancer"`},
		{"prefix ends in slash", func(c *Config) { c.Prefix = "/hvbalancer/" }, `prefix "/hvbalancer/"`},
		{"no name", func(c *Config) { c.Self.Name = "" }, "no node name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := good
			tc.edit(&c)
			got, err := c.withDefaults()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.want == "":
				if got.SessionTTL != DefaultSessionTTL || got.DialTimeout != DefaultDialTimeout {
					t.Errorf("defaults: ttl %s, dial %s", got.SessionTTL, got.DialTimeout)
				}
			case err == nil || !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.want):
				t.Errorf("error %v, want ErrConfig naming %q", err, tc.want)
			}
		})
	}
}

func TestLoadTLS(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name          string
		ca, cert, key string
		want          string
	}{
		{"nothing: system roots", "", "", "", ""},
		{"missing ca", filepath.Join(dir, "missing.pem"), "", "", "etcd tls ca"},
		{"ca not PEM", notPEM, "", "", "no PEM certificate"},
		{"cert without key", "", notPEM, "", "cert and key go together"},
		{"cert not PEM", "", notPEM, notPEM, "etcd tls cert"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadTLS(tc.ca, tc.cert, tc.key)
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("LoadTLS: %v, want %q", err, tc.want)
			}
		})
	}
}
