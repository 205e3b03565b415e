package executor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
	"github.com/hvbalancer/hvbalancer/balancer/moves"
	"github.com/hvbalancer/hvbalancer/hyperv"
)

// Migrator performs and locates live migrations.
type Migrator interface {
	// Migrate live-migrates m.VM from m.From to m.To and returns when the
	// migration ends. It must return when ctx ends.
	Migrate(ctx context.Context, m moves.Move) error
	// Locate finds where a VM runs now; an error wrapping ErrVMLost means
	// that every host answered and none has it. The hosts named in likely
	// (the move's destination, then its source) are asked first, so that a
	// slow host elsewhere does not hold up a verification.
	Locate(ctx context.Context, vmID string, likely ...string) (Location, error)
	// Compare asks whether m.To can take m.VM by the move m describes
	// (Compare-VM on m.From, with m's storage path) and returns every
	// reason it cannot, each wrapping its cause sentinel; none means the
	// move may go. It changes nothing.
	Compare(ctx context.Context, m moves.Move) ([]hyperv.Incompatibility, error)
}

// Location is where a VM was found.
type Location struct {
	Host      string
	Running   bool
	Migrating bool   // its status says a migration is under way
	State     string // the VM's state as the host names it, e.g. "Running"
}

// Validator re-checks a move against fresh state and the current policy
// just before it starts. earlier are the moves submitted with it (one
// Submit call) that come before it there and have started or succeeded,
// in the order they took their slots: the planner planned m with them
// applied, and so should the re-check (see balancer.Recheck). A non-nil
// error (wrapping ErrStale when the move no longer makes sense) skips the
// move with that error as the reason.
type Validator interface {
	Validate(ctx context.Context, m moves.Move, earlier []moves.Move) error
}

// Errors of the executor.
var (
	// ErrStale is wrapped by a Validator's error when a move no longer fits
	// the fleet or the policy.
	ErrStale = errors.New("move is stale")
	// ErrVMLost is wrapped by Locate when no host has the VM.
	ErrVMLost = errors.New("no host has the vm")
	// ErrUnknownMove is returned by Wait for a move id the executor neither
	// queued nor journaled.
	ErrUnknownMove = errors.New("no such move")
	// ErrDrainTimeout is returned by Run when migrations were still running
	// at the end of the drain timeout; their calls were cancelled and their
	// outcome is reconciled by locating the VMs.
	ErrDrainTimeout = errors.New("drain timeout")
)

// Config sets the executor's limits. Zero fields take the defaults
// in parentheses.
type Config struct {
	MaxConcurrent int                   // migrations in flight overall (4)
	PerHostCap    int                   // cap on each host's own limit (2)
	HostLimit     func(host string) int // the host's MaximumVirtualMachineMigrations; <= 0 means 2
	Rate          rate.Limit            // migrations started per second (10 per minute)
	Burst         int                   // token bucket size (2)
	// Evacuating says whether a host is in maintenance: a move out of it
	// is an evacuation, started under EvacuationRate instead of Rate, and
	// as many at once as the host's own limit allows, PerHostCap aside
	// (see evacuation.go). Nil: no host is. Called with the executor's
	// lock held: it must not call the executor.
	Evacuating     func(host string) bool
	EvacuationRate rate.Limit // evacuations started per second, apart from Rate (60 per minute)

	Cooldown         time.Duration // a VM is not moved again within this of its last move (1h)
	HoldAfterFailure time.Duration // a VM whose move failed waits this long (30m)
	BreakerThreshold int           // consecutive failures touching a host that open its breaker (3)
	BreakerCooldown  time.Duration // an open breaker lets one trial move through after this (10m)

	DrainTimeout      time.Duration // wait for in-flight migrations at shutdown (10m)
	VerifyTimeout     time.Duration // deadline of each Locate and Validate call (2m)
	MigrateTimeout    time.Duration // deadline of each Migrate call (4h)
	ReconcileBackoff  time.Duration // first wait between locating a VM whose outcome is unknown (5s)
	ReconcileAttempts int           // Locate attempts right after an unknown outcome (10)
	ReconcileInterval time.Duration // Run retries every unresolved outcome this often (5m)

	Now     func() time.Time // the clock (time.Now); drives cooldowns, holds, breakers and the token bucket
	OnEvent func(Event)      // progress, for apply and the status page; called without locks held, must not block
}

