package balancer

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/hvbalancer/hvbalancer/policy"
)

// gib is 2^30 bytes.
const gib = int64(1) << 30

// Config holds the planner's settings. Start from DefaultConfig; a policy's
// config rule may override CPUHigh, MemoryHigh, TargetSpread, MaxMoves,
// Aggressiveness and the three weights for one planning pass.
type Config struct {
	// Aggressiveness (1..5) sets the minimum gain a balancing move must
	// buy: 1 plans only policy requests, 5 takes slight gains. See MinGain.
	Aggressiveness int
	// CPUHigh and MemoryHigh are the loads (percent) above which a host is
	// hot.
	CPUHigh    float64
	MemoryHigh float64
	// TargetSpread (percentage points): when no host is hot and the spread
	// of every weighted resource is at most this, the fleet is balanced.
	TargetSpread float64
	// MaxMoves caps the moves in one plan, requests included.
	MaxMoves int
	// MaxInflowPerHost caps the moves into any one host in one plan. It is
	// a safety setting, not a balancing limit: the executor's per-host
	// concurrency limit (per_host_cap and the host's own
	// MaximumVirtualMachineMigrations) bounds how many migrations touch a
	// host at once, so the default is high enough that neither balancing
	// nor an evacuation is held back by it.
	MaxInflowPerHost int
	// MemoryReserveBytes is kept free on every destination after all
	// planned moves.
	MemoryReserveBytes int64
	// StorageReserveBytes is kept free on the destination volume of every
	// storage move (shared-nothing live migration) after all planned
	// storage moves into that volume.
	StorageReserveBytes int64
	// StoragePaths overrides, per host name, the directory storage moves
	// into that host copy a VM's files to; a host without one uses its
	// default virtual hard disk path (Get-VMHost VirtualHardDiskPath).
	StoragePaths map[string]string
	// CPUCeiling (percent): no destination is planned above it.
	CPUCeiling float64
	// Headroom (percentage points) is kept below CPUHigh and MemoryHigh on
	// every destination: a host is hot above CPUHigh, but the planner fills
	// a destination only to CPUHigh-Headroom (and MemoryHigh-Headroom), so
	// that one noisy sample after a move does not make it hot again. On a
	// dense fleet a VM of static memory may fill memory to within a point
	// of MemoryHigh instead (see memMargin).
	Headroom float64
	// Cooldown: a VM that migrated less than this before the snapshot stays
	// put.
	Cooldown time.Duration
	// RefusalMemory: a destination Compare-VM refused for a VM is not
	// planned for it again until this long after the refusal (see
	// History.Refused); 0 forgets refusals at once.
	RefusalMemory time.Duration
	// CPUWeight, MemoryWeight and MigrationCostWeight weigh the terms of
	// the objective.
	CPUWeight           float64
	MemoryWeight        float64
	MigrationCostWeight float64
	// BandwidthBytesPerSecond is the live-migration network throughput the
	// time estimate assumes.
	BandwidthBytesPerSecond float64
	// MaxConcurrent is the executor's limit on migrations in flight, used
	// for the plan's total time estimate.
	MaxConcurrent int
	// PlanTTL is how long a plan stays valid after its snapshot was taken.
	PlanTTL time.Duration
}

// DefaultConfig returns the planner settings the product ships, defined
// here once: the daemon's configuration file starts from them.
func DefaultConfig() Config {
	return Config{
		Aggressiveness:          3,
		CPUHigh:                 75,
		MemoryHigh:              85,
		TargetSpread:            0,
		MaxMoves:                10,
		MaxInflowPerHost:        DefaultMaxInflowPerHost,
		MemoryReserveBytes:      4 * gib,
		StorageReserveBytes:     50 * gib,
		CPUCeiling:              85,
		Headroom:                5,
		Cooldown:                time.Hour,
		RefusalMemory:           6 * time.Hour,
		CPUWeight:               1,
		MemoryWeight:            1,
		MigrationCostWeight:     0.1,
		BandwidthBytesPerSecond: 1.25e9,
		MaxConcurrent:           4,
		PlanTTL:                 time.Hour,
	}
}

// DefaultMaxInflowPerHost is max_inflow_per_host's default: high enough
// that a plan may send a host every move it is the best place for (a
// balancing step of 16 destinations, an evacuation onto a few hosts); how
// many of them run at once is the executor's per_host_cap.
const DefaultMaxInflowPerHost = 16

