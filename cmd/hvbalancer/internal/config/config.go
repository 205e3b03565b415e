package config

import (
	"path/filepath"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/balancer/executor"
	"github.com/hvbalancer/hvbalancer/collector"
)

// Version is the only configuration format version there is.
const Version = 1

// Config is the whole configuration file.
type Config struct {
	Version   int        `yaml:"version"`
	TimeZone  string     `yaml:"time_zone"`
	StateDir  string     `yaml:"state_dir"`
	Log       Log        `yaml:"log"`
	HTTP      HTTP       `yaml:"http"`
	Simulator *Simulator `yaml:"simulator"`
	WinRM     WinRM      `yaml:"winrm"` // defaults for every cluster
	Clusters  []Cluster  `yaml:"clusters"`
	Collector Collector  `yaml:"collector"`
	Policy    Policy     `yaml:"policy"`
	Planner   Planner    `yaml:"planner"`
	Executor  Executor   `yaml:"executor"`
	Signing   Signing    `yaml:"signing"`
	Retention Retention  `yaml:"retention"`
	// Automation is how far the daemon acts on its own: manual (plans wait
	// for approval), partial (policy requests run, balancing waits) or full.
	Automation Automation `yaml:"automation"`
	// RoundInterval is how often the daemon plans.
	RoundInterval time.Duration `yaml:"round_interval"`
	// RoundDeadline bounds one round, policy evaluation included: a round
	// still running then is abandoned (default half the round interval,
	// at least 10s; at most the larger of the interval and 10s).
	RoundDeadline time.Duration `yaml:"round_deadline"`
	HA            *HA           `yaml:"ha"` // several daemons, one leading, through etcd; nil: a daemon alone
	dir           string        // directory of the file, for relative paths
	location      *time.Location
}

// Log configures logging.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // text or json
}

// HTTP configures the daemon's HTTP server. Bound to loopback it needs
// nothing else; bound beyond loopback it needs a token file and TLS, or
// AllowInsecure set explicitly.
type HTTP struct {
	// Listen is the address to bind: an IP address (or localhost) and a
	// port; an empty host binds every interface.
	Listen    string `yaml:"listen"`
	TokenFile string `yaml:"token_file"` // bearer token for approve, pause, resume and reload
	// AllowedHosts are the names (or addresses) clients may use in the
	// Host header beside the bound address itself, e.g. the DNS name the
	// status page is reached by. Any other Host is refused (421), so a
	// web page whose name was made to resolve to the daemon (DNS
	// rebinding) cannot read it.
	AllowedHosts []string `yaml:"allowed_hosts"`
	// TLSCertFile and TLSKeyFile (PEM) serve HTTPS instead of HTTP; both
	// or neither. Replacing the files takes effect at the next handshake.
	TLSCertFile string `yaml:"tls_cert_file"`
	TLSKeyFile  string `yaml:"tls_key_file"`
	// AllowInsecure lets the daemon bind beyond loopback without a token
	// file or without TLS: the fleet's inventory, and with no token the
	// approve, pause and reload calls too, are then open to the network.
	AllowInsecure bool `yaml:"allow_insecure"`
}

// Signing says which key signs the plans this installation makes and
// which keys it trusts for the plans it runs: a plan whose signature is
// missing, does not match or comes from another key is refused, even when
// its digest was recomputed after an edit.
type Signing struct {
	// KeyFile is the Ed25519 signing key (PEM, PKCS #8), made on first use
	// (default: state_dir/plan-signing.key). `hvbalancer key` prints its
	// public half.
	KeyFile string `yaml:"key_file"`
	// TrustedKeys are public key files (PEM) of the other installations
	// whose plans this one runs, e.g. a CI job's; its own key is always
	// trusted.
	TrustedKeys []string `yaml:"trusted_keys"`
}

