package balancer

import (
	"fmt"

	"github.com/hvbalancer/hvbalancer/policy"
)

// RequestEvaluationBudget is the Judge calls all of a plan's requests may
// use together; requests left when it is spent are not tried. A plan says
// how many its requests used (Search.RequestJudged) and how many Judge
// calls it made in all (Search.Judged).
const RequestEvaluationBudget = 1024

// Request bounds, so that requests the plan cannot meet cost little and
// leave the balancing search its turn.
const (
	// maxRequestJudged is RequestEvaluationBudget.
	maxRequestJudged = RequestEvaluationBudget
	// kindCut is how many requests of one kind in a row the policy may deny
	// at every destination (or at as many as one request may judge) before the later ones of that kind are not
	// tried, until a planned move changes the fleet.
	kindCut = 3
)

// UnmetRequests counts the policy requests of one kind that the plan could
// not meet for one reason. The first of them is also among the plan's
// rejections, in full; the others are only counted here, so that hundreds
// of requests of one kind read as one line.
type UnmetRequests struct {
	Kind  string `json:"kind"`  // the request's kind, "policy" when the policy gave none
	Count int    `json:"count"` // how many
	Why   string `json:"why"`   // why they could not be met
	// Example is the first such request's reason.
	Example string `json:"example"`
}

// String reads "593 anti-affinity role=sql requests could not be met: the
// policy denied every destination".
func (u UnmetRequests) String() string {
	noun := "requests"
	if u.Count == 1 {
		noun = "request"
	}
	return fmt.Sprintf("%d %s %s could not be met: %s", u.Count, u.Kind, noun, u.Why)
}

// Why an unmet request could not be met (UnmetRequests.Why).
const (
	unmetNotInSnapshot = "the vm is not in the snapshot"
	unmetMaxMoves      = "the plan already has max_moves moves"
	unmetAlreadyMoved  = "the vm is already moved by a request of higher priority"
	unmetHeld          = "the vm stays put"
	unmetReserved      = "the plan keeps its last moves for balancing while a host is hot"
	unmetUnknownHost   = "the requested host is not in the snapshot"
	unmetHostLimits    = "the requested host is outside the hard limits"
	unmetNoHost        = "no host can take the vm within the hard limits"
	unmetDeniedTo      = "the policy denied the requested host"
	unmetDeniedAll     = "the policy denied every destination"
	unmetDeniedBest    = "the policy denied the best destinations, as many as one request may judge"
	unmetCut           = "not tried: the policy denied every destination to the requests of this kind before it"
)

func unmetBudget() string {
	return fmt.Sprintf("not tried: the plan's requests used their %d policy evaluations", maxRequestJudged)
}

// requestKind is a request's kind for the summary.
func requestKind(req policy.Request) string {
	if req.Kind != "" {
		return req.Kind
	}
	return "policy"
}

// unmetRequest records a request the plan cannot meet: counted under its
// kind and why, and kept as a rejection (with detail) only when it is the
// first of them.
func (r *pass) unmetRequest(req policy.Request, why, detail string, rejected []Rejection, denied int) {
	kind := requestKind(req)
	key := kind + "\x00" + why
	if i, ok := r.unmetIdx[key]; ok {
		r.unmet[i].Count++
		r.omitted += max(denied, 1)
		return
	}
	if r.unmetIdx == nil {
		r.unmetIdx = make(map[string]int)
	}
	r.unmetIdx[key] = len(r.unmet)
	r.unmet = append(r.unmet, UnmetRequests{Kind: kind, Count: 1, Why: why, Example: req.Reason})
	if detail != "" {
		rej := Rejection{VM: req.VM, To: req.To, Trigger: TriggerRequest, Messages: []string{fmt.Sprintf("requested (%s), but %s", req.Reason, detail)}}
		if vi, ok := r.st.vmIdx[req.VM]; ok {
			rej.VMName = r.st.vms[vi].v.Name
			rej.From = r.st.vms[vi].v.Host
		}
		r.addRejections([]Rejection{rej}, 1)
	}
	r.addRejections(rejected, denied)
}

// deniedKind is what a plan knows of the requests of one kind whose every
// destination the policy denied since the last planned move: how many,
// and the least CPU demand and memory among their VMs.
type deniedKind struct {
	n      int
	cores  float64
	memory int64
}

// add counts a request of the kind denied everywhere.
func (d *deniedKind) add(vs *vmState) {
	if d.n == 0 || vs.cores < d.cores {
		d.cores = vs.cores
	}
	if d.n == 0 || vs.v.MemoryAssigned < d.memory {
		d.memory = vs.v.MemoryAssigned
	}
	d.n++
}

// cuts says whether a request of the kind for VM vs is not tried: kindCut
// requests of the kind were denied everywhere, and vs is not smaller than
// all their VMs in both CPU demand and memory.
func (d *deniedKind) cuts(vs *vmState) bool {
	if d == nil || d.n < kindCut {
		return false
	}
	return vs.cores >= d.cores || vs.v.MemoryAssigned >= d.memory
}

// balancingReserve is how many of maxMoves a plan keeps for balancing
// while a host is hot: a quarter, and at least one of a plan of two moves
// or more (a quarter of the shipped policy's business-hours 3 rounds down
// to none); a plan of one move is the requests'.
func balancingReserve(maxMoves int) int {
	if maxMoves < 2 {
		return 0
	}
	return max(1, maxMoves/4)
}

// balancingReserved says whether a request for VM vi must leave the plan's
// last moves to balancing: some eligible host is hot and the request is
// not an evacuation (its VM is on an eligible host), so that requests,
// which come first, never leave a hot fleet without a balancing move.
func (r *pass) balancingReserved(vi int) bool {
	st := r.st
	reserve := balancingReserve(r.cfg.MaxMoves)
	if reserve == 0 || len(r.moves) < r.cfg.MaxMoves-reserve {
		return false
	}
	if h := st.vms[vi].host; h < 0 || !st.hosts[h].eligible {
		return false
	}
	for _, hi := range st.elig {
		if r.over(st.hosts[hi].cpu, st.hosts[hi].mem) {
			return true
		}
	}
	return false
}
