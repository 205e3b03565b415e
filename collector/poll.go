package collector

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv"
)

// job is one host's part of a round, fixed before the round starts.
type job struct {
	target    Target
	needFacts bool
}

// result is what one host's poll brought back.
type result struct {
	done      bool      // the host was polled (not skipped because ctx ended)
	at        time.Time // when the answers were in
	facts     hyperv.HostInfo
	readFacts bool
	vms       []hyperv.VM
	counters  hyperv.Counters
	err       error
}

// Poll runs one round: every host concurrently (at most Concurrency at
// once), each under its own CallTimeout, and waits for their answers at
// most RoundTimeout. A failing host never fails the round: it is marked in
// the snapshot. A host that has not answered by RoundTimeout does not
// delay the round either: its poll goes on in the background, its answer
// counts when it comes, and it is not polled again until then. Polls
// start oldest answer first (then in name order), and none starts after
// the round has ended: a host whose turn did not come is stale in the
// round's snapshot and among the first of the next. The snapshot is taken at
// Config.Now when the round ends, in UTC. Poll returns the new snapshot,
// which Latest returns from then on; it fails only when ctx is done, and
// then publishes nothing (answers that did arrive still go into the
// windows).
func (c *Collector) Poll(ctx context.Context) (*Snapshot, error) {
	c.pollMu.Lock()
	defer c.pollMu.Unlock()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("poll: %w", err)
	}
	start := time.Now()

	c.mu.Lock()
	// Answers that came after their round ended and are not merged yet
	// are merged first, so that their hosts are polled in this round.
	c.late.drainLocked(c)
	roundStart := c.cfg.Now()
	jobs := make([]job, 0, len(c.targets))
	for _, t := range c.targets {
		st := c.hosts[t.Name]
		if !st.pollingSince.IsZero() {
			continue // its last poll is still under way
		}
		st.pollingSince = roundStart
		jobs = append(jobs, job{target: t, needFacts: st.needFacts(c.cfg.FactsEvery)})
	}
	// Merge in name order, so that a VM two hosts report lands on the same
	// one every time; start the hosts whose last answer is oldest first,
	// so that a round too short for every host leaves others out next time.
	slices.SortFunc(jobs, func(a, b job) int { return strings.Compare(a.target.Name, b.target.Name) })
	order := make([]int, len(jobs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return c.hosts[jobs[a].target.Name].lastGood.Compare(c.hosts[jobs[b].target.Name].lastGood)
	})
	c.mu.Unlock()

	// Each host's poll runs in its own goroutine; the round waits for them
	// until RoundTimeout (all of them when that is no shorter than
	// CallTimeout: each ends by then). A poll that ends later queues its
	// answer (late.go), merged by the next round to take the lock.
	type answer struct {
		i int
		r result
	}
	answers := make(chan answer, len(jobs))
	var mu sync.Mutex
	late := false                // guarded by mu: the round has ended
	ended := make(chan struct{}) // closed when the round ends
	var wait <-chan time.Time
	if c.cfg.RoundTimeout < c.cfg.CallTimeout {
		// The wait ends early by what the recent rounds' merges took, so
		// that the round, merge and snapshot included, ends by
		// RoundTimeout.
		early := min(c.merge, c.cfg.RoundTimeout/4)
		timer := time.NewTimer(time.Until(start.Add(c.cfg.RoundTimeout - early)))
		defer timer.Stop()
		wait = timer.C
	}
	started := make([]bool, len(jobs)) // guarded by mu
	sem := make(chan struct{}, c.cfg.Concurrency)
	go func() {
		for _, i := range order {
			select {
			case sem <- struct{}{}:
			case <-ended:
				return
			}
			mu.Lock()
			if late {
				mu.Unlock()
				<-sem
				return
			}
			started[i] = true
			mu.Unlock()
			go func() {
				defer func() { <-sem }()
				r := result{}
				if ctx.Err() == nil {
					r = c.pollHost(ctx, jobs[i])
				}
				mu.Lock()
				if !late {
					answers <- answer{i, r}
					mu.Unlock()
					return
				}
				merge := c.late.add(ctx, jobs[i], r)
				mu.Unlock()
				if merge {
					c.mergeLate()
				}
			}()
		}
	}()
	results := make([]result, len(jobs))
	got := make([]bool, len(jobs))
