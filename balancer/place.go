package balancer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/policy"
)

// Initial placement: where a new VM should go, judged as a move is. Every
// host is tried in turn: the hard limits first, as for a planned move's
// destination except those of the migration itself (the host is healthy
// and not in maintenance; it has as many logical processors as the VM has
// virtual ones; it is a node of the cluster the request names and runs
// the configuration version it states; its memory in use stays within
// its capacity less memory_reserve and within memory_high; its CPU within
// cpu_high and cpu_ceiling), then the policy's deny and penalty on the
// candidate with no source (input.move.from empty, the VM NewVMID in
// input.fleet.vms). A host that passes is scored by the planner's
// objective once the VM is on it, plus the policy's penalty: the weighted
// spread of the eligible hosts' loads and their busiest host's CPU, lower
// is better. A placement may fill a host up to the thresholds themselves,
// as a policy request may, not to them less the headroom: the new VM is
// not moved load that a later plan could move back.

// PlaceReason says in a word why a host cannot take the new VM.
type PlaceReason string

// Why hosts are refused, in the order Place checks.
const (
	PlaceUnhealthy     PlaceReason = "unhealthy"      // its latest poll failed or is too old
	PlaceMaintenance   PlaceReason = "maintenance"    // it is in maintenance (InMaintenance)
	PlaceNoCapacity    PlaceReason = "no_capacity"    // it reports no processors or no memory
	PlaceProcessors    PlaceReason = "processors"     // fewer logical processors than the VM's virtual ones
	PlaceCluster       PlaceReason = "cluster"        // not a node of the requested cluster
	PlaceConfigVersion PlaceReason = "config_version" // it does not run the requested configuration version
	PlaceMemoryReserve PlaceReason = "memory_reserve" // memory in use would pass capacity less memory_reserve
	PlaceMemoryHigh    PlaceReason = "memory_high"    // memory in use would pass memory_high
	PlaceCPU           PlaceReason = "cpu"            // CPU would pass cpu_high or cpu_ceiling
	PlacePolicy        PlaceReason = "policy"         // the policy denies it; Deny has its messages
)

// Placement is Place's answer: the hosts that can take the VM, best
// first, and those that cannot, with why.
type Placement struct {
	// Taken is the time of the snapshot it was judged on.
	Taken time.Time `json:"taken"`
	// Request is the request as judged (its CPULoad set).
	Request PlaceRequest `json:"request"`
	// CPULimit and MemoryLimit are the loads (percent) no host may pass
	// with the VM: min(cpu_high, cpu_ceiling) and memory_high, with the
	// policy's config applied.
	CPULimit    float64 `json:"cpu_limit"`
	MemoryLimit float64 `json:"memory_limit"`
	// Imbalance is the planner's objective before the VM is placed.
	Imbalance float64 `json:"imbalance"`
	// Ranked are the hosts that can take it, best (lowest score) first,
	// cut to Request.Top when set; Candidates counts them before the cut.
	Ranked     []PlaceCandidate `json:"ranked"`
	Candidates int              `json:"candidates"`
	// Refused are the hosts that cannot, in name order.
	Refused []PlaceRefusal `json:"refused"`
}

// PlaceCandidate is one host that can take the VM.
type PlaceCandidate struct {
	Host string `json:"host"`
	// Score is Imbalance plus Penalty: lower is better.
	Score float64 `json:"score"`
	// Imbalance is the planner's objective once the VM is on the host.
	Imbalance float64 `json:"imbalance"`
	// Penalty is the policy's soft cost of the host for this VM.
	Penalty float64 `json:"penalty"`
	// Costs names the parts of Penalty by the rule that adds each (a should
	// rule's "vm_host_rule app-on-hv03", say), as a plan's Move.Costs does:
	// asked of a policy that names them (policy.Session.Costs) for the
	// ranked hosts Place returns, none when Penalty is zero, the policy
	// names none, or its parts do not add up to Penalty.
	Costs map[string]float64 `json:"costs,omitempty"`
	// The host's CPU and memory load (percent) before and after the VM.
	CPUBefore    float64 `json:"cpu_before"`
	CPUAfter     float64 `json:"cpu_after"`
	MemoryBefore float64 `json:"memory_before"`
	MemoryAfter  float64 `json:"memory_after"`
}

// PlaceRefusal is one host that cannot take the VM, and why.
type PlaceRefusal struct {
	Host    string      `json:"host"`
	Reason  PlaceReason `json:"reason"`
	Message string      `json:"message"`
	// Deny holds the policy's messages when Reason is PlacePolicy.
	Deny []string `json:"deny,omitempty"`
}

