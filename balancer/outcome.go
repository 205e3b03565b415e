package balancer

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/hvbalancer/hvbalancer/collector"
)

// measures are the balance of the eligible hosts at one point of planning.
type measures struct {
	cpuSpread, memSpread float64
	cpuMax, memMax       float64
	cpuMaxHost           string
	memMaxHost           string
	objective            float64
}

// measure takes the balance of the fleet as planned so far.
func measure(st *state) measures {
	var m measures
	m.cpuSpread, m.memSpread = st.obj.spreads()
	m.objective = st.obj.value()
	m.cpuMax, m.memMax = math.Inf(-1), math.Inf(-1)
	for _, hi := range st.elig {
		h := &st.hosts[hi]
		if h.cpu > m.cpuMax {
			m.cpuMax, m.cpuMaxHost = h.cpu, h.h.Name
		}
		if h.mem > m.memMax {
			m.memMax, m.memMaxHost = h.mem, h.h.Name
		}
	}
	if m.cpuMaxHost == "" {
		m.cpuMax, m.memMax = 0, 0
	}
	return m
}

// plan assembles the pass's outcome.
func (r *pass) plan(s *collector.Snapshot, snapDigest, policyDigest string, before measures) *Plan {
	st := r.st
	after := measure(st)
	p := &Plan{
		Schema:          PlanSchema,
		Created:         s.Taken.UTC(),
		Expires:         s.Taken.UTC().Add(r.cfg.PlanTTL),
		SnapshotDigest:  snapDigest,
		PolicyDigest:    policyDigest,
		Settings:        r.cfg.settings(),
		SettingsChanged: settingChanges(r.base, r.rules.Settings()),
		Moves:           r.moves,
		Rejected:        r.rejected,
		Hosts:           make([]HostLoad, len(st.hosts)),
		Search:          r.search,
	}
	p.Search.Stopped = r.stopped
	p.Search.RequestJudged = r.requestJudged
	p.PolicyErrors, p.PolicyError = r.policyErrors, r.policyError
	if p.Moves == nil {
		p.Moves = []Move{}
	}
	if p.Rejected == nil {
		p.Rejected = []Rejection{}
	}
	p.RejectedOmitted = r.omitted
	p.Unmet = r.unmet
	p.Limited, p.LimitedOmitted = r.limited, r.limitedOmitted
	limits := make(map[string]int, len(st.hosts))
	for i := range st.hosts {
		h := &st.hosts[i]
		limits[h.h.Name] = h.h.MaxMigrations
		p.Hosts[i] = HostLoad{
			Name: h.h.Name, Cluster: h.h.Cluster, Status: hostStatus(h), Eligible: h.eligible,
			Hot:       h.eligible && r.over(h.cpu0, h.mem0),
			HotAfter:  h.h.Samples > 0 && r.over(h.cpu, h.mem),
			CPUBefore: decimals(h.cpu0, 2), CPUAfter: decimals(h.cpu, 2),
			MemoryBefore: decimals(h.mem0, 2), MemoryAfter: decimals(h.mem, 2),
			VMsBefore: h.vmsBefore, VMsAfter: len(h.vms), In: h.inflow, Out: h.outflow,
			LoadModel: string(h.h.LoadModel),
		}
		if h.h.LoadModel != collector.LoadMeasured {
			p.Hosts[i].ProjectedUntil = h.h.ProjectedUntil.UTC()
		}
	}
	for i := range st.vms {
		switch st.vms[i].held {
		case heldFrozen:
			p.Held.Frozen++
		case heldCooldown:
			p.Held.Cooldown++
		case heldNotRunning:
			p.Held.NotRunning++
		case heldHost:
			p.Held.HostUnavailable++
		case heldPolicy:
			p.Held.Policy++
		}
	}
	p.Held.Rules = heldRules(st)
	e := &p.Efficacy
	e.CPU = Resource{
		SpreadBefore: decimals(before.cpuSpread, 2), SpreadAfter: decimals(after.cpuSpread, 2),
		MaxBefore: decimals(before.cpuMax, 2), MaxHostBefore: before.cpuMaxHost,
		MaxAfter: decimals(after.cpuMax, 2), MaxHostAfter: after.cpuMaxHost,
	}
	e.Memory = Resource{
		SpreadBefore: decimals(before.memSpread, 2), SpreadAfter: decimals(after.memSpread, 2),
		MaxBefore: decimals(before.memMax, 2), MaxHostBefore: before.memMaxHost,
		MaxAfter: decimals(after.memMax, 2), MaxHostAfter: after.memMaxHost,
	}
	e.ObjectiveBefore, e.ObjectiveAfter = decimals(before.objective, 3), decimals(after.objective, 3)
	e.Moves = len(p.Moves)
	for _, m := range p.Moves {
		e.Bytes += m.Bytes
		e.StorageBytes += m.StorageBytes
		if m.StoragePath != "" {
			e.StorageMoves++
		}
	}
	e.EstimatedSeconds = decimals(scheduleSeconds(p.Moves, limits, r.cfg.MaxConcurrent), 1)
	p.Missing = missingHosts(s)
	p.Balanced, p.BalancedReason = r.verdict(p)
	p.Message = r.message(p)
	p.ID = planID(p)
	p.Checksum = p.Digest()
	return p
}