collect:
	for n := 0; n < len(jobs); n++ {
		select {
		case a := <-answers:
			results[a.i], got[a.i] = a.r, true
		case <-wait:
			break collect
		}
	}
	waited := time.Now()
	mu.Lock()
	late = true
	close(ended)
	for len(answers) > 0 { // sent before the round ended
		a := <-answers
		results[a.i], got[a.i] = a.r, true
	}
	// A poll that had not started by now never will: the round is over.
	unstarted := make([]bool, len(jobs))
	for i := range jobs {
		unstarted[i] = !started[i]
	}
	mu.Unlock()

	c.mu.Lock()
	defer c.mu.Unlock()
	// The answers of the last round's polls that came during this one.
	c.late.drainLocked(c)
	claimed := make(map[string]string)
	before := c.conflicts
	c.conflicts = conflicts{}
	for i, r := range results {
		if st := c.hosts[jobs[i].target.Name]; unstarted[i] && st != nil {
			st.pollingSince, st.notPolled = time.Time{}, true
		}
		if !got[i] {
			continue // still under way: it applies its own answer
		}
		c.applyOwnLocked(ctx, jobs[i], r, claimed)
	}
	c.expireVMsLocked(c.cfg.Now())
	c.checkClustersLocked()
	c.warnConflictsLocked(before)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("poll: %w", err)
	}
	s := c.buildLocked(c.cfg.Now().UTC(), roundStart)
	c.latest.Store(s)
	// The longest recent merge, a quarter less each round: a merge while
	// hundreds of polls still decode takes several times one without.
	c.merge = max(time.Since(waited), c.merge*3/4)
	c.metrics.polls.Inc()
	c.metrics.duration.Observe(time.Since(start).Seconds())
	return s, nil
}

// applyOwnLocked ends the host's poll under way and merges its result,
// unless the host was removed meanwhile, it was never polled, or the
// caller gave up (not the host's fault).
func (c *Collector) applyOwnLocked(ctx context.Context, j job, r result, claimed map[string]string) {
	st := c.hosts[j.target.Name]
	if st == nil { // removed by SetTargets meanwhile
		return
	}
	st.pollingSince, st.notPolled = time.Time{}, false
	if !r.done || r.err != nil && ctx.Err() != nil {
		return
	}
	c.applyLocked(j.target, st, r, claimed)
}

// pollHost reads one host: in one call when its Source is a Poller
// (combined.go), else its facts when due and its VMs, one after the
// other, while its counters are sampled at the same time, all under one
// deadline. Get-Counter waits SampleInterval on the host between its two
// readings; the reads run meanwhile, in the same shell (a WinRM shell
// runs several commands at once), so a poll takes the longer of the two
// rather than their sum. The first failure ends the other call too.
func (c *Collector) pollHost(ctx context.Context, j job) result {
	if p, ok := j.target.Source.(Poller); ok {
		if r := c.pollCombined(ctx, p, j); !errors.Is(r.err, errors.ErrUnsupported) {
			return r
		}
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.CallTimeout)
	defer cancel()
	src := j.target.Source
	r := result{done: true}

	sampleCtx, stopSample := context.WithCancel(ctx)
	defer stopSample()
	type sample struct {
		cs  hyperv.Counters
		err error
	}
	sampled := make(chan sample, 1)
	go func() {
		cs, err := src.Counters(sampleCtx, c.cfg.SampleInterval)
		sampled <- sample{cs, err}
	}()

	call := "get host"
	r.err = func() error {
		if j.needFacts {
			f, err := src.Host(ctx)
			if err != nil {
				return err
			}
			if err := checkFacts(j.target, f); err != nil {
				return err
			}
			r.facts, r.readFacts = f, true
		}
		call = "get vms"
		vms, err := src.VMs(ctx)
		if err != nil {
			return err
		}
		r.vms = vms
		return nil
	}()
	if r.err != nil {
		stopSample() // the poll failed: its sample is not needed
	}
	s := <-sampled
	// The sample's failure is the poll's when the reads succeeded, or when
	// they were only held back (ErrHeld) because of it: the reads and the
	// sample run side by side, and a refused login in either holds the
	// other, so the refusal is what the host said (a sample this poll
	// cancelled itself says nothing).
	if s.err != nil && (r.err == nil || errors.Is(r.err, ErrHeld) && !errors.Is(s.err, ErrHeld) && !errors.Is(s.err, context.Canceled)) {
		call, r.err = "get counters", s.err
	}
	r.counters = s.cs
	if r.err == context.DeadlineExceeded { // bare, not wrapped: say which call and how long
		r.err = fmt.Errorf("%s: no answer within %s: %w", call, c.cfg.CallTimeout, r.err)
	}
	r.at = c.cfg.Now()
	return r
}

