package hyperv

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"os"
	"runtime"
	"sync"
	"weak"

	"github.com/hvbalancer/hvbalancer/hyperv/internal/krb5"
)

// initiators shares one Kerberos Initiator among the Clients of one
// credential, so that a fleet of hosts logged in to with the same account
// costs one AS exchange and one TGS exchange per host, not one of each
// per host and connection. It holds its Initiators weakly: one lives as
// long as a Client uses it, and a Client made after the last one is
// closed and collected logs in again.
//
// It is the package's only process-wide state, and only a cache: two
// Clients with the same credential behave as they would with their own
// Initiators, except that they share its tickets and its count of KDC
// requests.
var initiators = &initiatorCache{m: make(map[credentialKey]weak.Pointer[krb5.Initiator])}

// credentialKey identifies a credential: a hash of the realm, the user,
// the secret (the password, the keytab's bytes, or the credential
// cache's path, which is read again when its ticket expires) and
// krb5.conf's path and bytes. A keytab or krb5.conf rewritten in place
// makes another key, so a Client made after the change does not use the
// old keys or KDCs.
type credentialKey [sha256.Size]byte

type initiatorCache struct {
	mu sync.Mutex
	m  map[credentialKey]weak.Pointer[krb5.Initiator]
}

// get returns the Initiator of c's credential, making it when no live
// Client holds one. It reads krb5.conf and the keytab every time, to tell
// whether they changed.
func (ic *initiatorCache) get(c Config) (*krb5.Initiator, error) {
	kc, key, err := kerberosCredential(c)
	if err != nil {
		return nil, err
	}
	ic.mu.Lock()
	defer ic.mu.Unlock()
	if wp, ok := ic.m[key]; ok {
		if init := wp.Value(); init != nil {
			return init, nil
		}
	}
	init, err := krb5.NewInitiator(kc)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	wp := weak.Make(init)
	ic.m[key] = wp
	runtime.AddCleanup(init, ic.drop, cacheEntry{key, wp})
	return init, nil
}

// cacheEntry is what drop needs to remove a collected Initiator.
type cacheEntry struct {
	key credentialKey
	wp  weak.Pointer[krb5.Initiator]
}

// drop forgets a collected Initiator, unless its key has a newer one.
func (ic *initiatorCache) drop(e cacheEntry) {
	ic.mu.Lock()
	defer ic.mu.Unlock()
	if ic.m[e.key] == e.wp {
		delete(ic.m, e.key)
	}
}

// kerberosCredential returns the krb5 configuration of a validated config
// and its credential's key: the credential cache when set, else the
// keytab, else the password.
func kerberosCredential(c Config) (krb5.Config, credentialKey, error) {
	k := c.Kerberos
	kc := krb5.Config{Realm: k.Realm, ConfigFile: k.ConfigFile}
	conf, err := os.ReadFile(k.ConfigFile)
	if err != nil {
		return kc, credentialKey{}, fmt.Errorf("kerberos.config_file: %w: %w", ErrInvalidConfig, err)
	}
	h := sha256.New()
	field := func(b []byte) {
		h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(b))))
		h.Write(b)
	}
	field([]byte(k.Realm))
	field([]byte(k.ConfigFile))
	field(conf)
	switch {
	case k.CCache != "":
		kc.CCache = k.CCache
		field([]byte("ccache"))
		field([]byte(k.CCache))
	case k.Keytab != "":
		kt, err := os.ReadFile(k.Keytab)
		if err != nil {
			return kc, credentialKey{}, fmt.Errorf("kerberos.keytab: %w: %w", ErrInvalidConfig, err)
		}
		kc.Username, kc.Keytab = c.Username, k.Keytab
		field([]byte("keytab"))
		field([]byte(c.Username))
		field([]byte(k.Keytab))
		field(kt)
	default:
		kc.Username, kc.Password = c.Username, c.Password
		field([]byte("password"))
		field([]byte(c.Username))
		field([]byte(c.Password))
	}
	var key credentialKey
	h.Sum(key[:0])
	return kc, key, nil
}
