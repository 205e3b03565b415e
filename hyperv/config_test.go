package hyperv

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"strings"
	"testing"
	"time"
)

const testPassword = "Pa55w0rd-s3cr3t!"

// selfSignedPEM returns a fresh self-signed certificate in PEM.
func selfSignedPEM(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func TestConfigValidate(t *testing.T) {
	caPEM := selfSignedPEM(t)
	ok := Config{Host: "hv01.lab.example", Auth: AuthNTLM, Username: "LAB\\svc", Password: testPassword}
	tests := []struct {
		name string
		mod  func(*Config)
		want []string // one substring per expected problem; none = valid
	}{
		{"ntlm", func(*Config) {}, nil},
		{"basic over https", func(c *Config) { c.Auth, c.HTTPS = AuthBasic, true }, nil},
		{"basic over http unencrypted", func(c *Config) { c.Auth, c.Encryption = AuthBasic, EncryptionNever }, nil},
		{"ntlm unencrypted", func(c *Config) { c.Encryption = EncryptionNever }, nil},
		{"ipv6", func(c *Config) { c.Host = "fe80::1" }, nil},
		{"https with ca", func(c *Config) { c.HTTPS = true; c.CACert = caPEM; c.TLSServerName = "hv01" }, nil},
		{"kerberos ccache", func(c *Config) {
			c.Auth = AuthKerberos
			c.Username, c.Password = "", ""
			c.Kerberos = KerberosConfig{Realm: "LAB.EXAMPLE", ConfigFile: "/etc/krb5.conf", CCache: "/tmp/krb5cc"}
		}, nil},
		{"kerberos keytab", func(c *Config) {
			c.Auth, c.Password = AuthKerberos, ""
			c.Kerberos = KerberosConfig{Realm: "LAB.EXAMPLE", ConfigFile: "/etc/krb5.conf", Keytab: "/etc/hvbalancer/svc.keytab"}
		}, nil},
		{"kerberos password", func(c *Config) {
			c.Auth = AuthKerberos
			c.Kerberos = KerberosConfig{Realm: "LAB.EXAMPLE", ConfigFile: "/etc/krb5.conf"}
		}, nil},
		{"kerberos keytab without user", func(c *Config) {
			c.Auth, c.Username, c.Password = AuthKerberos, "", ""
			c.Kerberos = KerberosConfig{Realm: "LAB.EXAMPLE", ConfigFile: "/etc/krb5.conf", Keytab: "/etc/hvbalancer/svc.keytab"}
		}, []string{"kerberos: needs a credential cache, or a username with a keytab or a password"}},
		{"no host", func(c *Config) { c.Host = "" }, []string{"host: required"}},
		{"url as host", func(c *Config) { c.Host = "http://hv01:5985/wsman" }, []string{"host: \"http://hv01:5985/wsman\" is not a host name"}},
		{"control in host", func(c *Config) { c.Host = "hv01\x00" }, []string{"host:"}},
		{"bad port", func(c *Config) { c.Port = 70000 }, []string{"port: 70000 out of range"}},
		{"tls without https", func(c *Config) { c.CACert = caPEM; c.InsecureSkipVerify = true; c.TLSServerName = "x" },
			[]string{"ca_cert: set without https", "insecure_skip_verify: set without https", "tls_server_name: set without https"}},
		{"bad pem", func(c *Config) { c.HTTPS = true; c.CACert = []byte("not pem") }, []string{"ca_cert: no PEM certificate"}},
		{"no credentials", func(c *Config) { c.Username, c.Password = "", "" }, []string{"username: required for ntlm", "password: required for ntlm"}},
		{"basic over http", func(c *Config) { c.Auth = AuthBasic },
			[]string{"auth: basic authentication cannot encrypt messages over HTTP: use HTTPS, or set encryption never for a host with AllowUnencrypted=true"}},
		{"unknown encryption", func(c *Config) { c.Encryption = 7 }, []string{"encryption: unknown setting 7"}},
		{"kerberos incomplete", func(c *Config) { c.Auth = AuthKerberos; c.Password = "" },
			[]string{"kerberos.realm: required", "kerberos.config_file: required", "kerberos: needs a credential cache"}},
		{"unknown auth", func(c *Config) { c.Auth = 9 }, []string{"auth: unknown method 9"}},
		{"negative timeouts", func(c *Config) { c.CallTimeout, c.MoveTimeout = -1, -time.Second }, []string{"call_timeout: -1ns is negative", "move_timeout: -1s is negative"}},
		{"operation timeout", func(c *Config) { c.OperationTimeout = time.Millisecond }, []string{"operation_timeout: 1ms out of range"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.mod(&c)
			err := c.Validate()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if _, err := New(c); err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("%v does not match ErrInvalidConfig", err)
			}
			if got := strings.Count(err.Error(), "\n") + 1; got != len(tc.want) {
				t.Errorf("%d problems, want %d: %v", got, len(tc.want), err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), testPassword) {
				t.Error("error contains the password")
			}
			if _, err := New(c); err == nil {
				t.Error("New accepted an invalid config")
			}
		})
	}
}

