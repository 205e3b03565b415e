package policy

import "encoding/json"

// Input is the document every rule of package hvbalancer sees as `input`.
// Its shape is published as a JSON schema (schema/input.json) so that OPA's
// type checker catches a misspelled field in a policy. Nil maps and slices
// reach policies as empty objects and arrays.
type Input struct {
	// Now is the time of the round, RFC 3339 in the configured time zone.
	Now     string  `json:"now"`
	Fleet   Fleet   `json:"fleet"`
	History History `json:"history"`
	// Move and Projected are set only while a candidate move is judged.
	Move      *Move      `json:"move,omitempty"`
	Projected *Projected `json:"projected,omitempty"`
}

// Fleet is every host, keyed by name, and every VM, keyed by ID. Policies
// also see it indexed by tag (fleet.vms_by_tag, see VMsByTag), derived from
// VMs and never set on its own.
type Fleet struct {
	Hosts map[string]Host `json:"hosts"`
	VMs   map[string]VM   `json:"vms"`
}

// VMsByTag is the fleet's VMs by tag: for each tag key, each value as
// written, the IDs of the VMs carrying key=value, sorted. Policies read it
// as input.fleet.vms_by_tag: a rule that selects VMs by tag (frozen, a
// role, a pin) then visits only the VMs that carry it, where a scan of
// fleet.vms costs OPA about 2 µs a VM, for each such rule in each session
// (the shipped requests rule on 8,000 VMs: 91-102 ms scanning, 7-24 ms
// reading the index). Never nil.
func (f Fleet) VMsByTag() map[string]map[string][]string {
	return vmsByTag(sortedKeys(f.VMs), f.VMs, func(id string) string { return id })
}

// vmsByTag groups the VMs of ids (sorted) by tag key and value, each VM
// as of(id), in the order of ids: VMsByTag's index, with the IDs as the
// JSON form writes them or as the conversion's terms.
func vmsByTag[T any](ids []string, vms map[string]VM, of func(id string) T) map[string]map[string][]T {
	idx := map[string]map[string][]T{}
	for _, id := range ids {
		for key, value := range vms[id].Tags {
			byValue := idx[key]
			if byValue == nil {
				byValue = map[string][]T{}
				idx[key] = byValue
			}
			byValue[value] = append(byValue[value], of(id))
		}
	}
	return idx
}

// MarshalJSON writes the fleet with its tag index, as policies see it.
func (f Fleet) MarshalJSON() ([]byte, error) {
	type plain Fleet // without this method
	return json.Marshal(struct {
		plain
		VMsByTag map[string]map[string][]string `json:"vms_by_tag"`
	}{plain(f), f.VMsByTag()})
}

// Host is one host as policies see it. Loads are percentages 0..100,
// smoothed over the collector's window.
type Host struct {
	Name        string            `json:"name"`
	Cluster     string            `json:"cluster"`
	Group       string            `json:"group"`
	Labels      map[string]string `json:"labels"`
	Health      string            `json:"health"` // ok, stale or unreachable
	Maintenance bool              `json:"maintenance"`
	Capacity    Capacity          `json:"capacity"`
	CPU         CPULoad           `json:"cpu"`
	Memory      LoadStat          `json:"memory"`
	VMs         []string          `json:"vms"` // IDs of the VMs on it, sorted
	// What it offers a VM; empty when the host does not report it.
	ProcessorVendor string   `json:"processor_vendor"` // "GenuineIntel", "AuthenticAMD"
	ProcessorModel  string   `json:"processor_model"`  // "Intel64 Family 6 Model 106 Stepping 6"
	ConfigVersions  []string `json:"config_versions"`  // VM configuration versions it runs
	Switches        []string `json:"switches"`         // virtual switch names
	// Where it keeps VM files by default, and its volumes.
	VMPath  string   `json:"vm_path"`
	VHDPath string   `json:"vhd_path"`
	Volumes []Volume `json:"volumes"`
}

// Volume is a place where a host keeps VM files: a local volume, a cluster
// shared volume or an SMB share it reaches.
type Volume struct {
	Path      string `json:"path"` // root: D:\, C:\ClusterStorage\Volume1, \\fs01\vms
	Kind      string `json:"kind"` // local, smb or csv
	SizeBytes int64  `json:"size_bytes"`
	FreeBytes int64  `json:"free_bytes"`
}

// Capacity is a host's size.
type Capacity struct {
	CPUs        int   `json:"cpus"` // logical processors
	MemoryBytes int64 `json:"memory_bytes"`
}

// LoadStat is a smoothed load: the mean and the 95th percentile over the
// window. (It is not called Load: that is the function that loads a policy.)
type LoadStat struct {
	Mean float64 `json:"mean"`
	P95  float64 `json:"p95"`
}

// CPULoad is a smoothed CPU load, LoadStat's figures of what was received,
// with Demand beside them: what was wanted, in the same unit, above them
// on a saturated host, whose VMs waited for a processor. Demand is present
// only where the collector recorded one (the zero value leaves it out:
// writing the received figures again everywhere cost a fifth more of the
// input's conversion), so a rule reads it with the received figure as its
// default: object.get(vm.cpu, ["demand", "mean"], vm.cpu.mean).
type CPULoad struct {
	Mean   float64  `json:"mean"`
	P95    float64  `json:"p95"`
	Demand LoadStat `json:"demand,omitzero"`
}

