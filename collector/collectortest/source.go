package collectortest

import (
	"context"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv"
)

// Call names one method of a collector.Source.
type Call string

// The calls of a collector.Source.
const (
	CallHost     Call = "host"
	CallVMs      Call = "vms"
	CallCounters Call = "counters"
)

// Source is an in-memory collector.Source: host facts, VMs and counters
// that a test sets, errors per call, a hook run at the start of every call,
// and a switch that blocks calls until their context ends. Results are
// copies: neither side can change the other's data. It is safe for
// concurrent use.
type Source struct {
	mu       sync.Mutex
	host     hyperv.HostInfo
	vms      []hyperv.VM
	counters hyperv.Counters
	errs     map[Call]error
	hook     func(ctx context.Context, call Call) error
	blocked  chan struct{} // non-nil while blocked; closed by Unblock
	meter    *Meter
	calls    map[Call]int
}

// NewSource returns a source for a host with the given facts and VMs, zero
// counters and no errors.
func NewSource(host hyperv.HostInfo, vms ...hyperv.VM) *Source {
	s := &Source{host: host, errs: map[Call]error{}, calls: map[Call]int{}}
	s.SetVMs(vms...)
	return s
}

// SetHost replaces the host facts.
func (s *Source) SetHost(h hyperv.HostInfo) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.host = h
}

// SetVMs replaces the VMs.
func (s *Source) SetVMs(vms ...hyperv.VM) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.vms = cloneVMs(vms)
}

// SetCounters replaces the counters.
func (s *Source) SetCounters(c hyperv.Counters) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counters = cloneCounters(c)
}

// SetError makes call fail with err from now on; nil clears it.
func (s *Source) SetError(call Call, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		delete(s.errs, call)
		return
	}
	s.errs[call] = err
}

// Fail makes every call fail with err; nil clears every error.
func (s *Source) Fail(err error) {
	for _, c := range []Call{CallHost, CallVMs, CallCounters} {
		s.SetError(c, err)
	}
}

// SetHook sets a function run at the start of every call (nil removes it).
// A non-nil error from it is the call's result. It may block; it should
// return when ctx is done.
func (s *Source) SetHook(hook func(ctx context.Context, call Call) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hook = hook
}

// SetMeter counts this source's calls in flight on m.
func (s *Source) SetMeter(m *Meter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.meter = m
}

// Block makes every call wait until its context is done (it then returns
// ctx.Err()) or Unblock is called.
func (s *Source) Block() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.blocked == nil {
		s.blocked = make(chan struct{})
	}
}

// Unblock releases the calls waiting because of Block.
func (s *Source) Unblock() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.blocked != nil {
		close(s.blocked)
		s.blocked = nil
	}
}

// Calls returns how many times call was made.
func (s *Source) Calls(call Call) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[call]
}

// begin runs the common part of a call: count, meter, hook, block, error.
// The returned function must be called when the call ends.
func (s *Source) begin(ctx context.Context, call Call) (end func(), err error) {
	s.mu.Lock()
	s.calls[call]++
	meter, hook, blocked, callErr := s.meter, s.hook, s.blocked, s.errs[call]
	s.mu.Unlock()
	end = func() {}
	if meter != nil {
		meter.enter()
		end = meter.leave
	}
	if hook != nil {
		if err := hook(ctx, call); err != nil {
			return end, err
		}
	}
	if blocked != nil {
		select {
		case <-blocked:
		case <-ctx.Done():
			return end, ctx.Err()
		}
	}
	if err := ctx.Err(); err != nil {
		return end, err
	}
	return end, callErr
}

// Host implements collector.Source.
func (s *Source) Host(ctx context.Context) (hyperv.HostInfo, error) {
	end, err := s.begin(ctx, CallHost)
	defer end()
	if err != nil {
		return hyperv.HostInfo{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.host, nil
}

// VMs implements collector.Source.
func (s *Source) VMs(ctx context.Context) ([]hyperv.VM, error) {
	end, err := s.begin(ctx, CallVMs)
	defer end()
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneVMs(s.vms), nil
}

// Counters implements collector.Source; sampleInterval is ignored.
func (s *Source) Counters(ctx context.Context, sampleInterval time.Duration) (hyperv.Counters, error) {
	end, err := s.begin(ctx, CallCounters)
	defer end()
	if err != nil {
		return hyperv.Counters{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneCounters(s.counters), nil
}

func cloneVMs(vms []hyperv.VM) []hyperv.VM {
	out := slices.Clone(vms)
	for i := range out {
		out[i].Tags = maps.Clone(out[i].Tags)
		if out[i].Tags == nil {
			out[i].Tags = map[string]string{}
		}
	}
	return out
}

func cloneCounters(c hyperv.Counters) hyperv.Counters {
	vms := make(map[string]hyperv.VMCounters, len(c.VMs))
	for k, v := range c.VMs {
		v.CPUPercent = slices.Clone(v.CPUPercent)
		vms[k] = v
	}
	c.VMs = vms
	return c
}

// Meter counts calls in flight across sources and remembers the most seen
// at once. It is safe for concurrent use.
type Meter struct {
	mu       sync.Mutex
	inFlight int
	max      int
}

func (m *Meter) enter() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.inFlight++
	m.max = max(m.max, m.inFlight)
}

func (m *Meter) leave() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.inFlight--
}

// InFlight returns how many calls are in flight now.
func (m *Meter) InFlight() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.inFlight
}

// Max returns the most calls that were in flight at once.
func (m *Meter) Max() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.max
}
