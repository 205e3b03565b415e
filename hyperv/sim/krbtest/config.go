package krbtest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// writeConfig writes into dir kdc.conf (the KDC's own profile, its
// database and logs kept in dir too) for realm, and krb5.conf (the
// clients'). The KDC listens on 127.0.0.1 only; clients find it there and
// nowhere else (no DNS, host names taken as written), and ask for
// forwardable tickets as a Linux host that delegates to Hyper-V hosts must.
// Every principal requires pre-authentication, as Active Directory accounts
// do.
func writeConfig(dir, realm string, port int, enctypes []string) error {
	path := func(name string) string { return filepath.Join(dir, name) }
	keysalts := make([]string, len(enctypes))
	for i, e := range enctypes {
		keysalts[i] = e + ":normal"
	}
	kdc := fmt.Sprintf(`[kdcdefaults]
	kdc_listen = 127.0.0.1:%[2]d
	kdc_tcp_listen = 127.0.0.1:%[2]d

[realms]
	%[1]s = {
		database_name = %[3]s
		key_stash_file = %[4]s
		max_life = 10h 0m 0s
		max_renewable_life = 7d 0h 0m 0s
		supported_enctypes = %[5]s
		default_principal_flags = +preauth
	}

[logging]
	kdc = FILE:%[6]s
	admin_server = FILE:%[7]s
	default = FILE:%[7]s
`, realm, port, path("principal"), path("stash"), strings.Join(keysalts, " "),
		path("kdc.log"), path("kadmin.log"))
	client := fmt.Sprintf(`[libdefaults]
	default_realm = %[1]s
	dns_lookup_kdc = false
	dns_lookup_realm = false
	rdns = false
	dns_canonicalize_hostname = false
	forwardable = true
	udp_preference_limit = 1465
	default_tkt_enctypes = %[3]s
	default_tgs_enctypes = %[3]s
	permitted_enctypes = %[3]s

[realms]
	%[1]s = {
		kdc = 127.0.0.1:%[2]d
	}
`, realm, port, strings.Join(enctypes, " "))
	if err := os.WriteFile(path("kdc.conf"), []byte(kdc), 0o600); err != nil {
		return fmt.Errorf("write kdc.conf: %w", err)
	}
	if err := os.WriteFile(path("krb5.conf"), []byte(client), 0o644); err != nil {
		return fmt.Errorf("write krb5.conf: %w", err)
	}
	return nil
}