// Retention bounds what the state directory keeps, so that it stays small
// for years: ended plans (done, failed, superseded, expired, refused) by
// age and by count, and journal entries by age. Plans that wait for
// approval or run are never removed; neither is a journal entry whose
// outcome is unknown.
type Retention struct {
	PlanAge    time.Duration `yaml:"plan_age"`    // ended plans older than this go (default 14 days)
	Plans      int           `yaml:"plans"`       // and beyond the newest this many (default 100)
	JournalAge time.Duration `yaml:"journal_age"` // journal entries that ended longer ago go (default a year)
}

// Executor configures how migrations are carried out.
type Executor struct {
	MaxConcurrent       int     `yaml:"max_concurrent"`        // migrations in flight overall
	PerHostCap          int     `yaml:"per_host_cap"`          // caps each host's MaximumVirtualMachineMigrations
	MigrationsPerMinute float64 `yaml:"migrations_per_minute"` // token bucket rate
	// EvacuationPerMinute is the rate at which moves out of a host in
	// maintenance start, from a token bucket of their own: the ordinary
	// rate never throttles an evacuation, nor does an evacuation spend
	// balancing's tokens.
	EvacuationPerMinute float64       `yaml:"evacuation_per_minute"`
	Burst               int           `yaml:"burst"`              // token bucket size
	HoldAfterFailure    time.Duration `yaml:"hold_after_failure"` // a VM whose move failed waits this long
	BreakerThreshold    int           `yaml:"breaker_threshold"`  // consecutive failures that open a host's breaker
	BreakerCooldown     time.Duration `yaml:"breaker_cooldown"`   // before a half-open retry
	DrainTimeout        time.Duration `yaml:"drain_timeout"`      // wait for in-flight migrations at shutdown
	// LocateTimeout bounds the search of the whole fleet for a VM after a
	// move, when neither its destination nor its source has it settled
	// (default 20s); the migration holds its slot meanwhile.
	LocateTimeout time.Duration `yaml:"locate_timeout"`
	PauseFile     string        `yaml:"pause_file"` // while this file exists nothing starts (default: state_dir/pause)
}

// Simulator runs a simulated fleet in-process instead of talking to real
// hosts: the hosts come from the fleet file, and so do the credentials,
// unless the top-level winrm section names others (auth, encryption,
// username, password_file or password_env, tls_server_name,
// insecure_skip_verify and the timeouts apply; the address, port, https and
// CA are the simulator's).
type Simulator struct {
	Fleet string  `yaml:"fleet"` // fleet file, relative to the configuration file
	Speed float64 `yaml:"speed"` // simulated seconds per real second
	HTTPS bool    `yaml:"https"`
}

// WinRM says how to reach hosts. At the top level it sets defaults, in a
// cluster it overrides them, in a host it overrides the cluster's; a field
// left out inherits.
type WinRM struct {
	Port               *int           `yaml:"port"`
	HTTPS              *bool          `yaml:"https"`
	Auth               *string        `yaml:"auth"`       // basic, ntlm or kerberos
	Encryption         *string        `yaml:"encryption"` // auto (seal NTLM/Kerberos messages over HTTP) or never
	Username           *string        `yaml:"username"`
	Password           *string        `yaml:"password"` // refused: secrets never inline
	PasswordFile       *string        `yaml:"password_file"`
	PasswordEnv        *string        `yaml:"password_env"`
	CAFile             *string        `yaml:"ca_file"`
	InsecureSkipVerify *bool          `yaml:"insecure_skip_verify"`
	TLSServerName      *string        `yaml:"tls_server_name"`
	Kerberos           *Kerberos      `yaml:"kerberos"`
	CallTimeout        *time.Duration `yaml:"call_timeout"`
	MoveTimeout        *time.Duration `yaml:"move_timeout"`
	OperationTimeout   *time.Duration `yaml:"operation_timeout"`
}

// Kerberos configures Kerberos authentication.
type Kerberos struct {
	Realm      string `yaml:"realm"`
	ConfigFile string `yaml:"config_file"` // krb5.conf
	SPN        string `yaml:"spn"`
	CCache     string `yaml:"ccache"` // a credential cache instead of a username and secret
	Keytab     string `yaml:"keytab"` // the username's keys instead of a password
}

