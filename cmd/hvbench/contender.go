package main

import (
	"context"
	"runtime"
	"time"
)

// contender is one balancer under test. Run moves VMs of the fleet through
// the recorder only.
type contender struct {
	Name   string
	Kind   string // kindStart, kindHvbalancer, kindBaseline, kindBound or kindReference
	Source string // where its method is described
	Run    func(ctx context.Context, f *fleet, rec *recorder) (rounds int, err error)
}

// recorder applies a contender's moves and counts them, checking each
// against the hard limits before it is applied: a move the limits forbid
// is applied all the same and counted as a violation.
type recorder struct {
	f          *fleet
	moves      int
	bytes      int64
	violations int
	pastLimits int  // moves past a limit hvbalancer keeps (see fleet.pastLimits)
	path       bool // keep the busiest host's CPU after each move (hvbalancer only)
	steps      []Step
	log        [][2]int // every move: VM and destination indices
	requests   int      // moves the policy demanded (hvbalancer only)
	capped     bool     // the round cap stopped hvbalancer before a plan had no move
}

// move moves VM vi to host to.
func (r *recorder) move(vi, to int) {
	if !r.f.allowed(vi, to) {
		r.violations++
	}
	if r.f.pastLimits(vi, to) {
		r.pastLimits++
	}
	r.moves++
	r.log = append(r.log, [2]int{vi, to})
	r.bytes += r.f.snap.VMs[vi].MemoryAssigned
	r.f.move(vi, to)
	if r.path {
		hi, _ := extremes(r.f, r.f.cpu)
		r.steps = append(r.steps, Step{Moves: r.moves, GiB: float64(r.bytes) / (1 << 30), MaxCPU: hi, MovableMaxCPU: movableMaxCPU(r.f)})
	}
}

// Step is where a contender's moves had taken the fleet: after Moves
// moves copying GiB, the busiest host at MaxCPU percent and the busiest
// that can migrate at MovableMaxCPU.
type Step struct {
	Moves         int     `json:"moves"`
	GiB           float64 `json:"gib_moved"`
	MaxCPU        float64 `json:"max_cpu"`
	MovableMaxCPU float64 `json:"movable_max_cpu"`
}

// The kinds of contender.
const (
	kindStart      = "start"                             // the fleet as it is
	kindHvbalancer = "hvbalancer"                        // this repository's planner
	kindBaseline   = "baseline"                          // another balancer's method
	kindBound      = "baseline under the shipped policy" // the same, held to the shipped policy's rules
	kindReference  = "reference"                         // a placement made regardless of moves
	kindIdeal      = "ideal"                             // the fractional lower bound
)

// Result is one contender's outcome on one scenario.
type Result struct {
	Contender string  `json:"contender"`
	Kind      string  `json:"kind"` // start, hvbalancer, baseline, baseline under the shipped policy, reference or ideal
	Source    string  `json:"source"`
	MaxCPU    float64 `json:"max_cpu"` // percent, the busiest host
	// MovableMaxCPU (percent) is the busiest host that can send and take
	// VMs: MaxCPU but for the pinned hosts (see Pinned).
	MovableMaxCPU float64 `json:"movable_max_cpu,omitempty"`
	MaxMemory     float64 `json:"max_memory"`    // percent, the fullest host
	CPUSpread     float64 `json:"cpu_spread"`    // percentage points, busiest − idlest
	MemorySpread  float64 `json:"memory_spread"` // percentage points
	Moves         int     `json:"moves"`
	RequestMoves  int     `json:"request_moves,omitempty"` // of Moves, those the policy demanded
	GiBMoved      float64 `json:"gib_moved"`
	Violations    int     `json:"violations"` // moves that broke a hard limit
	// PastLimits are the moves that went past a limit hvbalancer keeps
	// (see limits.MemoryHigh): within every contender's hard limits, but
	// never planned by hvbalancer nor allowed by the shipped policy.
	PastLimits int `json:"past_planner_limits"`
	Rounds     int `json:"rounds"` // planning passes (hvbalancer) or 1
	// Capped is true when hvbalancer still had moves to make at the round
	// cap (--rounds): its figures are not those after convergence.
	Capped     bool    `json:"capped,omitempty"`
	PlanningMS float64 `json:"planning_ms"`
	AllocMiB   float64 `json:"alloc_mib"` // allocated while planning
	Error      string  `json:"error,omitempty"`
	// Steps are hvbalancer's moves one by one (see Step), for the target.
	Steps []Step `json:"-"`
	// Log is every move (VM and destination indices), in order.
	Log [][2]int `json:"-"`
}

// measure runs c on a fresh fleet of s and reports the outcome.
func measure(ctx context.Context, c contender, s scenario, lim limits) Result {
	f := newFleet(s.Snap, lim)
	rec := &recorder{f: f, path: c.Kind == kindHvbalancer}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	rounds, err := c.Run(ctx, f, rec)
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	res := Result{Contender: c.Name, Kind: c.Kind, Source: c.Source, Moves: rec.moves,
		GiBMoved: float64(rec.bytes) / (1 << 30), Violations: rec.violations, PastLimits: rec.pastLimits, Rounds: rounds, Capped: rec.capped, RequestMoves: rec.requests,
		Steps: rec.steps, Log: rec.log, PlanningMS: float64(elapsed.Microseconds()) / 1000,
		AllocMiB: float64(after.TotalAlloc-before.TotalAlloc) / (1 << 20)}
	res.MaxCPU, res.CPUSpread = extremes(f, f.cpu)
	res.MovableMaxCPU = movableMaxCPU(f)
	res.MaxMemory, res.MemorySpread = extremes(f, f.mem)
	if err != nil {
		res.Error = err.Error()
	}
	return res
}

// extremes returns the highest load of any host and the spread between
// the highest and the lowest.
func extremes(f *fleet, load func(int) float64) (hi, spread float64) {
	lo := 0.0
	for i := range f.snap.Hosts {
		l := load(i)
		if i == 0 || l > hi {
			hi = l
		}
		if i == 0 || l < lo {
			lo = l
		}
	}
	return hi, hi - lo
}

// asIs is the fleet left as it is: the starting point.
func asIs() contender {
	return contender{Name: "as is", Kind: kindStart, Source: "no moves", Run: func(context.Context, *fleet, *recorder) (int, error) { return 0, nil }}
}
