package balancer

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer/moves"
	"github.com/hvbalancer/hvbalancer/collector"
)

// PlanSchema is the version of the plan's JSON form.
const PlanSchema = "hvbalancer.plan/v1"

// Move triggers.
const (
	TriggerRequest = moves.TriggerRequest // the policy demanded it (data.hvbalancer.requests)
	TriggerBalance = moves.TriggerBalance // the planner's search chose it
)

// ErrTamperedPlan means a plan's content does not match its digest.
var ErrTamperedPlan = errors.New("plan content does not match its digest")

// Plan is the outcome of one planning pass: the moves, why they were
// chosen, what they buy and what the policy refused. It is deterministic:
// the same snapshot, rules and settings give a byte-identical JSON form.
type Plan struct {
	Schema  string    `json:"schema"`
	ID      string    `json:"id"`
	Created time.Time `json:"created"` // the snapshot's time, not the wall clock
	Expires time.Time `json:"expires"`

	SnapshotDigest string   `json:"snapshot_digest"`
	PolicyDigest   string   `json:"policy_digest"`
	Settings       Settings `json:"settings"`
	// SettingsChanged lists the settings the policy's config changed from
	// the configured ones for this plan, each with what changed it. Absent
	// when the policy changed none.
	SettingsChanged []SettingChange `json:"settings_changed,omitempty"`

	// Balanced says whether there is nothing to do. True: every host was
	// read, no host that takes part is hot, the plan moves nothing, and
	// either every weighted spread is within target_spread or no move
	// within the hard limits gains the aggressiveness's minimum gain (after
	// the policy's penalties). False: moves are planned, a host is hot, or
	// the search left gains behind (it reached max_moves, the policy
	// denied the moves that gain, the hysteresis per host pair held
	// them back, or only VMs in their cooldown have them, in moves the
	// policy allows). Null (nil): no
	// move and no hot host, but
	// the plan was made from too little data to tell (hosts that could not
	// be read, fewer than two eligible hosts, hosts without a load sample);
	// BalancedReason says why. Message says the outcome plainly.
	Balanced       *bool  `json:"balanced"`
	BalancedReason string `json:"balanced_reason,omitempty"`
	Message        string `json:"message"`
	// Missing lists the hosts that could not be read for this plan: no VM
	// moves from or to them, and their load is the last known one (or
	// none). Empty when every host answered.
	Missing []MissingHost `json:"missing_hosts,omitempty"`

	Efficacy Efficacy `json:"efficacy"`
	Moves    []Move   `json:"moves"`
	// Rejected lists refused requests and the candidates refused when the
	// search stopped; rejections met on the way to a move are kept with
	// that move. RejectedOmitted counts those left out for length.
	Rejected        []Rejection `json:"rejected"`
	RejectedOmitted int         `json:"rejected_omitted,omitempty"`
	// Unmet counts the policy requests the plan could not meet, by kind and
	// why: the first of each is among Rejected, the others only counted
	// (and in RejectedOmitted). Absent when every request was met.
	Unmet []UnmetRequests `json:"unmet_requests,omitempty"`
	// Limited lists destinations the hard limits refused because the VM
	// cannot run there (processor, configuration version, virtual switch)
	// or its storage cannot reach or fit there: the first time the search
	// met each VM and destination, up to 100. LimitedOmitted counts the
	// others. (Refusals for load, memory or inflow are not listed: they
	// change with every planned move.)
	Limited        []Rejection `json:"limited,omitempty"`
	LimitedOmitted int         `json:"limited_omitted,omitempty"`
	Hosts          []HostLoad  `json:"hosts"`
	Held           Held        `json:"held"`
	Search         Search      `json:"search"`
	// PolicyErrors counts the candidates' verdicts for which the policy's
	// deny or penalty rule failed at run time (a built-in's error such as a
	// division by zero): each vetoed its candidate, with the rule's message
	// among the rejections. PolicyError is the first failure's message.
	// Both are absent when no rule failed.
	PolicyErrors int    `json:"policy_errors,omitempty"`
	PolicyError  string `json:"policy_error,omitempty"`
	// HistoryUnread says why the plan was made without the journal's
	// recent moves (the cooldowns, the hysteresis per host pair, the
	// refusal memory and the policy's history see none), when it was;
	// absent when it was made with them.
	HistoryUnread string `json:"history_unread,omitempty"`

	// Checksum is the plan's Digest as written; ReadPlan verifies it.
	Checksum string `json:"digest,omitempty"`
}

// MissingHost is a host a plan was made without.
type MissingHost struct {
	Name    string `json:"name"`
	Health  string `json:"health"`          // stale or unreachable
	Cause   string `json:"cause,omitempty"` // collector.Cause
	Problem string `json:"problem"`         // why, in an administrator's words
}