// heldRules counts the policy's holds by rule (st.vms is in VM ID order,
// so each rule's example is its first VM's by ID).
func heldRules(st *state) []HeldRule {
	var out []HeldRule
	at := map[string]int{}
	for i := range st.vms {
		if st.vms[i].held != heldPolicy {
			continue
		}
		for _, h := range st.vms[i].holds {
			k, ok := at[h.Rule]
			if !ok {
				k = len(out)
				at[h.Rule] = k
				out = append(out, HeldRule{Rule: h.Rule, Example: h.Reason})
			}
			out[k].VMs++
		}
	}
	slices.SortFunc(out, func(a, b HeldRule) int { return strings.Compare(a.Rule, b.Rule) })
	return out
}

// over reports whether a load is above a high threshold.
func (r *pass) over(cpu, mem float64) bool { return cpu > r.cfg.CPUHigh || mem > r.cfg.MemoryHigh }

// hostStatus names a host's state for the reports.
func hostStatus(h *hostState) string {
	switch {
	case h.h.Health != collector.HealthOK:
		return string(h.h.Health)
	case InMaintenance(h.h):
		return "maintenance"
	case !h.h.MigrationEnabled:
		return "migration disabled"
	case !h.eligible:
		return "no capacity"
	}
	return "ok"
}

// message says the plan's outcome in one or two plain sentences.
func (r *pass) message(p *Plan) string {
	e := &p.Efficacy
	if p.IsBalanced() {
		if r.stop == stopWithinTarget {
			return fmt.Sprintf("The fleet is already balanced: CPU spread %.1f points, memory spread %.1f points, below the target (%g points), and no host is hot.",
				e.CPU.SpreadBefore, e.Memory.SpreadBefore, r.cfg.TargetSpread)
		}
		return fmt.Sprintf("The fleet is already balanced: no host is hot, and %s (CPU spread %.1f points, memory spread %.1f points, target %g points).",
			r.stopped, e.CPU.SpreadBefore, e.Memory.SpreadBefore, r.cfg.TargetSpread)
	}
	var hot, lastKnown []string
	for i, h := range p.Hosts {
		switch hs := &r.st.hosts[i]; {
		case h.Hot:
			hot = append(hot, h.Name)
		case !h.Eligible && hs.h.Samples > 0 && r.over(hs.cpu0, hs.mem0):
			lastKnown = append(lastKnown, fmt.Sprintf("%s (%s)", h.Name, h.Status))
		}
	}
	hotText := "no host is hot"
	if len(r.st.elig) == 0 {
		hotText = "no host takes part, so none counts as hot"
	}
	if len(hot) > 0 {
		hotText = "hot: " + strings.Join(hot, ", ")
	}
	if len(lastKnown) > 0 {
		hotText += "; over a threshold by their last known load, and left alone: " + strings.Join(lastKnown, ", ")
	}
	if p.Balanced == nil {
		return fmt.Sprintf("No move planned, and whether the fleet is balanced is not known: %s. Over the hosts it read, CPU spread %.1f points, memory spread %.1f points; %s.",
			p.BalancedReason, e.CPU.SpreadBefore, e.Memory.SpreadBefore, hotText)
	}
	if len(p.Moves) == 0 {
		return fmt.Sprintf("No move planned: %s. CPU spread %.1f points, memory spread %.1f points; %s.",
			r.stopped, e.CPU.SpreadBefore, e.Memory.SpreadBefore, hotText)
	}
	req := 0
	for _, m := range p.Moves {
		if m.Trigger == TriggerRequest {
			req++
		}
	}
	kinds := fmt.Sprintf("%d for balance", len(p.Moves)-req)
	if req > 0 {
		kinds = fmt.Sprintf("%d requested by policy, %s", req, kinds)
	}
	return fmt.Sprintf("%s (%s): CPU spread %.1f → %.1f points, memory spread %.1f → %.1f points; %s to copy, about %s. Search ended: %s.",
		plural(len(p.Moves), "move"), kinds, e.CPU.SpreadBefore, e.CPU.SpreadAfter, e.Memory.SpreadBefore, e.Memory.SpreadAfter,
		copyText(e), formatSeconds(e.EstimatedSeconds), r.stopped)
}

// copyText says what a plan's moves copy: memory, and disks when some
// moves take their storage along.
func copyText(e *Efficacy) string {
	if e.StorageMoves == 0 {
		return formatBytes(e.Bytes)
	}
	return fmt.Sprintf("%s of memory and %s of disks (%s)", formatBytes(e.Bytes), formatBytes(e.StorageBytes),
		plural(e.StorageMoves, "storage move"))
}