// Cluster is a set of hosts that share WinRM settings: a failover cluster
// or simply a group of stand-alone hosts.
type Cluster struct {
	Name  string `yaml:"name"`
	WinRM WinRM  `yaml:"winrm"`
	Hosts []Host `yaml:"hosts"`
}

// Host is one Hyper-V host.
type Host struct {
	Name        string            `yaml:"name"`    // the computer name, as Move-VM -DestinationHost takes it
	Address     string            `yaml:"address"` // DNS name or IP WinRM connects to
	Group       string            `yaml:"group"`
	Labels      map[string]string `yaml:"labels"`
	Maintenance bool              `yaml:"maintenance"`
	// StoragePath is the directory storage moves into this host copy a
	// VM's files to (Move-VM -DestinationStoragePath); empty: the host's
	// default virtual hard disk path.
	StoragePath string `yaml:"storage_path"`
	WinRM       WinRM  `yaml:"winrm"`
}

// Collector configures sampling.
type Collector struct {
	Interval    time.Duration `yaml:"interval"`
	Window      time.Duration `yaml:"window"`
	StaleAfter  time.Duration `yaml:"stale_after"`
	Concurrency int           `yaml:"concurrency"`
	// CallTimeout is the deadline of one host's poll, all its reads
	// together (default 30s, at most stale_after less the interval).
	CallTimeout time.Duration `yaml:"call_timeout"`
	// RoundTimeout is how long a poll waits for the hosts' answers before
	// the snapshot is made of what arrived; a slower host goes on in the
	// background and turns stale on its own (default 10s, at most
	// call_timeout).
	RoundTimeout   time.Duration `yaml:"round_timeout"`
	SampleInterval time.Duration `yaml:"sample_interval"`
	// MinAnsweringShare is the share of hosts (0..1] that must answer for
	// the daemon to be ready and for plan and apply to go ahead.
	MinAnsweringShare float64 `yaml:"min_answering_share"`
	// StopAfterFailedLogins is how many failed logins in a row, across the
	// fleet, stop the daemon from using an account at all, so that it
	// never reaches the domain's lockout threshold.
	StopAfterFailedLogins int `yaml:"stop_after_failed_logins"`
	// LoginBackoffMax caps the wait before a host that refused a login is
	// tried again (1m, 2m, 4m, … after each refusal).
	LoginBackoffMax time.Duration `yaml:"login_backoff_max"`
}

// Policy says where the Rego policy is.
type Policy struct {
	Dir            string        `yaml:"dir"`    // directory of .rego files
	Bundle         string        `yaml:"bundle"` // or an OPA bundle (.tar.gz)
	ReloadInterval time.Duration `yaml:"reload_interval"`
}

// Planner configures the planner's limits and objective.
type Planner struct {
	Aggressiveness int     `yaml:"aggressiveness"` // 1 (policy requests only) .. 5 (slight gains)
	MaxMoves       int     `yaml:"max_moves"`
	CPUHigh        float64 `yaml:"cpu_high"`    // percent
	MemoryHigh     float64 `yaml:"memory_high"` // percent
	CPUCeiling     float64 `yaml:"cpu_ceiling"` // percent no destination may exceed
	// Headroom (percentage points) is kept below cpu_high and memory_high
	// on every destination, so that a move does not leave it on the edge
	// (on a dense fleet, at most 1 point below memory_high for a VM of
	// static memory: memory does not move with noise as CPU does).
	Headroom         float64 `yaml:"headroom"`
	TargetSpread     float64 `yaml:"target_spread"`
	MemoryReserveGiB float64 `yaml:"memory_reserve_gib"` // kept free on every destination
	// StorageReserveGiB is kept free on the destination volume of every
	// storage move.
	StorageReserveGiB float64       `yaml:"storage_reserve_gib"`
	MaxInflowPerHost  int           `yaml:"max_inflow_per_host"`
	Cooldown          time.Duration `yaml:"cooldown"`
	RefusalMemory     time.Duration `yaml:"refusal_memory"` // a destination Compare-VM refused is not planned for the VM again within it
	PlanTTL           time.Duration `yaml:"plan_ttl"`
	BandwidthGbps     float64       `yaml:"bandwidth_gbps"` // migration network, for time estimates
	Weights           Weights       `yaml:"weights"`
}