// missingHosts lists the snapshot's hosts that are not ok.
func missingHosts(s *collector.Snapshot) []MissingHost {
	var out []MissingHost
	for _, h := range s.Unreadable() {
		out = append(out, MissingHost{Name: h.Name, Health: string(h.Health), Cause: string(h.Cause), Problem: h.Problem()})
	}
	return out
}

// incompleteText says, in one sentence, that the plan was made without
// some hosts; empty when it was not.
func (p *Plan) incompleteText() string {
	if len(p.Missing) == 0 {
		return ""
	}
	return fmt.Sprintf("Incomplete fleet: %d of %d hosts could not be read, so this plan moves nothing from or to them and does not know their load as it is now.",
		len(p.Missing), len(p.Hosts))
}

// historyText says, in one sentence, that the plan was made without the
// journal's history; empty when it was not.
func (p *Plan) historyText() string {
	if p.HistoryUnread == "" {
		return ""
	}
	return "Made without the journal's history, so cooldowns, the hysteresis per host pair and refused moves were not applied: " + p.HistoryUnread
}

// Move is one planned live migration; Rejection a candidate refused. They
// are defined in package moves, so that the executor needs nothing else of
// the planner.
type (
	Move      = moves.Move
	Rejection = moves.Rejection
)

// DefaultMaxMigrations is Hyper-V's default MaximumVirtualMachineMigrations
// (see moves.DefaultMaxMigrations).
const DefaultMaxMigrations = moves.DefaultMaxMigrations

// Efficacy is what the plan buys.
type Efficacy struct {
	CPU             Resource `json:"cpu"`
	Memory          Resource `json:"memory"`
	ObjectiveBefore float64  `json:"objective_before"` // weighted imbalance, see Planner
	ObjectiveAfter  float64  `json:"objective_after"`
	Moves           int      `json:"moves"`
	Bytes           int64    `json:"bytes"` // memory the moves copy
	// StorageBytes is what the storage moves copy of virtual disks, and
	// StorageMoves how many moves take their storage along.
	// Both are left out of the JSON when 0, so that a plan written before
	// they existed keeps its digest.
	StorageBytes int64 `json:"storage_bytes,omitempty"`
	StorageMoves int   `json:"storage_moves,omitempty"`
	// EstimatedSeconds is the time to run every move under the executor's
	// limits: MaxConcurrent overall and each host's own migration limit.
	EstimatedSeconds float64 `json:"estimated_seconds"`
}

// Resource is one resource's balance over the eligible hosts before and
// after the plan: spread is the population standard deviation of host
// load, in percentage points; max is the most loaded host.
type Resource struct {
	SpreadBefore  float64 `json:"spread_before"`
	SpreadAfter   float64 `json:"spread_after"`
	MaxBefore     float64 `json:"max_before"`
	MaxHostBefore string  `json:"max_host_before"`
	MaxAfter      float64 `json:"max_after"`
	MaxHostAfter  string  `json:"max_host_after"`
}

// HostLoad is one host's load (percent) before and after the plan.
type HostLoad struct {
	Name     string `json:"name"`
	Cluster  string `json:"cluster,omitempty"`
	Status   string `json:"status"` // ok, maintenance, stale, unreachable, migration disabled, no capacity
	Eligible bool   `json:"eligible"`
	Hot      bool   `json:"hot"` // eligible and above a high threshold before the plan
	// HotAfter is true when the host is above a high threshold after the
	// plan: still hot, or made hot by requests. For a host that cannot take
	// part it is its last known load. Absent when false.
	HotAfter     bool    `json:"hot_after,omitempty"`
	CPUBefore    float64 `json:"cpu_before"`
	CPUAfter     float64 `json:"cpu_after"`
	MemoryBefore float64 `json:"memory_before"`
	MemoryAfter  float64 `json:"memory_after"`
	VMsBefore    int     `json:"vms_before"`
	VMsAfter     int     `json:"vms_after"`
	In           int     `json:"in"`
	Out          int     `json:"out"`
	// LoadModel is "projected" when the snapshot projected the host's load
	// from the VMs it now holds, because VMs arrived or left within its
	// window, until ProjectedUntil, when the window holds only samples
	// taken after the moves (see collector.LoadProjected). Both are absent
	// for a measured load, so that older plans keep their digest.
	LoadModel      string    `json:"load_model,omitempty"`
	ProjectedUntil time.Time `json:"projected_until,omitzero"`
}

