package balancer

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/policy"
)

// hostState is one host as the planner projects it after the moves planned
// so far.
type hostState struct {
	h        *collector.Host
	eligible bool   // in the objective; may receive VMs
	why      string // why not eligible
	canSend  bool   // healthy with live migration enabled: its VMs may leave
	lp       float64
	capBytes float64

	cpu, mem   float64 // projected load, percent
	memUsed    float64 // projected memory in use, bytes
	cpu0, mem0 float64 // load before any move
	inflow     int
	outflow    int
	// stamp changes whenever a planned move changes the host (see
	// state.apply): a verdict given for it is kept until then.
	stamp     uint64
	vms       []int // indices into state.vms, in VM ID order
	vmsBefore int
	offer     hostOffers // what it offers a VM: processor, versions, switches, storage
}

// vmState is one VM as the planner sees it.
type vmState struct {
	v     *collector.VM
	host  int     // current host index, -1 if its host is unknown
	cores float64 // CPU demand in logical processors
	held  holdKind
	note  string // why it is held, for messages
	// holds are the policy's reasons to hold it (see Holder); it is
	// heldPolicy when there are some and nothing before them holds it.
	holds []policy.Hold
	moved bool
	need  vmNeeds // what it needs of a destination
	// refused are the destinations Compare-VM refused it lately.
	refused refusedDests
}

// holdKind says why a VM may not move at all in this plan.
type holdKind int

const (
	movable holdKind = iota
	heldNotRunning
	heldHost
	heldFrozen
	heldPolicy
	heldCooldown
)

// state is the fleet as planned so far.
type state struct {
	cfg     Config
	hosts   []hostState
	hostIdx map[string]int
	vms     []vmState
	vmIdx   map[string]int
	elig    []int   // eligible host indices, in name order
	meanCap float64 // mean memory capacity of eligible hosts, bytes
	obj     objective
	// line is the CPU load above which the objective counts a host's load
	// as over (see objective.over): cpu_high, or the eligible hosts' mean
	// CPU load as the plan found them when that is higher. It is fixed for
	// the plan: a move between hosts of other sizes changes the mean of
	// their loads, and a line that followed it changed every host's load
	// above it, so that a move's gain, worked out with the line as it
	// stood, was not what the move did to the objective (a move gaining
	// 4.3 made it 9.9 worse). The first reset sets it.
	line    float64
	lineSet bool
	// volPlanned is, per interned volume (see storeTarget), the bytes of
	// the storage moves planned into it so far.
	volPlanned []int64
	// reachable marks the VM and destination pairs (vi*len(hosts)+to)
	// already found compatible and within storage reach (see fault): both
	// depend only on the VM's needs, the destination's offers and the
	// VM's host, which a VM leaves only once it is moved, so a pair found
	// so stays so for the plan, and a step need not compare them again.
	// A step scores its sources on two goroutines, which share it.
	reachable memo
	// stamps counts the moves applied, trial ones included: each applied
	// move stamps its two hosts with a value never used before.
	stamps uint64
	// margin (percentage points) is kept below cpu_high and memory_high
	// on destinations: the headroom while balancing, 0 otherwise (see
	// cpuLimit).
	margin float64
}

// Load measures, defined once in the collector, which projects hosts'
// loads after moves with them: CPU demand is the mean of the window's mean
// and p95, so a single spike barely moves it while a sustained peak counts;
// memory is the window's p95, because memory must fit at its high mark.
func cpuDemand(s collector.Stat) float64 { return s.CPUDemand() }
func memDemand(s collector.Stat) float64 { return s.MemoryDemand() }

