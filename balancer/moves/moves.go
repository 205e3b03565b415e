package moves

// DefaultMaxMigrations is Hyper-V's default MaximumVirtualMachineMigrations:
// the live migrations a host runs at once when it does not say. The planner
// estimates with it and the executor limits with it.
const DefaultMaxMigrations = 2

// Move triggers.
const (
	TriggerRequest = "request" // the policy demanded it (data.hvbalancer.requests)
	TriggerBalance = "balance" // the planner's search chose it
)

// Move is one planned live migration.
type Move struct {
	VM        string `json:"vm"` // ID
	VMName    string `json:"vm_name"`
	From      string `json:"from"`
	To        string `json:"to"`
	Clustered bool   `json:"clustered,omitempty"` // move with the cluster cmdlet
	Trigger   string `json:"trigger"`             // TriggerRequest or TriggerBalance
	Reason    string `json:"reason"`
	Priority  int    `json:"priority"` // the request's priority; 0 for balancing
	// Gain is how much the move lowers the objective, penalty included
	// (negative for a request that costs balance).
	Gain    float64 `json:"gain"`
	Penalty float64 `json:"penalty,omitempty"`
	// Costs names the parts of Penalty, as the policy's costs rule does
	// ("vm_host_rule gpu-on-gpu": 10); absent when the penalty is zero or
	// the policy names no part of it.
	Costs map[string]float64 `json:"costs,omitempty"`
	Bytes int64              `json:"bytes"` // assigned memory: what pre-copy sends at least
	// StorageBytes is what a shared-nothing migration copies of the VM's
	// files on the source's own volumes (0: memory and state only), and
	// StoragePath the directory on the destination they go to
	// (Move-VM -IncludeStorage -DestinationStoragePath).
	StorageBytes     int64       `json:"storage_bytes,omitempty"`
	StoragePath      string      `json:"storage_path,omitempty"`
	EstimatedSeconds float64     `json:"estimated_seconds"`
	Rules            []string    `json:"rules"`              // policy rules consulted
	Rejected         []Rejection `json:"rejected,omitempty"` // candidates refused before this one
}

// Rejection is a candidate move that was refused, with why.
type Rejection struct {
	VM       string   `json:"vm"`
	VMName   string   `json:"vm_name"`
	From     string   `json:"from"`
	To       string   `json:"to,omitempty"` // empty: no destination was found
	Trigger  string   `json:"trigger"`
	Gain     float64  `json:"gain"` // the objective gain it offered, before penalty
	Messages []string `json:"messages"`
}