// Best is the best host's name, "" when no host can take the VM.
func (p *Placement) Best() string {
	if len(p.Ranked) == 0 {
		return ""
	}
	return p.Ranked[0].Host
}

// PenaltyText is the host's penalty with the rules that make it up, the
// dearest first, as the plan's reports write a move's: "penalty 15
// (vm_host_rule gpu-on-gpu 10, cross_group 5)"; "" without penalty.
func (c PlaceCandidate) PenaltyText() string {
	return penaltyText(Move{Penalty: c.Penalty, Costs: c.Costs})
}

// placeHost is one host's loads as Place projects them.
type placeHost struct {
	h        *collector.Host
	inObj    bool // in the objective: healthy, not in maintenance, with capacity
	cpu, mem float64
	vms      []string // IDs of its VMs
}

// Place ranks the hosts of snapshot s for a new VM req under cfg and the
// policy's rules: a session begun on PlacementInput of the same snapshot,
// so that the policy finds the VM under NewVMID. A request out of bounds
// is an error wrapping ErrPlaceRequest; a policy that cannot judge (an
// error of Judge, not a rule's veto) fails the placement. No host able to
// take the VM is no error: Ranked is empty and Refused says why.
func Place(ctx context.Context, s *collector.Snapshot, cfg Config, rules Rules, req PlaceRequest) (*Placement, error) {
	if s == nil || rules == nil {
		return nil, errors.New("place: no snapshot or no rules")
	}
	if err := req.Validate(); err != nil {
		return nil, err
	}
	req.CPULoad = req.cpuLoad()
	cfg = cfg.withPolicy(rules.Settings())
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("place: settings with the policy's config: %w", err)
	}
	hosts := make([]placeHost, len(s.Hosts))
	byName := make(map[string]int, len(s.Hosts))
	for i := range s.Hosts {
		h := &s.Hosts[i]
		hosts[i] = placeHost{
			h:     h,
			inObj: h.Health == collector.HealthOK && !InMaintenance(h) && h.LogicalProcessors > 0 && h.MemoryBytes > 0,
			cpu:   cpuDemand(h.CPU),
			mem:   memDemand(h.Memory),
		}
		byName[h.Name] = i
	}
	for i := range s.VMs {
		v := &s.VMs[i]
		if v.ID == NewVMID {
			return nil, fmt.Errorf("place: the fleet has a VM with ID %q, the new VM's", NewVMID)
		}
		if hi, ok := byName[v.Host]; ok {
			hosts[hi].vms = append(hosts[hi].vms, v.ID)
		}
	}
	slices.SortFunc(hosts, func(a, b placeHost) int { return strings.Compare(a.h.Name, b.h.Name) })
	obj := newPlaceObjective(hosts, cfg)
	out := &Placement{
		Taken:       s.Taken,
		Request:     req,
		CPULimit:    min(cfg.CPUHigh, cfg.CPUCeiling),
		MemoryLimit: cfg.MemoryHigh,
		Imbalance:   obj.value(-1, 0, 0),
		Ranked:      []PlaceCandidate{},
		Refused:     []PlaceRefusal{},
	}
	cores := float64(req.CPUs) * req.CPULoad / 100
	for i := range hosts {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("place: %w", err)
		}
		ph := &hosts[i]
		dc, dm := ph.raise(cores, req.MemoryBytes)
		if reason, msg := placeLimit(ph, &req, cfg, dc, dm); reason != "" {
			out.Refused = append(out.Refused, PlaceRefusal{Host: ph.h.Name, Reason: reason, Message: msg})
			continue
		}
		v, err := rules.Judge(ctx, policy.Move{VM: NewVMID, From: "", To: ph.h.Name}, placeProjected(ph, dc, dm))
		if err != nil {
			return nil, fmt.Errorf("place: %w", err)
		}
		if len(v.Deny) > 0 {
			out.Refused = append(out.Refused, PlaceRefusal{
				Host: ph.h.Name, Reason: PlacePolicy, Deny: v.Deny,
				Message: "denied by the policy: " + strings.Join(v.Deny, "; "),
			})
			continue
		}
		after := obj.value(i, dc, dm)
		out.Ranked = append(out.Ranked, PlaceCandidate{
			Host: ph.h.Name, Score: after + v.Penalty, Imbalance: after, Penalty: v.Penalty,
			CPUBefore: ph.cpu, CPUAfter: ph.cpu + dc, MemoryBefore: ph.mem, MemoryAfter: ph.mem + dm,
		})
	}
	slices.SortStableFunc(out.Ranked, func(a, b PlaceCandidate) int {
		return cmp.Or(cmp.Compare(a.Score, b.Score), cmp.Compare(a.Penalty, b.Penalty), strings.Compare(a.Host, b.Host))
	})
	out.Candidates = len(out.Ranked)
	if req.Top > 0 && len(out.Ranked) > req.Top {
		out.Ranked = out.Ranked[:req.Top]
	}
	if err := placeCosts(ctx, rules, hosts, cores, req.MemoryBytes, out.Ranked); err != nil {
		return nil, err
	}
	return out, nil
}