// Weights weigh the parts of the planner's objective.
type Weights struct {
	CPU           float64 `yaml:"cpu"`
	Memory        float64 `yaml:"memory"`
	MigrationCost float64 `yaml:"migration_cost"`
}

// Default returns the configuration every file starts from.
func Default() Config {
	return Config{
		Version:  Version,
		TimeZone: "UTC",
		StateDir: "hvbalancer-state",
		Log:      Log{Level: "info", Format: "text"},
		HTTP:     HTTP{Listen: "127.0.0.1:9707"},
		Collector: Collector{
			Interval:    30 * time.Second,
			Window:      5 * time.Minute,
			StaleAfter:  2 * time.Minute,
			Concurrency: collector.DefaultConcurrency,
			// CallTimeout and RoundTimeout are derived from the others
			// when the file leaves them out (see deriveDeadlines).
			SampleInterval:        time.Second,
			MinAnsweringShare:     0.5,
			StopAfterFailedLogins: 3,
			LoginBackoffMax:       30 * time.Minute,
		},
		Policy:        Policy{ReloadInterval: 10 * time.Second},
		Automation:    AutomationManual,
		RoundInterval: 5 * time.Minute,
		Executor: Executor{
			MaxConcurrent:       balancer.DefaultConfig().MaxConcurrent,
			PerHostCap:          2,
			MigrationsPerMinute: 10,
			EvacuationPerMinute: 60,
			Burst:               2,
			HoldAfterFailure:    30 * time.Minute,
			BreakerThreshold:    3,
			BreakerCooldown:     10 * time.Minute,
			DrainTimeout:        10 * time.Minute,
			LocateTimeout:       executor.DefaultSearchTimeout,
		},
		Planner:   plannerDefaults(),
		Retention: Retention{PlanAge: 14 * 24 * time.Hour, Plans: 100, JournalAge: 365 * 24 * time.Hour},
	}
}

// StoragePaths returns the storage_path of every host that sets one, by
// host name.
func (c *Config) StoragePaths() map[string]string {
	out := map[string]string{}
	for _, cl := range c.Clusters {
		for _, h := range cl.Hosts {
			if h.StoragePath != "" {
				out[h.Name] = h.StoragePath
			}
		}
	}
	return out
}

// Location is the configured time zone (valid after Load).
func (c *Config) Location() *time.Location {
	if c.location == nil {
		return time.UTC
	}
	return c.location
}

// Dir is the directory relative paths in the file are resolved against.
func (c *Config) Dir() string { return c.dir }

// path resolves p against the configuration file's directory.
func (c *Config) path(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.dir, p)
}

// plannerDefaults is the planner section every file starts from: the
// planner's own defaults (balancer.DefaultConfig), in the file's units.
func plannerDefaults() Planner {
	d := balancer.DefaultConfig()
	return Planner{
		Aggressiveness:    d.Aggressiveness,
		MaxMoves:          d.MaxMoves,
		CPUHigh:           d.CPUHigh,
		MemoryHigh:        d.MemoryHigh,
		CPUCeiling:        d.CPUCeiling,
		Headroom:          d.Headroom,
		TargetSpread:      d.TargetSpread,
		MemoryReserveGiB:  float64(d.MemoryReserveBytes) / (1 << 30),
		StorageReserveGiB: float64(d.StorageReserveBytes) / (1 << 30),
		MaxInflowPerHost:  d.MaxInflowPerHost,
		Cooldown:          d.Cooldown,
		RefusalMemory:     d.RefusalMemory,
		PlanTTL:           d.PlanTTL,
		BandwidthGbps:     d.BandwidthBytesPerSecond * 8 / 1e9,
		Weights:           Weights{CPU: d.CPUWeight, Memory: d.MemoryWeight, MigrationCost: d.MigrationCostWeight},
	}
}
