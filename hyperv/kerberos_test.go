package hyperv

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv/internal/krb5"
	"github.com/jcmturner/gokrb5/v8/keytab"
)

func TestConfigSPN(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"host", Config{Host: "hv01.lab.example"}, "HTTP/hv01.lab.example"},
		{"tls server name", Config{Host: "10.0.0.5", HTTPS: true, TLSServerName: "hv01.lab.example"}, "HTTP/hv01.lab.example"},
		{"explicit", Config{Host: "10.0.0.5", TLSServerName: "hv01.lab.example", Kerberos: KerberosConfig{SPN: "WSMAN/hv01"}}, "WSMAN/hv01"},
		{"address", Config{Host: "10.0.0.5"}, "HTTP/10.0.0.5"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.cfg.spn(); got != tc.want {
				t.Errorf("spn() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSPNNamesIP(t *testing.T) {
	for spn, want := range map[string]bool{
		"HTTP/10.0.0.5":                    true,
		"HTTP/10.0.0.5@LAB.EXAMPLE":        true,
		"HTTP/fe80::1":                     true,
		"HTTP/[fe80::1]:5985":              true,
		"HTTP/hv01.lab.example":            false,
		"HTTP/hv01.lab.example:5985":       false,
		"WSMAN/hv01@LAB.EXAMPLE":           false,
		"not-an-spn":                       false,
		"HTTP/10.0.0.5.example@LAB.EXAMPL": false,
	} {
		if got := spnNamesIP(spn); got != want {
			t.Errorf("spnNamesIP(%q) = %t, want %t", spn, got, want)
		}
	}
}

func TestKerberosError(t *testing.T) {
	krbErr := func(sentinel error) error {
		return &krb5.Error{Op: "get a ticket for HTTP/hv01", Msg: "what happened", Err: sentinel}
	}
	tests := []struct {
		name  string
		err   error
		spn   string
		kinds []error // the package's sentinels it must match
		not   []error // and those it must not
		text  string  // its message ends so
	}{
		{"clock skew", krbErr(krb5.ErrClockSkew), "HTTP/hv01", []error{ErrClockSkew, krb5.ErrClockSkew}, []error{ErrUnauthorized},
			"kerberos clock skew too great: get a ticket for HTTP/hv01: what happened"},
		{"unknown principal", krbErr(krb5.ErrUnknownPrincipal), "HTTP/hv01", []error{ErrUnknownPrincipal}, []error{ErrUnauthorized}, ""},
		{"no kdc", krbErr(krb5.ErrKDCUnreachable), "HTTP/hv01", []error{ErrKDCUnreachable}, []error{ErrUnauthorized, ErrUnreachable}, ""},
		{"wrong password", krbErr(krb5.ErrPreauthFailed), "HTTP/hv01", []error{ErrUnauthorized}, []error{ErrClockSkew}, ""},
		{"locked out", krbErr(krb5.ErrAccountUnusable), "HTTP/hv01", []error{ErrUnauthorized}, nil, ""},
		{"cache expired", krbErr(krb5.ErrExpired), "HTTP/hv01", []error{ErrUnauthorized}, nil, ""},
		{"other", krbErr(krb5.ErrMutualAuth), "HTTP/hv01", []error{krb5.ErrMutualAuth}, []error{ErrUnauthorized, ErrClockSkew}, ""},
		{"ip address", &krb5.Error{Msg: "the KDC has no principal HTTP/10.0.0.5", Err: krb5.ErrUnknownPrincipal}, "HTTP/10.0.0.5",
			[]error{ErrUnknownPrincipal}, nil, "names an IP address, and Active Directory registers SPNs for host names: connect by the host's DNS name, or set tls_server_name or kerberos.spn to it: the KDC has no principal HTTP/10.0.0.5"},
		{"classified once", kerberosError(krbErr(krb5.ErrClockSkew), "HTTP/hv01"), "HTTP/hv01", []error{ErrClockSkew}, nil,
			"kerberos clock skew too great: get a ticket for HTTP/hv01: what happened"},
		{"not kerberos", errors.New("boom"), "HTTP/hv01", nil, []error{ErrUnauthorized}, "boom"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := kerberosError(tc.err, tc.spn)
			for _, k := range tc.kinds {
				if !errors.Is(err, k) {
					t.Errorf("%v does not match %v", err, k)
				}
			}
			for _, k := range tc.not {
				if errors.Is(err, k) {
					t.Errorf("%v matches %v", err, k)
				}
			}
			if tc.text != "" && !strings.HasSuffix(err.Error(), tc.text) {
				t.Errorf("message %q\ndoes not end in %q", err, tc.text)
			}
			if strings.Count(err.Error(), "kerberos clock skew too great") > 1 {
				t.Errorf("classified twice: %v", err)
			}
		})
	}
}

func TestInitiatorsShared(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	conf := write("krb5.conf", "[libdefaults]\n\tdefault_realm = LAB.EXAMPLE\n[realms]\n\tLAB.EXAMPLE = {\n\t\tkdc = 127.0.0.1:1\n\t}\n")
	base := Config{Host: "hv01", Auth: AuthKerberos, Username: "svc", Password: testPassword,
		Kerberos: KerberosConfig{Realm: "LAB.EXAMPLE", ConfigFile: conf}}
	get := func(c Config) any {
		t.Helper()
		init, err := initiators.get(c)
		if err != nil {
			t.Fatal(err)
		}
		return init
	}
	first := get(base)
	other := base
	other.Host, other.HTTPS, other.Kerberos.SPN = "hv02", true, "HTTP/hv02.lab.example"
	if get(other) != first {
		t.Error("two hosts with one credential have separate logins")
	}
	for name, mod := range map[string]func(c *Config){
		"password": func(c *Config) { c.Password += "2" },
		"user":     func(c *Config) { c.Username = "svc2" },
		"realm":    func(c *Config) { c.Kerberos.Realm = "OTHER.EXAMPLE" },
		"krb5.conf content": func(c *Config) {
			c.Kerberos.ConfigFile = write("krb5-copy.conf", "[libdefaults]\n\tdefault_realm = LAB.EXAMPLE\n\tforwardable = true\n")
		},
	} {
		c := base
		mod(&c)
		if get(c) == first {
			t.Errorf("another %s shares the login", name)
		}
	}
	if get(base) != first {
		t.Error("the same credential again has another login")
	}

	// A keytab rewritten in place is another credential: its new keys
	// are used from the next login.
	keytabOf := func(password string, kvno uint8) string {
		kt := keytab.New()
		if err := kt.AddEntry("svc", "LAB.EXAMPLE", password, time.Now(), kvno, 18); err != nil {
			t.Fatal(err)
		}
		b, err := kt.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return write("svc.keytab", string(b))
	}
	withKeytab := base
	withKeytab.Password, withKeytab.Kerberos.Keytab = "", keytabOf("old", 1)
	old := get(withKeytab)
	if old == first || get(withKeytab) != old {
		t.Error("a keytab does not have its own shared login")
	}
	keytabOf("new", 2)
	if get(withKeytab) == old {
		t.Error("a rewritten keytab still uses the login made with its old keys")
	}

	for name, c := range map[string]Config{
		"kerberos.keytab":      {Username: "svc", Kerberos: KerberosConfig{Realm: "LAB.EXAMPLE", ConfigFile: conf, Keytab: filepath.Join(dir, "missing.keytab")}},
		"kerberos.config_file": {Username: "svc", Password: testPassword, Kerberos: KerberosConfig{Realm: "LAB.EXAMPLE", ConfigFile: filepath.Join(dir, "missing.conf")}},
	} {
		if _, err := initiators.get(c); !errors.Is(err, ErrInvalidConfig) || !strings.HasPrefix(err.Error(), name+": ") {
			t.Errorf("missing %s: %v", name, err)
		}
	}
}