// raise is how many points placing a VM of cores busy cores and mem bytes
// raises the host's CPU and memory loads: none for a host out of the
// objective, which the hard limits refuse.
func (ph *placeHost) raise(cores float64, mem int64) (dc, dm float64) {
	if !ph.inObj {
		return 0, 0
	}
	return cores / float64(ph.h.LogicalProcessors) * 100, float64(mem) / float64(ph.h.MemoryBytes) * 100
}

// placeCosts names the parts of each ranked host's penalty (see
// PlaceCandidate.Costs), asking the policy, when it names them, once for
// each host shown with a penalty, with the projection it was judged with;
// hosts are those Place judged, in name order. Only a context ended fails
// it: a policy that cannot name the parts leaves them out, as a plan does.
func placeCosts(ctx context.Context, rules Rules, hosts []placeHost, cores float64, mem int64, ranked []PlaceCandidate) error {
	names, ok := rules.(costNamer)
	if !ok {
		return nil
	}
	for k := range ranked {
		c := &ranked[k]
		if c.Penalty == 0 {
			continue
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("place: %w", err)
		}
		i, found := slices.BinarySearchFunc(hosts, c.Host, func(ph placeHost, name string) int { return strings.Compare(ph.h.Name, name) })
		if !found {
			continue
		}
		dc, dm := hosts[i].raise(cores, mem)
		costs, err := names.Costs(ctx, policy.Move{VM: NewVMID, From: "", To: c.Host}, placeProjected(&hosts[i], dc, dm))
		if err != nil || !costsAddUp(costs, c.Penalty) {
			continue
		}
		c.Costs = costs
	}
	return nil
}

// costsAddUp reports whether the named parts of a penalty sum to it, to
// within rounding: parts that do not explain the penalty are not shown.
func costsAddUp(costs map[string]float64, penalty float64) bool {
	if len(costs) == 0 {
		return false
	}
	sum := 0.0
	for _, v := range costs {
		sum += v
	}
	return math.Abs(sum-penalty) <= 1e-9*math.Max(1, math.Abs(penalty))
}

// placeLimit applies the hard limits to placing the VM on host ph, whose
// loads it would raise by dc and dm points: the reason and message of the
// first it breaks, "" when none.
func placeLimit(ph *placeHost, req *PlaceRequest, cfg Config, dc, dm float64) (PlaceReason, string) {
	h := ph.h
	switch {
	case h.Health != collector.HealthOK:
		msg := fmt.Sprintf("host %s is %s", h.Name, h.Health)
		if h.Reason != "" {
			msg += " (" + h.Reason + ")"
		}
		return PlaceUnhealthy, msg
	case InMaintenance(h):
		return PlaceMaintenance, fmt.Sprintf("host %s is in maintenance", h.Name)
	case h.LogicalProcessors <= 0 || h.MemoryBytes <= 0:
		return PlaceNoCapacity, fmt.Sprintf("host %s reports no capacity", h.Name)
	case req.CPUs > h.LogicalProcessors:
		return PlaceProcessors, fmt.Sprintf("host %s has %d logical processors, fewer than the VM's %d virtual processors", h.Name, h.LogicalProcessors, req.CPUs)
	case req.Cluster != "" && !strings.EqualFold(h.Cluster, req.Cluster):
		return PlaceCluster, fmt.Sprintf("host %s is not a node of cluster %s (%s)", h.Name, req.Cluster, clusterText(h.Cluster))
	case req.ConfigVersion != "" && len(h.ConfigVersions) > 0 && !containsFold(h.ConfigVersions, req.ConfigVersion):
		return PlaceConfigVersion, fmt.Sprintf("host %s does not run configuration version %s (it runs %s)", h.Name, req.ConfigVersion, quoteList(h.ConfigVersions))
	}
	capBytes := float64(h.MemoryBytes)
	used := ph.mem/100*capBytes + float64(req.MemoryBytes)
	switch {
	case used > capBytes-float64(cfg.MemoryReserveBytes):
		return PlaceMemoryReserve, fmt.Sprintf("host %s memory in use would be %s, over its %s capacity minus the %s reserve",
			h.Name, formatBytes(int64(used)), formatBytes(h.MemoryBytes), formatBytes(cfg.MemoryReserveBytes))
	case ph.mem+dm > cfg.MemoryHigh:
		return PlaceMemoryHigh, fmt.Sprintf("host %s memory in use would be %.1f%%, over memory_high (%g%%)", h.Name, ph.mem+dm, cfg.MemoryHigh)
	case ph.cpu+dc > min(cfg.CPUHigh, cfg.CPUCeiling):
		limit := fmt.Sprintf("cpu_high (%g%%)", cfg.CPUHigh)
		if cfg.CPUCeiling < cfg.CPUHigh {
			limit = fmt.Sprintf("the %g%% ceiling", cfg.CPUCeiling)
		}
		return PlaceCPU, fmt.Sprintf("host %s CPU would be %.1f%%, over %s", h.Name, ph.cpu+dc, limit)
	}
	return "", ""
}