// newState builds the planning state of a snapshot whose hosts are sorted
// by name and VMs by ID (see sortedSnapshot), so that a host's VM index list
// is in ID order.
func newState(s *collector.Snapshot, cfg Config, rules Rules, hist *History) *state {
	st := &state{
		cfg:     cfg,
		hosts:   make([]hostState, len(s.Hosts)),
		hostIdx: make(map[string]int, len(s.Hosts)),
		vms:     make([]vmState, len(s.VMs)),
		vmIdx:   make(map[string]int, len(s.VMs)),
	}
	var capSum float64
	holder, _ := rules.(Holder)
	in := &interners{switches: interner{fold: true}, shares: interner{fold: true}}
	for i := range s.Hosts {
		h := &s.Hosts[i]
		hs := hostState{h: h, lp: float64(h.LogicalProcessors), capBytes: float64(h.MemoryBytes), offer: offersOf(h, in, cfg)}
		hs.canSend = h.Health == collector.HealthOK && h.MigrationEnabled
		switch {
		case h.Health != collector.HealthOK:
			hs.why = fmt.Sprintf("host %s is %s", h.Name, h.Health)
			if h.Reason != "" {
				hs.why += " (" + h.Reason + ")"
			}
		case InMaintenance(h):
			hs.why = fmt.Sprintf("host %s is in maintenance", h.Name)
		case !h.MigrationEnabled:
			hs.why = fmt.Sprintf("live migration is disabled on host %s", h.Name)
		case h.LogicalProcessors <= 0 || h.MemoryBytes <= 0:
			hs.why = fmt.Sprintf("host %s reports no capacity", h.Name)
		default:
			hs.eligible = true
		}
		hs.cpu = cpuDemand(h.CPU)
		hs.mem = memDemand(h.Memory)
		hs.memUsed = hs.mem / 100 * hs.capBytes
		hs.cpu0, hs.mem0 = hs.cpu, hs.mem
		st.hosts[i] = hs
		st.hostIdx[h.Name] = i
		if hs.eligible {
			st.elig = append(st.elig, i)
			capSum += hs.capBytes
		}
	}
	st.meanCap = 1
	if len(st.elig) > 0 {
		st.meanCap = capSum / float64(len(st.elig))
	}
	st.volPlanned = make([]int64, len(in.volumes.ids))
	st.reachable = newMemo(len(st.vms) * len(st.hosts)) // whole, so that fault never allocates
	for i := range s.VMs {
		v := &s.VMs[i]
		vs := vmState{v: v, host: -1, cores: cpuDemand(v.CPU)}
		var src *hostOffers
		if hi, ok := st.hostIdx[v.Host]; ok {
			vs.host = hi
			st.hosts[hi].vms = append(st.hosts[hi].vms, i)
			src = &st.hosts[hi].offer
		}
		vs.need = needsOf(v, src, in)
		if holder != nil {
			vs.holds = holder.Held(v.ID)
		}
		vs.held, vs.note = holdOf(st, &vs, s.Taken, cfg.Cooldown, rules, hist.lastMoved())
		st.vms[i] = vs
		st.vmIdx[v.ID] = i
	}
	for i := range st.hosts {
		hs := &st.hosts[i]
		hs.vmsBefore = len(hs.vms)
	}
	for vi, r := range refusalsOf(hist, st.vmIdx, st.hostIdx, s.Taken, cfg.RefusalMemory) {
		st.vms[vi].refused = r
	}
	st.obj.reset(st)
	st.line, st.lineSet = st.obj.line, true
	return st
}

// holdOf says whether, and why, a VM must stay put in this plan.
func holdOf(st *state, vs *vmState, now time.Time, cooldown time.Duration, rules Rules, recent map[string]time.Time) (holdKind, string) {
	v := vs.v
	switch {
	case !v.Running():
		return heldNotRunning, fmt.Sprintf("vm is %s; only running VMs are moved", stateName(v.State))
	case vs.host < 0:
		return heldHost, fmt.Sprintf("vm is on unknown host %s", v.Host)
	case st.hosts[vs.host].h.Health != collector.HealthOK:
		return heldHost, st.hosts[vs.host].whyNot()
	case !st.hosts[vs.host].h.MigrationEnabled:
		return heldHost, fmt.Sprintf("live migration is disabled on host %s", v.Host)
	case len(v.ReportedBy) > 1:
		return heldHost, fmt.Sprintf("vm is reported by %s at once; it is not moved until one host reports it", strings.Join(v.ReportedBy, " and "))
	case rules.Frozen(v.ID):
		return heldFrozen, "vm is frozen by policy"
	case len(vs.holds) > 0:
		reasons := make([]string, len(vs.holds))
		for i, h := range vs.holds {
			reasons[i] = h.Reason
		}
		return heldPolicy, "vm is held by policy: " + strings.Join(reasons, "; ")
	}
	if t, ok := recent[v.ID]; ok && now.Sub(t) < cooldown {
		return heldCooldown, fmt.Sprintf("vm migrated at %s, in cooldown until %s",
			t.UTC().Format(time.RFC3339), t.Add(cooldown).UTC().Format(time.RFC3339))
	}
	return movable, ""
}