// applyLocked merges one host's result into its state and its VMs' windows.
// claimed holds the VM IDs an earlier host reported this round, with that
// host: a VM a second host reports too stays with the first and is marked
// as a conflict. VMs whose ID is not a GUID are left out and counted.
func (c *Collector) applyLocked(t Target, st *hostState, r result, claimed map[string]string) {
	name := t.Name
	if r.err != nil {
		reason := reasonText(r.err)
		if !st.failed || st.lastErr != reason {
			c.log.Warn("host poll failed", "host", name, "error", clip(reason))
		}
		st.failed, st.lastErr, st.cause = true, reason, CauseOf(r.err)
		c.metrics.errors.WithLabelValues(name).Inc()
		if st.cause == CauseShellQuota {
			c.metrics.quota.WithLabelValues(name).Inc()
		}
		return
	}
	if st.failed {
		c.log.Info("host answers again", "host", name)
	}
	if r.readFacts {
		st.facts, st.haveFacts, st.sinceFacts = r.facts, true, 0
	}
	st.sinceFacts++
	st.failed, st.lastErr, st.cause, st.lastGood = false, "", "", r.at
	span := c.cfg.Window
	st.cpu.add(r.at, clamp(r.counters.HostCPUPercent, 100), span)
	st.mem.add(r.at, memoryPercent(st.facts.MemoryCapacity, r.counters.AvailableMemory), span)

	sameName := make(map[string]int, len(r.vms))
	for _, v := range r.vms {
		sameName[strings.ToLower(v.Name)]++
	}
	ids := make([]string, 0, len(r.vms))
	var bad badIDs
	for _, v := range r.vms {
		if !validVMID(v.ID) {
			bad.add(v.ID)
			continue
		}
		if first, ok := claimed[v.ID]; ok {
			if first != name {
				c.conflicts.add(v.ID, first, name)
			}
			continue
		}
		claimed[v.ID] = name
		vs := c.vms[v.ID]
		switch {
		case vs == nil:
			vs = &vmState{}
			c.vms[v.ID] = vs
		case vs.host != name && vs.seen.After(r.at):
			continue // a late answer: another host reported the VM since
		case vs.host != name:
			c.log.Debug("vm moved", "vm", v.ID, "from", vs.host, "host", name)
		}
		v.Tags = cloneTags(v.Tags)
		vs.vm, vs.host, vs.seen = v, name, r.at
		cores := vmCores(v, sameName[strings.ToLower(v.Name)], r.counters, st.facts.LogicalProcessors)
		vs.cpu.add(r.at, cores, span)
		ids = append(ids, v.ID)
	}
	if bad.n != st.badIDs.n && bad.n > 0 {
		c.log.Warn("vms left out", "host", name, "why", bad.note())
	}
	st.badIDs = bad
	c.noteDemandLocked(name, st, ids, r.counters, clamp(r.counters.HostCPUPercent, 100), r.at)
	c.noteChangesLocked(st, ids, r.at)
	st.vmIDs = ids
	st.forgetChanges()
}