// withDefaults fills the zero fields.
func (c Config) withDefaults() Config {
	defInt := func(p *int, v int) {
		if *p <= 0 {
			*p = v
		}
	}
	defDur := func(p *time.Duration, v time.Duration) {
		if *p <= 0 {
			*p = v
		}
	}
	defInt(&c.MaxConcurrent, 4)
	defInt(&c.PerHostCap, 2)
	defInt(&c.Burst, 2)
	defInt(&c.BreakerThreshold, 3)
	defInt(&c.ReconcileAttempts, 10)
	defDur(&c.Cooldown, time.Hour)
	defDur(&c.HoldAfterFailure, 30*time.Minute)
	defDur(&c.BreakerCooldown, 10*time.Minute)
	defDur(&c.DrainTimeout, 10*time.Minute)
	defDur(&c.VerifyTimeout, 2*time.Minute)
	defDur(&c.MigrateTimeout, 4*time.Hour)
	defDur(&c.ReconcileBackoff, 5*time.Second)
	defDur(&c.ReconcileInterval, 5*time.Minute)
	if c.Rate <= 0 {
		c.Rate = rate.Limit(10.0 / 60)
	}
	if c.EvacuationRate <= 0 {
		c.EvacuationRate = rate.Limit(60.0 / 60)
	}
	if c.Evacuating == nil {
		c.Evacuating = func(string) bool { return false }
	}
	if c.HostLimit == nil {
		c.HostLimit = func(string) int { return 0 }
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// job is one submitted move, from the queue to its outcome.
type job struct {
	id, plan string
	index    int // in its Submit call
	m        moves.Move
	queued   time.Time
	started  time.Time         // when it took its slots
	phase    string            // validating, comparing, migrating, verifying
	res      *rate.Reservation // its token, given back when re-validation skips it
	trials   []string          // hosts whose half-open trial this move is
	// resumed marks a move queued again from the journal by New: it starts
	// only once Reconcile has run, and while held only once ResumeQueued or
	// a Submit of its move id lets it.
	resumed, held bool
	// back marks a staged evacuation that a stop caught before Move-VM:
	// journaled queued again, it goes back in the queue when it frees its
	// slots (see requeueStaged).
	back bool
}

// Executor carries out moves as a streaming queue within every limit: a
// move starts as soon as a slot frees. Each move is journaled before and
// after Move-VM; a move id runs at most once, and a VM whose outcome is
// unknown is not moved again until locating it tells the outcome.
type Executor struct {
	cfg     Config
	mig     Migrator
	val     Validator
	journal journal.Store
	log     *slog.Logger
	limiter *rate.Limiter
	evac    *rate.Limiter // evacuations' own token bucket
	metrics *execMetrics

	mu          sync.Mutex
	queue       []*job
	known       map[string]bool          // move ids queued or being carried out here
	inflight    map[string]*job          // moves that hold slots
	hostBusy    map[string]int           // migrations touching each host
	unresolved  map[string]journal.Entry // outcomes not known, by move id: their VMs are blocked
	reconciling map[string]bool          // move ids someone is locating now
	lastMoved   map[string]time.Time     // VM id -> end of its last successful move
	begun       map[string][]*job        // by Submit name: moves that took slots and did not fail or skip
	held        map[string]time.Time     // VM id -> held until, after a failed move
	breakers    map[string]*breaker
	paused      bool
	reason      string
	running     bool
	stopping    bool            // Run's context ended: no staged evacuation starts
	reconciled  bool            // Reconcile has run: moves resumed from the journal may start
	bgCtx       context.Context // background reconciliation, while Run runs
	changed     chan struct{}   // closed and replaced when a move's state changes
	wake        chan struct{}   // pokes Run
	wg          sync.WaitGroup  // in-flight moves
	bg          sync.WaitGroup  // background reconciliation
}

// New makes an executor over a migrator and a journal. It reads the
// journal: entries whose outcome is unknown block their VMs (Reconcile
// resolves them), recent successes and failures start the cooldowns and
// holds, and the moves journaled as queued (submitted before a restart,
// never started) are queued again, held until Reconcile has run and
// ResumeQueued or a Submit of their move ids lets them go. v may be nil
// (no re-validation); reg may be nil (no metrics). Run starts it.
func New(cfg Config, m Migrator, v Validator, j journal.Store, log *slog.Logger, reg prometheus.Registerer) (*Executor, error) {
	if m == nil || j == nil {
		return nil, errors.New("new executor: a migrator and a journal are required")
	}
	cfg = cfg.withDefaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	e := &Executor{
		cfg: cfg, mig: m, val: v, journal: j, log: log,
		limiter:  rate.NewLimiter(cfg.Rate, cfg.Burst),
		evac:     rate.NewLimiter(cfg.EvacuationRate, evacuationBurst(cfg.Burst)),
		known:    map[string]bool{},
		inflight: map[string]*job{}, hostBusy: map[string]int{},
		unresolved: map[string]journal.Entry{}, reconciling: map[string]bool{},
		held: map[string]time.Time{}, breakers: map[string]*breaker{},
		begun:   map[string][]*job{},
		changed: make(chan struct{}), wake: make(chan struct{}, 1),
	}
	if err := e.load(); err != nil {
		return nil, fmt.Errorf("new executor: %w", err)
	}
	var err error
	if e.metrics, err = newExecMetrics(reg, e); err != nil {
		return nil, fmt.Errorf("new executor: %w", err)
	}
	return e, nil
}

// load reads what the journal says about blocked, cooling and held VMs.
func (e *Executor) load() error {
	un, err := e.journal.Unresolved()
	if err != nil {
		return err
	}
	for _, en := range un {
		e.unresolved[en.MoveID] = en
	}
	if e.lastMoved, err = e.journal.LastMoved(); err != nil {
		return err
	}
	if err := e.loadQueued(); err != nil {
		return err
	}
	now := e.cfg.Now()
	_, err = e.journal.Entries(0, func(en journal.Entry) bool {
		if until := en.Ended.Add(e.cfg.HoldAfterFailure); en.State == journal.StateFailed && now.Before(until) && until.After(e.held[en.VMID]) {
			e.held[en.VMID] = until
		}
		return false
	})
	return err
}

// poke wakes Run.
func (e *Executor) poke() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// broadcastLocked tells Wait that a move's state changed.
func (e *Executor) broadcastLocked() {
	close(e.changed)
	e.changed = make(chan struct{})
}

// Submit queues a plan's moves with the move ids MoveID(planID, index) and
// returns the ids. The new ones are journaled as queued (synced) before
// Submit returns, so that a restart queues them again. A move id that is
// queued, being carried out or journaled in any other state is not queued
// again: one decision never migrates a VM twice. A move id that New queued
// again from the journal and holds is let go.
func (e *Executor) Submit(planID string, moves []moves.Move) ([]string, error) {
	for i, m := range moves {
		if m.VM == "" || m.From == "" || m.To == "" || strings.EqualFold(m.From, m.To) {
			return nil, fmt.Errorf("submit %s: move %d: want a vm and two different hosts, have vm %q from %q to %q", planID, i, m.VM, m.From, m.To)
		}
	}
	ids := make([]string, len(moves))
	var fresh []*job
	e.mu.Lock()
	now := e.cfg.Now()
	released := 0
	for i, m := range moves {
		id := MoveID(planID, i)
		ids[i] = id
		if e.known[id] {
			released += e.releaseLocked(id)
			continue
		}
		fresh = append(fresh, &job{id: id, plan: planID, index: i, m: m, queued: now})
	}
	queued, err := e.journalQueuedLocked(fresh, now)
	if err != nil {
		e.mu.Unlock()
		return nil, fmt.Errorf("submit %s: %w", planID, err)
	}
	for _, j := range queued {
		e.queue = append(e.queue, j)
		e.known[j.id] = true
	}
	e.metrics.queue.Set(float64(len(e.queue)))
	if len(queued) > 0 || released > 0 {
		e.broadcastLocked()
	}
	// The queued events read copies: once e.mu is released, Run may start
	// a job (and write its started) before its event is sent.
	events := make([]job, len(queued))
	for i, j := range queued {
		events[i] = *j
	}
	e.mu.Unlock()
	for i := range events {
		e.emit(&events[i], EventQueued, "", "")
	}
	e.poke()
	return ids, nil
}

// MoveID is the move id Submit gives the move at index i of a Submit call
// named planID.
func MoveID(planID string, i int) string { return fmt.Sprintf("%s/%d", planID, i) }

// Pause stops new migrations from starting; in-flight ones finish and
// queued ones wait.
func (e *Executor) Pause(reason string) {
	e.mu.Lock()
	e.paused, e.reason = true, reason
	e.mu.Unlock()
	e.metrics.paused.Set(1)
	e.log.Info("executor paused", "reason", reason)
}

// Resume lets migrations start again.
func (e *Executor) Resume() {
	e.mu.Lock()
	was := e.paused
	e.paused, e.reason = false, ""
	e.broadcastLocked() // staged evacuations wait for it (see awaitWire)
	e.mu.Unlock()
	e.metrics.paused.Set(0)
	if was {
		e.log.Info("executor resumed")
	}
	e.poke()
}

// Paused reports whether the executor is paused, and why.
func (e *Executor) Paused() (bool, string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.paused, e.reason
}

// Blocked reports whether a VM may not be moved now: a move of it has an
// unknown or unresolved outcome or is running, its last move failed less
// than HoldAfterFailure ago, or it moved within the cooldown.
func (e *Executor) Blocked(vmID string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	cause, _ := e.vmRefusalLocked(vmID, e.cfg.Now())
	return cause != ""
}

// vmRefusalLocked says why vmID may not move now, as a cause and a
// reason, or "" when it may.
func (e *Executor) vmRefusalLocked(vmID string, now time.Time) (cause, reason string) {
	for _, en := range e.unresolved {
		if en.VMID == vmID {
			return CauseBlocked, fmt.Sprintf("the outcome of move %s is %s until the vm is located", en.MoveID, en.State)
		}
	}
	for _, j := range e.inflight {
		if j.m.VM == vmID {
			return CauseInFlight, "the vm is being moved by " + j.id
		}
	}
	if until, ok := e.held[vmID]; ok && now.Before(until) {
		return CauseHeld, "the vm's last move failed; held until " + until.UTC().Format(time.RFC3339)
	}
	if t, ok := e.lastMoved[vmID]; ok && now.Before(t.Add(e.cfg.Cooldown)) {
		return CauseCooldown, "the vm moved at " + t.UTC().Format(time.RFC3339) + "; in cooldown until " + t.Add(e.cfg.Cooldown).UTC().Format(time.RFC3339)
	}
	return "", ""
}