// Held counts the VMs that had to stay put in this plan, by reason.
type Held struct {
	Frozen          int `json:"frozen"`
	Cooldown        int `json:"cooldown"`
	NotRunning      int `json:"not_running"`
	HostUnavailable int `json:"host_unavailable"`
	// Policy counts the VMs the policy held where they are for the plan
	// (see Holder), and Rules says by which rules, in rule order.
	Policy int        `json:"policy,omitempty"`
	Rules  []HeldRule `json:"rules,omitempty"`
}

// PolicyText says, for the reports' line of VMs held in place, how many the
// policy held and by which rules, each with its first VM's reason:
// ", 2 held by the policy (guard move_cap: 2 VMs, first roamer: guard
// move_cap: 1 move in the last 24 hours (limit 1))"; empty when none.
func (h Held) PolicyText() string {
	if h.Policy == 0 {
		return ""
	}
	parts := make([]string, len(h.Rules))
	for i, r := range h.Rules {
		parts[i] = fmt.Sprintf("%s: %s, first %s", r.Rule, plural(r.VMs, "VM"), r.Example)
	}
	return fmt.Sprintf(", %d held by the policy (%s)", h.Policy, strings.Join(parts, "; "))
}

// HeldRule is one policy rule's holds in a plan: the VMs it held (a VM
// held by two rules counts under each) and, for example, the reason it
// gave the first of them by VM ID.
type HeldRule struct {
	Rule    string `json:"rule"` // "guard move_cap"
	VMs     int    `json:"vms"`
	Example string `json:"example"`
}

// Search describes the planner's work.
type Search struct {
	Steps      int `json:"steps"`      // balancing steps
	Candidates int `json:"candidates"` // candidate moves scored
	Judged     int `json:"judged"`     // Judge calls
	// RequestJudged counts the Judge calls the policy's requests used, of
	// the 1,024 a plan gives them (see UnmetRequests).
	RequestJudged int `json:"request_judged,omitempty"`
	Denied        int `json:"denied"` // candidates the policy denied
	// Swaps counts the swaps planned (two moves each) where no single
	// move gained enough (see the Planner's search).
	Swaps int `json:"swaps,omitempty"`
	// HeldBack counts the balancing moves that gain the minimum which the
	// hysteresis per host pair held back at the search's last step: each
	// would send load back along a host pair a balancing migration used
	// the other way within the cooldown, off a host that was not hot.
	HeldBack int `json:"held_back,omitempty"`
	// Stopped says why the balancing search ended.
	Stopped string `json:"stopped"`
}

// Digest is "sha256:" and the hex SHA-256 of the plan's canonical JSON
// (compact, without the digest field).
func (p *Plan) Digest() string {
	c := *p
	c.Checksum = ""
	b, err := json.Marshal(&c)
	if err != nil {
		panic(err) // plain data: cannot fail to marshal
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// IsBalanced reports whether the plan says the fleet is balanced: false
// when it is not, and when that is not known.
func (p *Plan) IsBalanced() bool { return p.Balanced != nil && *p.Balanced }

// Expired reports whether the plan is past its expiry at now.
func (p *Plan) Expired(now time.Time) bool { return !now.Before(p.Expires) }

// WriteJSON writes the plan as indented JSON with its current digest.
func (p *Plan) WriteJSON(w io.Writer) error {
	c := *p
	c.Checksum = p.Digest()
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&c); err != nil {
		return fmt.Errorf("write plan: %w", err)
	}
	return nil
}

// ReadPlan decodes a plan written by WriteJSON: known fields only, the
// supported schema, and a digest that matches the content (an error
// wrapping ErrTamperedPlan otherwise).
func ReadPlan(r io.Reader) (*Plan, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var p Plan
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("read plan: data after the plan")
	}
	if p.Schema != PlanSchema {
		return nil, fmt.Errorf("read plan: schema %q, want %q", p.Schema, PlanSchema)
	}
	if p.Checksum == "" {
		return nil, fmt.Errorf("read plan %s: no digest: %w", p.ID, ErrTamperedPlan)
	}
	if d := p.Digest(); d != p.Checksum {
		return nil, fmt.Errorf("read plan %s: digest %s, content %s: %w", p.ID, p.Checksum, d, ErrTamperedPlan)
	}
	return &p, nil
}

// planID derives a plan's ID from its time and the digest of its inputs
// and moves: "plan-20260105-080000-1a2b3c4d".
func planID(p *Plan) string {
	var b bytes.Buffer
	b.WriteString(p.SnapshotDigest + "\n" + p.PolicyDigest + "\n")
	enc := json.NewEncoder(&b)
	_ = enc.Encode(p.Settings) // plain data
	_ = enc.Encode(p.Moves)
	sum := sha256.Sum256(b.Bytes())
	return "plan-" + p.Created.UTC().Format("20060102-150405") + "-" + hex.EncodeToString(sum[:4])
}