// checkClustersLocked warns, once per disagreement, when a host's answer
// contradicts the configuration's grouping: it reports another failover
// cluster than the group it is listed under, or it reports none while
// another host of its group reports the group's name (the group is a real
// cluster and this host is not one of its nodes). A group of stand-alone
// hosts, whose hosts report no cluster, is only a grouping: no warning.
// The host's answer is what the snapshot, the planner and the policy see.
func (c *Collector) checkClustersLocked() {
	real := make(map[string]bool) // configured groups some host reports as its cluster
	for _, t := range c.targets {
		if st := c.hosts[t.Name]; st != nil && st.haveFacts && t.Cluster != "" && strings.EqualFold(t.Cluster, st.facts.Cluster) {
			real[strings.ToLower(t.Cluster)] = true
		}
	}
	for _, t := range c.targets {
		st := c.hosts[t.Name]
		if st == nil || !st.haveFacts {
			continue
		}
		got := st.facts.Cluster
		if t.Cluster == "" || strings.EqualFold(t.Cluster, got) || got == "" && !real[strings.ToLower(t.Cluster)] {
			st.clusterWarned = ""
			continue
		}
		key := t.Cluster + "\x00" + got
		if st.clusterWarned == key {
			continue
		}
		st.clusterWarned = key
		reported := got
		if reported == "" {
			reported = "none (stand-alone)"
		}
		c.log.Warn("configured cluster is not the host's; using the host's", "host", t.Name, "configured", t.Cluster, "reported", reported)
	}
}

// warnConflictsLocked warns of each VM that more than one host reports,
// when it begins; before is the last round's conflicts.
func (c *Collector) warnConflictsLocked(before conflicts) {
	ids := make([]string, 0, len(c.conflicts))
	for id := range c.conflicts {
		if len(before[id]) == 0 {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		c.log.Warn("vm reported by more than one host; not planned", "vm", id, "hosts", strings.Join(c.conflicts[id], ","))
	}
}

// expireVMsLocked forgets the VMs that no host lists any more once their
// window is empty.
func (c *Collector) expireVMsLocked(now time.Time) {
	listed := make(map[string]bool, len(c.vms))
	for _, st := range c.hosts {
		for _, id := range st.vmIDs {
			listed[id] = true
		}
	}
	for id, vs := range c.vms {
		if listed[id] {
			continue
		}
		vs.cpu.expire(now, c.cfg.Window)
		if vs.cpu.len() == 0 {
			delete(c.vms, id)
		}
	}
}

// vmCores is a running VM's CPU use in logical processors. Counters are
// keyed by VM name, so they are used only when no other VM on the host has
// the same name; otherwise (or without counters) Get-VM's CPUUsage, a
// percent of the whole host, is converted. VMs that are not running use none.
func vmCores(v hyperv.VM, sameName int, cs hyperv.Counters, hostLPs int) float64 {
	if v.State != hyperv.VMStateRunning {
		return 0
	}
	if vc, ok := cs.VMs[strings.ToLower(v.Name)]; ok && sameName == 1 && len(vc.CPUPercent) > 0 && v.ProcessorCount > 0 {
		return clamp(vc.MeanCPUPercent, 100) * float64(v.ProcessorCount) / 100
	}
	return clamp(float64(v.CPUUsage), 100) * float64(hostLPs) / 100
}

// memoryPercent is the memory in use, percent of capacity.
func memoryPercent(capacity, available int64) float64 {
	if capacity <= 0 {
		return 0
	}
	return clamp(float64(capacity-available)/float64(capacity)*100, 100)
}

// clamp bounds v to 0..hi; NaN counts as 0.
func clamp(v, hi float64) float64 {
	switch {
	case !(v > 0):
		return 0
	case v > hi:
		return hi
	}
	return v
}

// maxReason bounds a host's Reason.
const maxReason = 1024

// reasonText makes an error one bounded line for a snapshot's Reason.
func reasonText(err error) string {
	s := dropRepeatedAddress(strings.Join(strings.Fields(err.Error()), " "))
	if len(s) > maxReason {
		cut := maxReason
		for cut > 0 && s[cut]&0xC0 == 0x80 {
			cut--
		}
		s = s[:cut] + " …"
	}
	return s
}
