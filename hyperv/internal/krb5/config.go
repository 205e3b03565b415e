package krb5

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/credentials"
	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/types"
)

// Config says how an Initiator gets its tickets. Exactly one of Password,
// Keytab and CCache is the credential.
type Config struct {
	// Realm is the user's realm, e.g. "CORP.EXAMPLE". Empty = the realm of
	// Username when it has one, else krb5.conf's default_realm.
	Realm string
	// ConfigFile is the krb5.conf path: the realm's KDCs and the
	// encryption types. Parsed is used instead when it is set.
	ConfigFile string
	Parsed     *config.Config
	// Username is the user: "alice", "alice@CORP.EXAMPLE" or "CORP\alice".
	// Not needed with CCache (the cache names its principal).
	Username string
	// Password, Keytab (a keytab file holding the user's keys) or CCache
	// (a credential cache file, as kinit writes it).
	Password string `json:"-"`
	Keytab   string
	CCache   string
	// Timeout bounds each request to one KDC; 0 = DefaultKDCTimeout.
	Timeout time.Duration
	// Now is the clock; nil = time.Now. Tests set it to fake a skew.
	Now func() time.Time
}

// DefaultKDCTimeout bounds one request to one KDC.
const DefaultKDCTimeout = 5 * time.Second

// ErrConfig marks a Config that cannot be used.
var ErrConfig = errors.New("invalid kerberos configuration")

// credential is what the Initiator logs in with.
type credential struct {
	realm    string
	cname    types.PrincipalName
	password string
	keytab   *keytab.Keytab
	ccache   string // path; the TGT is read from it
}

// principal is "name@REALM".
func (c *credential) principal() string {
	return c.cname.PrincipalNameString() + "@" + c.realm
}

// load checks cfg and reads its files: krb5.conf, the keytab, the cache.
func (cfg Config) load() (*config.Config, *credential, error) {
	conf := cfg.Parsed
	if conf == nil {
		if cfg.ConfigFile == "" {
			return nil, nil, fmt.Errorf("%w: no krb5.conf", ErrConfig)
		}
		var err error
		if conf, err = config.Load(cfg.ConfigFile); err != nil {
			return nil, nil, fmt.Errorf("%w: read krb5.conf %s: %v", ErrConfig, cfg.ConfigFile, err)
		}
	}
	n := 0
	for _, set := range []bool{cfg.Password != "", cfg.Keytab != "", cfg.CCache != ""} {
		if set {
			n++
		}
	}
	if n != 1 {
		return nil, nil, fmt.Errorf("%w: want exactly one of a password, a keytab and a credential cache, got %d", ErrConfig, n)
	}
	c := &credential{password: cfg.Password, ccache: cfg.CCache}
	if cfg.CCache != "" {
		cc, err := credentials.LoadCCache(cfg.CCache)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: read credential cache %s: %v", ErrConfig, cfg.CCache, err)
		}
		c.cname, c.realm = cc.DefaultPrincipal.PrincipalName, cc.DefaultPrincipal.Realm
		return conf, c, nil
	}
	name, realm := splitUser(cfg.Username)
	if name == "" {
		return nil, nil, fmt.Errorf("%w: no user name", ErrConfig)
	}
	c.realm = firstOf(cfg.Realm, realm, conf.LibDefaults.DefaultRealm)
	if c.realm == "" {
		return nil, nil, fmt.Errorf("%w: no realm for %s", ErrConfig, name)
	}
	c.cname = types.NewPrincipalName(nametype.KRB_NT_PRINCIPAL, name)
	if cfg.Keytab != "" {
		kt, err := keytab.Load(cfg.Keytab)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: read keytab %s: %v", ErrConfig, cfg.Keytab, err)
		}
		if !keytabHas(kt, c.cname, c.realm) {
			return nil, nil, fmt.Errorf("%w: keytab %s holds no key of %s", ErrConfig, cfg.Keytab, c.principal())
		}
		c.keytab = kt
	}
	return conf, c, nil
}

// splitUser splits "alice@corp.example" into "alice" and "CORP.EXAMPLE",
// and "CORP\alice" into "alice" and "" (a NetBIOS domain is not a realm).
func splitUser(u string) (name, realm string) {
	if _, n, ok := strings.Cut(u, `\`); ok {
		return n, ""
	}
	if i := strings.LastIndex(u, "@"); i >= 0 {
		return u[:i], strings.ToUpper(u[i+1:])
	}
	return u, ""
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func keytabHas(kt *keytab.Keytab, cname types.PrincipalName, realm string) bool {
	for _, e := range kt.Entries {
		if e.Principal.Realm == realm && strings.Join(e.Principal.Components, "/") == cname.PrincipalNameString() {
			return true
		}
	}
	return false
}

// parseSPN parses "HTTP/hv01.corp.example" or
// "HTTP/hv01.corp.example@CORP.EXAMPLE" into a name and a realm ("" when
// absent).
func parseSPN(spn string) (types.PrincipalName, string, error) {
	name, realm, _ := strings.Cut(spn, "@")
	svc, host, ok := strings.Cut(name, "/")
	if !ok || svc == "" || host == "" {
		return types.PrincipalName{}, "", fmt.Errorf("%w: service principal %q is not service/host", ErrConfig, spn)
	}
	return types.NewPrincipalName(nametype.KRB_NT_SRV_INST, name), realm, nil
}