// clusterText names a host's cluster for a message.
func clusterText(c string) string {
	if c == "" {
		return "stand-alone"
	}
	return "cluster " + c
}

// placeProjected is what the policy sees of placing the VM on ph: no
// source, and the host with the VM.
func placeProjected(ph *placeHost, dc, dm float64) policy.Projected {
	ids := append(slices.Clone(ph.vms), NewVMID)
	slices.Sort(ids)
	return policy.Projected{
		From: policy.HostLoad{VMs: []string{}},
		To:   policy.HostLoad{CPU: ph.cpu + dc, Memory: ph.mem + dm, VMs: ids},
	}
}

// placeObjective is the planner's objective (see objective.value) over the
// hosts in it, for one host's loads raised at a time.
type placeObjective struct {
	cfg      Config
	hosts    []placeHost
	n        float64
	pc, pm   float64 // means, the pivots of the sums
	s1c, s2c float64
	s1m, s2m float64
	top      [2]int // the two busiest hosts by CPU; -1 when fewer
}

func newPlaceObjective(hosts []placeHost, cfg Config) *placeObjective {
	o := &placeObjective{cfg: cfg, hosts: hosts, top: [2]int{-1, -1}}
	for i := range hosts {
		if h := &hosts[i]; h.inObj {
			o.n++
			o.pc += h.cpu
			o.pm += h.mem
			switch {
			case o.top[0] < 0 || h.cpu > hosts[o.top[0]].cpu:
				o.top = [2]int{i, o.top[0]}
			case o.top[1] < 0 || h.cpu > hosts[o.top[1]].cpu:
				o.top[1] = i
			}
		}
	}
	if o.n == 0 {
		return o
	}
	o.pc /= o.n
	o.pm /= o.n
	for i := range hosts {
		if h := &hosts[i]; h.inObj {
			dc, dm := h.cpu-o.pc, h.mem-o.pm
			o.s1c += dc
			o.s2c += dc * dc
			o.s1m += dm
			o.s2m += dm * dm
		}
	}
	return o
}

// value is the weighted imbalance √n·(wc·σcpu + wm·σmem) + wc·peak once
// host hi (-1: none) carries dc and dm more points.
func (o *placeObjective) value(hi int, dc, dm float64) float64 {
	s1c, s2c, s1m, s2m := o.s1c, o.s2c, o.s1m, o.s2m
	peak := 0.0
	for _, t := range o.top {
		if t >= 0 && t != hi {
			peak = o.hosts[t].cpu
			break
		}
	}
	if hi >= 0 && o.hosts[hi].inObj {
		h := &o.hosts[hi]
		xc, xm := h.cpu-o.pc, h.mem-o.pm
		s1c += dc
		s2c += 2*xc*dc + dc*dc
		s1m += dm
		s2m += 2*xm*dm + dm*dm
		peak = max(peak, h.cpu+dc)
	}
	return math.Sqrt(o.n)*(o.cfg.CPUWeight*stddev(o.n, s1c, s2c)+o.cfg.MemoryWeight*stddev(o.n, s1m, s2m)) + o.cfg.CPUWeight*peak
}