func stateName(s string) string {
	if s == "" {
		return "in an unknown state"
	}
	return s
}

// whyNot says why a host cannot take VMs.
func (h *hostState) whyNot() string {
	if h.why != "" {
		return h.why
	}
	return "host " + h.h.Name + " is eligible"
}

// hot reports whether the host's projected load is above a high threshold.
func (st *state) hot(h *hostState) bool {
	return h.cpu > st.cfg.CPUHigh || h.mem > st.cfg.MemoryHigh
}

// deltas are the load changes (percentage points) a VM causes on a host.
func (st *state) cpuDelta(vi, hi int) float64 {
	h := &st.hosts[hi]
	if h.lp <= 0 {
		return 0
	}
	return st.vms[vi].cores / h.lp * 100
}

func (st *state) memDelta(vi, hi int) float64 {
	h := &st.hosts[hi]
	if h.capBytes <= 0 {
		return 0
	}
	return float64(st.vms[vi].v.MemoryAssigned) / h.capBytes * 100
}

// apply records VM vi as moved to host to and re-simulates both hosts.
func (st *state) apply(vi, to int) {
	vs := &st.vms[vi]
	from := vs.host
	src, dst := &st.hosts[from], &st.hosts[to]
	dc, dm := st.cpuDelta(vi, from), st.memDelta(vi, from)
	src.cpu -= dc
	src.mem -= dm
	src.memUsed -= float64(vs.v.MemoryAssigned)
	src.outflow++
	src.vms = removeIndex(src.vms, vi)
	dst.cpu += st.cpuDelta(vi, to)
	dst.mem += st.memDelta(vi, to)
	dst.memUsed += float64(vs.v.MemoryAssigned)
	dst.inflow++
	dst.vms = insertIndex(dst.vms, vi)
	if vs.need.storage.local && dst.offer.store.vol >= 0 {
		st.volPlanned[dst.offer.store.vol] += vs.need.storage.bytes
	}
	vs.host = to
	vs.moved = true
	st.stamps++
	src.stamp, dst.stamp = st.stamps, st.stamps
	st.obj.reset(st)
}

// projected is what the policy sees of a candidate: both hosts after it
// and every move planned before it.
func (st *state) projected(vi, to int) policy.Projected {
	from := st.vms[vi].host
	src, dst := &st.hosts[from], &st.hosts[to]
	fromIDs := make([]string, 0, len(src.vms))
	for _, i := range src.vms {
		if i != vi {
			fromIDs = append(fromIDs, st.vms[i].v.ID)
		}
	}
	toIDs := make([]string, 0, len(dst.vms)+1)
	var toMem int64 // summed here so that a rule need not look each VM up
	add := func(i int) {
		toIDs = append(toIDs, st.vms[i].v.ID)
		toMem += st.vms[i].v.MemoryAssigned
	}
	placed := false // vi goes in its place in ID order, as insertIndex puts it
	for _, i := range dst.vms {
		if !placed && i > vi {
			add(vi)
			placed = true
		}
		add(i)
	}
	if !placed {
		add(vi)
	}
	return policy.Projected{
		From: policy.HostLoad{CPU: src.cpu - st.cpuDelta(vi, from), Memory: src.mem - st.memDelta(vi, from), VMs: fromIDs},
		To: policy.HostLoad{CPU: dst.cpu + st.cpuDelta(vi, to), Memory: dst.mem + st.memDelta(vi, to), VMs: toIDs,
			VMMemoryBytes: toMem},
	}
}

// VM indices follow VM ID order (a snapshot's VMs are sorted by ID), so
// sorted index lists are sorted ID lists.
func removeIndex(s []int, x int) []int {
	i := sort.SearchInts(s, x)
	if i < len(s) && s[i] == x {
		return append(s[:i], s[i+1:]...)
	}
	return s
}

func insertIndex(s []int, x int) []int {
	i := sort.SearchInts(s, x)
	s = append(s, 0)
	copy(s[i+1:], s[i:])
	s[i] = x
	return s
}
