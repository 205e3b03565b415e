package daemon

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/balancer/executor"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/config"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/fleet"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/ha"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/policy"
)

// Options is what New needs besides the configuration.
type Options struct {
	// ConfigPath is the configuration file, read again on reload.
	ConfigPath string
	// Config is the configuration loaded from ConfigPath, and Engine its
	// compiled policy.
	Config *config.Config
	Engine *policy.Engine
	// Version is the build's version, shown on the status page and in
	// hvbalancer_build_info.
	Version string
	// Registry gets every metric of the daemon, the collector, the login
	// guard and the executor, and /metrics serves it. Nil means a new one.
	Registry *prometheus.Registry
	// Logger logs for every component (nil: nothing).
	Logger *slog.Logger
	// Stdout gets the one line Run prints when it serves (nil: nothing).
	Stdout io.Writer
}

// Daemon samples the fleet, plans every round, and executes or stores the
// plans as its automation level says. New builds it; Run serves until its
// context ends; Apply executes one approved plan instead.
type Daemon struct {
	log     *slog.Logger
	cfgPath string
	version string
	reg     *prometheus.Registry
	stdout  io.Writer
	fleet   *fleet.Fleet
	col     *collector.Collector
	journal journal.Store
	hist    *historyView // the round's history, kept from the journal's writes
	exec    *executor.Executor
	mig     *swappableMigrator
	plans   *planStore
	maint   *maintenanceStore // hosts in maintenance through the API
	metrics *daemonMetrics
	// ha elects the daemon that leads among those sharing etcd, nil for a
	// daemon alone; term is the executor's view of the shared journal
	// (see termJournal).
	ha   *ha.Elector
	term *termJournal
	hold pauseHold // a pause taken here the fleet's pause may not record yet

	mu      sync.RWMutex   // guards what a reload replaces
	cfg     *config.Config // the settings in effect
	file    *config.Config // the file as last loaded: settings that wait for a restart show its values
	engine  *policy.Engine
	planner *balancer.Planner

	reloadMu sync.Mutex   // one reload at a time
	colGen   atomic.Int64 // the newest reload's collector settings; older ones are not applied after it
	colMu    sync.Mutex   // one collector reconfiguration at a time

	stateMu    sync.Mutex
	lastRound  roundRecord
	roundState roundState
	reconciled bool // the journal's reconciliation at start-up has ended
	// pendingExec are executor settings a reload made while the journal
	// was reconciled; applied when that ends.
	pendingExec *executor.Config
	lastReload  *web.ReloadOutcome

	lastPrune time.Time // the fleet's clock; only rounds read and write it, one at a time
}

// New opens the fleet, the journal (an error wrapping journal.ErrLocked
// when another process holds it) and the plan store, and builds the
// collector, planner and executor. The journal is reconciled in Run and
// Apply. Close releases what New opened.
func New(o Options) (_ *Daemon, err error) {
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Stdout == nil {
		o.Stdout = io.Discard
	}
	c, log := o.Config, o.Logger
	d := &Daemon{
		log: log, cfgPath: o.ConfigPath, version: o.Version, reg: o.Registry, stdout: o.Stdout,
		cfg: c, file: c, engine: o.Engine, metrics: newDaemonMetrics(o.Registry, o.Version),
	}
	defer func() {
		if err != nil {
			d.Close() // what was opened before the error
		}
	}()
	if err := os.MkdirAll(c.StateDir, 0o750); err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	if c.HA != nil {
		err = d.openHA(c, o.Registry) // the journal in etcd, fenced by the election
	} else {
		var j *journal.Journal
		if j, err = journal.Open(filepath.Join(c.StateDir, "journal.db")); err == nil {
			d.journal = d.keepHistory(j)
		}
	}
	if err != nil {
		return nil, err
	}
	key, err := SigningKey(c)
	if err != nil {
		return nil, err
	}
	trusted, err := TrustedKeys(c)
	if err != nil {
		return nil, err
	}
	if d.ha != nil {
		d.plans = d.sharedPlans(c, key, trusted) // in etcd, fenced by the election
	} else if d.plans, err = openPlanStore(filepath.Join(c.StateDir, "plans"), key, trusted, log); err != nil {
		return nil, err
	}
	if d.ha != nil {
		d.maint = openSharedMaintenance(d.ha) // in etcd; read when elected
	} else if d.maint, err = openMaintenance(c.StateDir); err != nil {
		return nil, err
	}
	if d.planner, err = balancer.NewPlanner(PlannerConfig(c), log); err != nil {
		return nil, err
	}
	if d.fleet, err = fleet.Open(c, log, o.Registry); err != nil {
		return nil, err
	}
	d.col, err = collector.New(d.fleet.Targets, d.fleet.CollectorConfig(c), log, o.Registry) // it names itself in its logs
	if err != nil {
		return nil, err
	}
	v := &validator{
		guard:  d.fleet.Guard,
		latest: d.latest,
		engine: func() *policy.Engine { _, e, _ := d.current(); return e },
		settings: func() (balancer.Config, *time.Location) {
			cfg, _, _ := d.current()
			return PlannerConfig(cfg), cfg.Location()
		},
		timeout: c.Collector.CallTimeout,
	}
	d.mig = newSwappableMigrator(migrator(c, d.fleet))
	var mig executor.Migrator = d.mig
	var val executor.Validator = v
	var jr journal.Store = d.journal
	if d.ha != nil { // only the leader starts a migration, as etcd says just before
		mig, val, jr = fencedMigrator{Migrator: d.mig, leads: d.leads}, fencedValidator{next: v, leads: d.leads}, d.term
	}
	d.exec, err = executor.New(executorConfig(c, d.fleet, d.col, d.evacuating), mig, val, jr, log.With("component", "executor"), o.Registry)
	if err != nil {
		return nil, err
	}
	return d, nil
}

// Close closes the hosts' connections, stops an in-process simulator and
// closes the journal.
func (d *Daemon) Close() {
	if d.fleet != nil {
		d.fleet.Close()
	}
	if d.journal != nil {
		d.journal.Close()
	}
	if d.ha != nil {
		d.ha.Close()
	}
}

// Now is the fleet's clock: the simulator's, or the wall clock.
func (d *Daemon) Now() time.Time { return d.fleet.Now() }

// current returns what a reload replaces, as one consistent set.
func (d *Daemon) current() (*config.Config, *policy.Engine, *balancer.Planner) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.cfg, d.engine, d.planner
}