func TestConfigRedaction(t *testing.T) {
	c := Config{Host: "hv01", HTTPS: true, Auth: AuthKerberos, Username: "svc", Password: testPassword,
		Kerberos: KerberosConfig{Realm: "LAB", ConfigFile: "/etc/krb5.conf"}}
	var jsonLog, textLog bytes.Buffer
	slog.New(slog.NewJSONHandler(&jsonLog, nil)).Info("x", "config", c, "ptr", &c)
	slog.New(slog.NewTextHandler(&textLog, nil)).Info("x", "config", c)
	outputs := map[string]string{
		"String":    c.String(),
		"%v":        fmt.Sprintf("%v", c),
		"%+v":       fmt.Sprintf("%+v", c),
		"%#v":       fmt.Sprintf("%#v", c),
		"%s ptr":    fmt.Sprintf("config %s", &c),
		"%#v ptr":   fmt.Sprintf("%#v", &c),
		"slog json": jsonLog.String(),
		"slog text": textLog.String(),
	}
	for name, s := range outputs {
		if strings.Contains(s, testPassword) {
			t.Errorf("%s contains the password: %s", name, s)
		}
		if !strings.Contains(s, "hv01") {
			t.Errorf("%s lacks the host: %s", name, s)
		}
	}
	const want = "hyperv.Config{host=hv01 port=5986 https=true ca_cert=false insecure_skip_verify=false auth=kerberos encryption=auto username=svc password=<redacted> realm=LAB krb5_conf=/etc/krb5.conf spn=HTTP/hv01 ccache= keytab= call_timeout=1m0s move_timeout=4h0m0s operation_timeout=5s}"
	if got := c.String(); got != want {
		t.Errorf("String() = %s\nwant       %s", got, want)
	}
}

func TestParseAuthMethod(t *testing.T) {
	for _, m := range []AuthMethod{AuthBasic, AuthNTLM, AuthKerberos} {
		got, err := ParseAuthMethod(strings.ToUpper(m.String()))
		if err != nil || got != m {
			t.Errorf("ParseAuthMethod(%s) = %v, %v", m, got, err)
		}
	}
	if _, err := ParseAuthMethod("credssp"); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("credssp: %v", err)
	}
}

func TestParseEncryption(t *testing.T) {
	tests := []struct {
		in   string
		want Encryption
	}{{"", EncryptionAuto}, {"auto", EncryptionAuto}, {" Never ", EncryptionNever}, {"NEVER", EncryptionNever}}
	for _, tc := range tests {
		got, err := ParseEncryption(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseEncryption(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, e := range []Encryption{EncryptionAuto, EncryptionNever} {
		if got, err := ParseEncryption(e.String()); err != nil || got != e {
			t.Errorf("ParseEncryption(%s) = %v, %v", e, got, err)
		}
	}
	if _, err := ParseEncryption("always"); !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), "want auto or never") {
		t.Errorf("always: %v", err)
	}
	if got := Encryption(5).String(); got != "Encryption(5)" {
		t.Errorf("String() = %s", got)
	}
}

func TestClientDefaults(t *testing.T) {
	c, err := New(Config{Host: "fe80::1", HTTPS: true, InsecureSkipVerify: true, Username: "u", Password: "p"})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Address(); got != "[fe80::1]:5986" {
		t.Errorf("Address() = %s", got)
	}
	if c.cfg.CallTimeout != DefaultCallTimeout || c.cfg.MoveTimeout != DefaultMoveTimeout || c.cfg.OperationTimeout != DefaultOperationTimeout {
		t.Errorf("defaults not applied: %v", c.cfg)
	}
	if got := wsmanDuration(1500 * time.Millisecond); got != "PT1.500S" {
		t.Errorf("wsmanDuration = %s", got)
	}
}
