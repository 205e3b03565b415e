package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	krb5config "github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/keytab"

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/config"
)

// inspectKerberos reads the endpoint's krb5.conf and keytab: the realm
// must have a KDC, the keytab a key for the user.
func inspectKerberos(r *report, path string, ep config.Endpoint) {
	k := ep.Kerberos
	if k.ConfigFile != "" && r.once("krb5\x00"+k.ConfigFile+"\x00"+k.Realm) {
		inspectKrb5Conf(r, path+".config_file", k.ConfigFile, k.Realm)
	}
	if k.Keytab != "" && r.once("keytab\x00"+k.Keytab+"\x00"+ep.Username+"\x00"+k.Realm) {
		inspectKeytab(r, path+".keytab", k.Keytab, ep.Username, k.Realm)
	}
}

func inspectKrb5Conf(r *report, path, file, realm string) {
	cfg, err := krb5config.Load(file)
	var unsupported krb5config.UnsupportedDirective
	if err != nil && !errors.As(err, &unsupported) {
		r.problem(path, "%s: not a krb5.conf: %v", file, err)
		return
	}
	if cfg == nil {
		r.problem(path, "%s: not a krb5.conf", file)
		return
	}
	hasKDC := cfg.LibDefaults.DNSLookupKDC
	for _, rl := range cfg.Realms {
		if strings.EqualFold(rl.Realm, realm) && len(rl.KDC) > 0 {
			hasKDC = true
		}
	}
	if !hasKDC && realm != "" {
		r.problem(path, "%s names no kdc for realm %s: add it under [realms], or set dns_lookup_kdc = true", file, realm)
	}
	if !cfg.LibDefaults.Forwardable {
		r.warn(path, "%s does not set forwardable = true in [libdefaults]: live migration between stand-alone hosts needs forwardable tickets", file)
	}
}

func inspectKeytab(r *report, path, file, user, realm string) {
	kt, err := keytab.Load(file)
	if err != nil {
		r.problem(path, "%s: not a keytab: %v", file, err)
		return
	}
	name, want := principalOf(user, realm)
	var have []string
	for _, e := range kt.Entries {
		p := strings.Join(e.Principal.Components, "/") + "@" + e.Principal.Realm
		if strings.EqualFold(strings.Join(e.Principal.Components, "/"), name) && strings.EqualFold(e.Principal.Realm, want) {
			return
		}
		if !slices.Contains(have, p) {
			have = append(have, p)
		}
	}
	r.problem(path, "%s holds no key for %s@%s (it has %s)", file, name, want, orNone(have))
}

// principalOf splits a configured user name (user, user@REALM or
// DOMAIN\user) into the principal's name and realm.
func principalOf(user, realm string) (string, string) {
	if i := strings.LastIndexByte(user, '\\'); i >= 0 {
		user = user[i+1:]
	}
	if i := strings.LastIndexByte(user, '@'); i >= 0 {
		return user[:i], strings.ToUpper(user[i+1:])
	}
	return user, strings.ToUpper(realm)
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return fmt.Sprint(strings.Join(s, ", "))
}
