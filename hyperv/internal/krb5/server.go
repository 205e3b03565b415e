package krb5

import (
	"sync"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv/internal/wsmv"
	"github.com/jcmturner/gokrb5/v8/types"
)

// ServerContext is the host side of one connection's security context,
// made by Acceptor.Accept. Wrap and Unwrap seal and open the connection's
// messages; a context must not be used from two goroutines at once.
type ServerContext struct {
	sealer
	client      string
	spn         string
	flags       uint32
	bindings    [16]byte
	forwardable bool
	mutual      bool
	sessionKey  types.EncryptionKey
	ctime       time.Time
	cusec       int
}

var _ wsmv.Sealer = (*ServerContext)(nil)

// Client is the authenticated client principal, e.g. "alice@CORP.EXAMPLE".
func (s *ServerContext) Client() string { return s.client }

// SPN is the service principal the client's ticket was for.
func (s *ServerContext) SPN() string { return s.spn }

// Forwardable reports whether the client's ticket is forwardable, which
// constrained delegation from this host needs.
func (s *ServerContext) Forwardable() bool { return s.forwardable }

// Sealing reports whether the client asked for confidentiality, which
// MS-WSMV message encryption needs.
func (s *ServerContext) Sealing() bool { return s.flags&flagConf != 0 }

// HasChannelBindings reports whether the client bound the context to its
// TLS channel.
func (s *ServerContext) HasChannelBindings() bool {
	return gssChecksum{bindings: s.bindings}.hasBindings()
}

// ChannelBindingsMatch reports whether the client bound the context to
// the TLS channel whose channel bindings application data is appData.
func (s *ServerContext) ChannelBindingsMatch(appData []byte) bool {
	return s.bindings == ChannelBindingsHash(appData)
}

// replayCache remembers the authenticators seen within the skew window
// (RFC 4120 section 3.2.3): an AP-REQ seen twice is a replay.
type replayCache struct {
	mu     sync.Mutex
	keep   time.Duration
	seen   map[string]time.Time // authenticator → when it may be forgotten
	expiry []replayEntry        // in insertion order, so in expiry order
}

type replayEntry struct {
	key string
	at  time.Time
}

func newReplayCache(keep time.Duration) *replayCache {
	return &replayCache{keep: keep, seen: make(map[string]time.Time)}
}

// add records key and reports whether it was new. Entries older than the
// window are forgotten first, so the cache holds one window of logins.
func (r *replayCache) add(key string, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for len(r.expiry) > 0 && !r.expiry[0].at.After(now) {
		if r.seen[r.expiry[0].key].Equal(r.expiry[0].at) {
			delete(r.seen, r.expiry[0].key)
		}
		r.expiry = r.expiry[1:]
	}
	if _, ok := r.seen[key]; ok {
		return false
	}
	at := now.Add(r.keep)
	r.seen[key] = at
	r.expiry = append(r.expiry, replayEntry{key: key, at: at})
	return true
}