// MinGain returns the minimum objective gain a balancing move must buy at
// the given aggressiveness: 1 → none is taken (only policy requests),
// 2 → 2 points (large gains only), 3 → 1, 4 → 0.5, 5 → 0.1 (slight gains).
// Moving load off a lone hot host gains about the percentage points of host
// load it moves in the spread, as much again while it lowers the busiest
// host, and as much again while the host stays above cpu_high (the mean
// load on a dense fleet), less the migration cost; with several hot hosts
// a point moved gains less in the spread and the peak (see Planner for
// the objective). On 64-processor hosts
// one point is 0.64 busy cores, so the default level 3 leaves alone the VMs
// too small to matter, and level 2 only moves clear contributors.
func MinGain(aggressiveness int) float64 {
	switch aggressiveness {
	case 2:
		return 2
	case 3:
		return 1
	case 4:
		return 0.5
	case 5:
		return 0.1
	}
	return math.Inf(1)
}

// Validate reports every invalid setting at once, each error naming its key.
func (c Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{key}, args...)...))
	}
	if c.Aggressiveness < 1 || c.Aggressiveness > 5 {
		bad("aggressiveness", "%d is not in 1..5", c.Aggressiveness)
	}
	percent := func(key string, v float64) {
		if !(v > 0 && v <= 100) {
			bad(key, "%g is not a percentage in (0, 100]", v)
		}
	}
	percent("cpu_high", c.CPUHigh)
	percent("memory_high", c.MemoryHigh)
	percent("cpu_ceiling", c.CPUCeiling)
	nonNegative := func(key string, v float64) {
		if !(v >= 0) || math.IsInf(v, 1) {
			bad(key, "%g must be a finite number >= 0", v)
		}
	}
	nonNegative("target_spread", c.TargetSpread)
	nonNegative("headroom", c.Headroom)
	if c.Headroom >= c.CPUHigh || c.Headroom >= c.MemoryHigh {
		bad("headroom", "%g points leaves no room below cpu_high %g or memory_high %g", c.Headroom, c.CPUHigh, c.MemoryHigh)
	}
	nonNegative("cpu_weight", c.CPUWeight)
	nonNegative("memory_weight", c.MemoryWeight)
	nonNegative("migration_cost_weight", c.MigrationCostWeight)
	if c.CPUWeight == 0 && c.MemoryWeight == 0 {
		bad("cpu_weight", "cpu_weight and memory_weight cannot both be 0")
	}
	if c.MaxMoves < 0 {
		bad("max_moves", "%d must be >= 0", c.MaxMoves)
	}
	if c.MaxInflowPerHost < 1 {
		bad("max_inflow_per_host", "%d must be >= 1", c.MaxInflowPerHost)
	}
	if c.MemoryReserveBytes < 0 {
		bad("memory_reserve_bytes", "%d must be >= 0", c.MemoryReserveBytes)
	}
	if c.StorageReserveBytes < 0 {
		bad("storage_reserve_bytes", "%d must be >= 0", c.StorageReserveBytes)
	}
	for _, host := range sortedKeys(c.StoragePaths) {
		if host == "" {
			bad("storage_paths", "a storage path names no host")
		}
		if p := c.StoragePaths[host]; !WindowsAbsPath(p) {
			bad("storage_paths", "host %s: %q is not an absolute Windows path (D:\\VMs or \\\\server\\share\\dir)", host, p)
		}
	}
	if c.Cooldown < 0 {
		bad("cooldown", "%s must be >= 0", c.Cooldown)
	}
	if c.RefusalMemory < 0 {
		bad("refusal_memory", "%s must be >= 0", c.RefusalMemory)
	}
	if !(c.BandwidthBytesPerSecond > 0) || math.IsInf(c.BandwidthBytesPerSecond, 1) {
		bad("bandwidth_bytes_per_second", "%g must be a finite number > 0", c.BandwidthBytesPerSecond)
	}
	if c.MaxConcurrent < 1 {
		bad("max_concurrent", "%d must be >= 1", c.MaxConcurrent)
	}
	if c.PlanTTL <= 0 {
		bad("plan_ttl", "%s must be > 0", c.PlanTTL)
	}
	return errors.Join(errs...)
}

