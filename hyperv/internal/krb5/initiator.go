package krb5

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/iana/flags"
	"github.com/jcmturner/gokrb5/v8/types"
)

// Initiator is a Kerberos client: one per credential. It logs in once,
// keeps one service ticket per SPN until it expires, and makes a security
// context per connection from them. It is safe for concurrent use.
type Initiator struct {
	conf *config.Config
	cred *credential
	kdc  *kdcClient
	now  func() time.Time

	loginMu     sync.Mutex // held during a login; guards tgtCache and lastPreauth
	tgtCache    *ticket
	lastPreauth *preauth

	mu      sync.Mutex // guards tickets
	tickets map[string]*ticketSlot
}

// NewInitiator checks cfg and reads its files. It does not contact a KDC:
// the first InitSecContext (or Login) does.
func NewInitiator(cfg Config) (*Initiator, error) {
	conf, cred, err := cfg.load()
	if err != nil {
		return nil, err
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Initiator{
		conf:    conf,
		cred:    cred,
		kdc:     &kdcClient{conf: conf, timeout: cfg.Timeout},
		now:     now,
		tickets: make(map[string]*ticketSlot),
	}, nil
}

// Principal is the user principal, e.g. "alice@CORP.EXAMPLE".
func (i *Initiator) Principal() string { return i.cred.principal() }

// Login gets a ticket-granting ticket unless a valid one is held: an AS
// exchange with a password or keytab, or the credential cache's.
func (i *Initiator) Login(ctx context.Context) error {
	_, err := i.tgt(ctx)
	return err
}

// KDCRequests counts the requests sent to KDCs since the Initiator was
// made: AS-REQs (a first login takes two, the first answered "pre-
// authentication required") and TGS-REQs, including those that got no
// answer.
func (i *Initiator) KDCRequests() uint64 { return i.kdc.requests.Load() }

// TicketInfo describes a ticket the Initiator holds.
type TicketInfo struct {
	Server      string // e.g. "krbtgt/CORP.EXAMPLE@CORP.EXAMPLE", "HTTP/hv01@CORP.EXAMPLE"
	Start, End  time.Time
	Forwardable bool
	Renewable   bool
	Etype       string // of the session key, e.g. "aes256-cts-hmac-sha1-96"
}

// Tickets lists the tickets held: the ticket-granting ticket first, then
// the service tickets by name.
func (i *Initiator) Tickets() []TicketInfo {
	var out []TicketInfo
	i.loginMu.Lock()
	if i.tgtCache != nil {
		out = append(out, i.tgtCache.info())
	}
	i.loginMu.Unlock()
	i.mu.Lock()
	slots := make([]*ticketSlot, 0, len(i.tickets))
	for _, s := range i.tickets {
		slots = append(slots, s)
	}
	i.mu.Unlock()
	var svc []TicketInfo
	for _, s := range slots {
		s.mu.Lock()
		if s.t != nil {
			svc = append(svc, s.t.info())
		}
		s.mu.Unlock()
	}
	sort.Slice(svc, func(a, b int) bool { return svc[a].Server < svc[b].Server })
	return append(out, svc...)
}

func (t *ticket) info() TicketInfo {
	return TicketInfo{
		Server:      t.server,
		Start:       t.start,
		End:         t.end,
		Forwardable: types.IsFlagSet(&t.flags, flags.Forwardable),
		Renewable:   types.IsFlagSet(&t.flags, flags.Renewable),
		Etype:       etypeName(t.key.KeyType),
	}
}

// InitSecContext starts the security context of one connection to the
// service spn (e.g. "HTTP/hv01.corp.example"): it gets the service ticket
// (from the cache, or one TGS exchange) and makes the AP-REQ. bindings is
// the application data of the TLS channel bindings
// ("tls-server-end-point:" and the certificate's hash) over HTTPS, nil
// over HTTP. The context's Token (or SPNEGOToken) goes to the host;
// Complete takes its answer.
func (i *Initiator) InitSecContext(ctx context.Context, spn string, bindings []byte) (*ClientContext, error) {
	t, err := i.serviceTicket(ctx, spn)
	if err != nil {
		return nil, err
	}
	return newClientContext(i, t, spn, bindings)
}