// VM is one virtual machine as policies see it. CPU is a percentage of the
// VM's own virtual processors (100 = all of them busy).
type VM struct {
	Name          string            `json:"name"`
	Host          string            `json:"host"`
	State         string            `json:"state"` // Running, Off, Saved, Paused, ...
	CPUs          int               `json:"cpus"`
	MemoryBytes   int64             `json:"memory_bytes"` // assigned memory
	CPU           CPULoad           `json:"cpu"`
	Clustered     bool              `json:"clustered"`
	Notes         string            `json:"notes"`
	Tags          map[string]string `json:"tags"`           // key=value lines of the VM's Notes
	LastMigration string            `json:"last_migration"` // RFC 3339, empty if never
	// What it needs of a host; empty when not reported.
	ConfigVersion          string   `json:"config_version"`
	ProcessorCompatibility bool     `json:"processor_compatibility"`
	Switches               []string `json:"switches"` // of its network adapters
	// Where its files are: Path is its configuration's location; Storage
	// is local when any of its files (configuration or virtual disks) is on
	// its host's own volumes (a move copies its disks), else csv or smb, and
	// empty when unknown; StorageBytes is what a move of it copies (its
	// disks' file sizes when local, else 0). The disks themselves are not
	// listed: 8,000 VMs' disk lists would double the input's size.
	Path         string `json:"path"`
	Storage      string `json:"storage"`
	StorageBytes int64  `json:"storage_bytes"`
}

// History is what happened recently, newest first.
type History struct {
	Moves    []Event `json:"moves"`
	Failures []Event `json:"failures"`
	// MovesByVM counts, by VM ID, the VM's successful migrations that
	// ended within the last 24 hours. It is counted over every migration
	// of that day, where Moves may hold only the newest of a busy day's,
	// so a rule that caps a VM's moves reads it rather than counting
	// Moves. A VM that has not moved is absent.
	MovesByVM map[string]int `json:"moves_by_vm"`
}

// Event is one past migration or failure.
type Event struct {
	VM    string `json:"vm"`
	From  string `json:"from"`
	To    string `json:"to"`
	At    string `json:"at"` // RFC 3339
	Error string `json:"error,omitempty"`
}

// Move is a candidate migration: VM ID, source and destination host names.
type Move struct {
	VM   string `json:"vm"`
	From string `json:"from"`
	To   string `json:"to"`
}

// Projected is the state both hosts of a candidate would be in after it and
// every move planned before it.
type Projected struct {
	From HostLoad `json:"from"`
	To   HostLoad `json:"to"`
}

// HostLoad is one host's projected load (percent 0..100) and VMs.
type HostLoad struct {
	CPU    float64  `json:"cpu"`
	Memory float64  `json:"memory"`
	VMs    []string `json:"vms"` // IDs, sorted
	// VMMemoryBytes is the memory assigned to the VMs of VMs, summed, as
	// the planner knows it; zero leaves it out of the input (a rule then
	// sums the VMs' memory_bytes itself, which gives the same).
	VMMemoryBytes int64 `json:"vm_memory_bytes,omitempty"`
}

// Request is a move a policy demands (data.hvbalancer.requests): evacuate a
// host, pin a VM, repair an anti-affinity. An empty To lets the planner choose.
type Request struct {
	VM       string `json:"vm"`
	To       string `json:"to,omitempty"`
	Reason   string `json:"reason"`
	Priority int    `json:"priority"`
	// Kind names what the request is for ("anti-affinity", "maintenance"),
	// optional: the planner reports the requests it cannot meet once per
	// kind, with a count, instead of one by one.
	Kind string `json:"kind,omitempty"`
}

// Hold is one rule's reason for holding a VM where it is for a whole
// session (data.hvbalancer.held[vm][rule] = reason): a refusal that
// depends on the VM alone, such as a guard's cap on its moves a day, so
// that every move of it would be denied.
type Hold struct {
	Rule   string `json:"rule"`   // the rule, as its deny names it: "guard move_cap"
	Reason string `json:"reason"` // the deny's message: "web01: guard move_cap: ..."
}

// Verdict is a policy's judgement of one candidate: any Deny message vetoes
// it; Penalty is a soft cost added to the planner's objective.
type Verdict struct {
	Deny    []string `json:"deny,omitempty"`
	Penalty float64  `json:"penalty,omitempty"`
	// Error is set when the deny or penalty rule failed for the candidate
	// (see RuleError): the candidate is vetoed, and Deny holds the veto.
	Error string `json:"error,omitempty"`
}

// Settings are the planner thresholds a policy may set or compute
// (data.hvbalancer.config); nil fields leave the configured value.
// Unknown keys are an error, so a typo does not pass silently.
type Settings struct {
	CPUHigh             *float64 `json:"cpu_high,omitempty"`              // percent: a host above is hot
	MemoryHigh          *float64 `json:"memory_high,omitempty"`           // percent
	TargetSpread        *float64 `json:"target_spread,omitempty"`         // stop when the spread is below this
	MaxMoves            *int     `json:"max_moves,omitempty"`             // per plan
	Aggressiveness      *int     `json:"aggressiveness,omitempty"`        // 1..5
	CPUWeight           *float64 `json:"cpu_weight,omitempty"`            // objective weights
	MemoryWeight        *float64 `json:"memory_weight,omitempty"`         //
	MigrationCostWeight *float64 `json:"migration_cost_weight,omitempty"` //
	// Reasons says, by setting key, why the policy set it ("business hours
	// (Monday–Friday 08:00–18:00)"): the plan's reports show it beside the
	// setting it changed. Optional; a key that names no setting is an error.
	Reasons map[string]string `json:"reasons,omitempty"`
}