// withPolicy returns c with the policy's settings applied.
func (c Config) withPolicy(s policy.Settings) Config {
	setF := func(dst *float64, v *float64) {
		if v != nil {
			*dst = *v
		}
	}
	setI := func(dst *int, v *int) {
		if v != nil {
			*dst = *v
		}
	}
	setF(&c.CPUHigh, s.CPUHigh)
	setF(&c.MemoryHigh, s.MemoryHigh)
	setF(&c.TargetSpread, s.TargetSpread)
	setI(&c.MaxMoves, s.MaxMoves)
	setI(&c.Aggressiveness, s.Aggressiveness)
	setF(&c.CPUWeight, s.CPUWeight)
	setF(&c.MemoryWeight, s.MemoryWeight)
	setF(&c.MigrationCostWeight, s.MigrationCostWeight)
	return c
}

// Settings are the effective settings a plan was made with: the planner's
// Config with the policy's overrides applied.
type Settings struct {
	Aggressiveness      int     `json:"aggressiveness"`
	MinGain             float64 `json:"min_gain"` // -1 when only requests are planned
	CPUHigh             float64 `json:"cpu_high"`
	MemoryHigh          float64 `json:"memory_high"`
	TargetSpread        float64 `json:"target_spread"`
	MaxMoves            int     `json:"max_moves"`
	MaxInflowPerHost    int     `json:"max_inflow_per_host"`
	MemoryReserveBytes  int64   `json:"memory_reserve_bytes"`
	StorageReserveBytes int64   `json:"storage_reserve_bytes,omitempty"` // omitted when 0: older plans keep their digest
	CPUCeiling          float64 `json:"cpu_ceiling"`
	// Headroom (points) is kept below cpu_high and memory_high on the
	// destinations of balancing moves; omitted when 0, so that a plan
	// written before it existed keeps its digest.
	Headroom                float64 `json:"headroom,omitempty"`
	CooldownSeconds         float64 `json:"cooldown_seconds"`
	CPUWeight               float64 `json:"cpu_weight"`
	MemoryWeight            float64 `json:"memory_weight"`
	MigrationCostWeight     float64 `json:"migration_cost_weight"`
	BandwidthBytesPerSecond float64 `json:"bandwidth_bytes_per_second"`
	MaxConcurrent           int     `json:"max_concurrent"`
	PlanTTLSeconds          float64 `json:"plan_ttl_seconds"`
	// StoragePaths are the per-host storage path overrides, by host name.
	StoragePaths map[string]string `json:"storage_paths,omitempty"`
}

// settings returns c in its plan form.
func (c Config) settings() Settings {
	minGain := MinGain(c.Aggressiveness)
	if math.IsInf(minGain, 1) {
		minGain = -1
	}
	return Settings{
		Aggressiveness:          c.Aggressiveness,
		MinGain:                 minGain,
		CPUHigh:                 c.CPUHigh,
		MemoryHigh:              c.MemoryHigh,
		TargetSpread:            c.TargetSpread,
		MaxMoves:                c.MaxMoves,
		MaxInflowPerHost:        c.MaxInflowPerHost,
		MemoryReserveBytes:      c.MemoryReserveBytes,
		StorageReserveBytes:     c.StorageReserveBytes,
		CPUCeiling:              c.CPUCeiling,
		Headroom:                c.Headroom,
		CooldownSeconds:         c.Cooldown.Seconds(),
		CPUWeight:               c.CPUWeight,
		MemoryWeight:            c.MemoryWeight,
		MigrationCostWeight:     c.MigrationCostWeight,
		BandwidthBytesPerSecond: c.BandwidthBytesPerSecond,
		MaxConcurrent:           c.MaxConcurrent,
		PlanTTLSeconds:          c.PlanTTL.Seconds(),
		StoragePaths:            storagePaths(c.StoragePaths),
	}
}

// storagePaths copies the overrides for a plan, nil when there are none
// (so that a plan reads back as it was written).
func storagePaths(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// sortedKeys returns m's keys in order.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// WindowsAbsPath reports whether p is an absolute Windows directory path:
// a drive letter and a backslash (D:\VMs) or a UNC path naming at least a
// server and a share (\\fs01\vms).
func WindowsAbsPath(p string) bool {
	if strings.ContainsAny(p, "\x00\r\n\"*?<>|") {
		return false
	}
	if len(p) >= 3 && p[1] == ':' && (p[2] == '\\' || p[2] == '/') {
		c := p[0] | 0x20
		return c >= 'a' && c <= 'z' && !strings.Contains(p[3:], ":")
	}
	if strings.HasPrefix(p, `\\`) {
		parts := strings.Split(strings.TrimPrefix(p, `\\`), `\`)
		return len(parts) >= 2 && parts[0] != "" && parts[1] != "" && !strings.Contains(p, ":")
	}
	return false
}
