package config

// Deadlines per kind of operation, and the rules that keep them from
// contradicting each other:
//
//	read     winrm.call_timeout        each read call: host facts, VMs,
//	                                   counters, locate, Compare-VM
//	poll     collector.call_timeout    one host's poll, its reads together
//	round    collector.round_timeout   how long a poll waits for answers
//	migrate  winrm.move_timeout        each Move-VM, the copy included
//	search   executor.locate_timeout   the fleet-wide search for a VM
//	long-poll winrm.operation_timeout  one WS-Man Receive
//
// A contradiction that cannot work is refused (Validate); one that works
// worse than the administrator likely meant is a warning (Warnings).

import (
	"fmt"
	"time"

	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/hyperv"
)

// deriveDeadlines fills the collector's deadlines the file leaves out
// from the settings it has, so that defaults never contradict them: a
// poll's deadline is 30s, at most stale_after less the interval (a host
// that answers by its deadline is never stale); a poll waits for answers
// 10s, at most the poll's deadline.
func (c *Config) deriveDeadlines() {
	k := &c.Collector
	if k.CallTimeout == 0 {
		k.CallTimeout = collector.DefaultCallTimeout
		if room := k.StaleAfter - k.Interval; room > 0 && room < k.CallTimeout {
			k.CallTimeout = room
		}
	}
	if k.RoundTimeout == 0 {
		k.RoundTimeout = min(collector.DefaultRoundTimeout, k.CallTimeout)
	}
	if c.RoundDeadline == 0 && c.RoundInterval > 0 {
		c.RoundDeadline = max(c.RoundInterval/2, minRoundDeadline)
	}
}

// minRoundDeadline is the shortest derived round deadline: a short round
// interval (a demo's, a test's) still leaves a round time to plan on a
// busy machine. It may exceed the interval: the next round waits for the
// last one to end, so rounds never overlap.
const minRoundDeadline = 10 * time.Second

// winrmLevel is one level of winrm settings: what it sets and, with the
// levels above it merged, what it means.
type winrmLevel struct {
	path   string // e.g. clusters[0].hosts[1].winrm
	set    WinRM
	merged WinRM
}

// winrmLevels lists every level of winrm settings in file order.
func (c *Config) winrmLevels() []winrmLevel {
	out := []winrmLevel{{"winrm", c.WinRM, c.WinRM}}
	for ci, cl := range c.Clusters {
		cp := fmt.Sprintf("clusters[%d]", ci)
		cm := c.WinRM.merge(cl.WinRM)
		out = append(out, winrmLevel{cp + ".winrm", cl.WinRM, cm})
		for hi, h := range cl.Hosts {
			out = append(out, winrmLevel{fmt.Sprintf("%s.hosts[%d].winrm", cp, hi), h.WinRM, cm.merge(h.WinRM)})
		}
	}
	return out
}

// deadlines are one level's effective WinRM deadlines.
type deadlines struct{ read, move, operation time.Duration }

func (w WinRM) deadlines() deadlines {
	return deadlines{
		read:      deref(w.CallTimeout, hyperv.DefaultCallTimeout),
		move:      deref(w.MoveTimeout, hyperv.DefaultMoveTimeout),
		operation: deref(w.OperationTimeout, hyperv.DefaultOperationTimeout),
	}
}

// validateDeadlines refuses deadlines that contradict each other. Values
// that are not positive are said by the sections' own checks.
func (c *Config) validateDeadlines(p *problems) {
	k := c.Collector
	if k.Interval <= 0 || k.StaleAfter <= 0 || k.CallTimeout <= 0 || k.RoundTimeout <= 0 {
		return
	}
	if k.StaleAfter <= k.Interval {
		p.add("collector.stale_after", k.StaleAfter, "must be longer than collector.interval (%s): every host would turn stale between two polls", k.Interval)
	}
	if k.CallTimeout >= k.StaleAfter {
		p.add("collector.call_timeout", k.CallTimeout, "must be shorter than collector.stale_after (%s): a host would turn stale while its poll is still within its deadline", k.StaleAfter)
	}
	if k.RoundTimeout > k.CallTimeout {
		p.add("collector.round_timeout", k.RoundTimeout, "must be at most collector.call_timeout (%s): a poll would wait for answers after every host's deadline has passed", k.CallTimeout)
	}
	if k.SampleInterval > 0 && k.SampleInterval >= k.CallTimeout {
		p.add("collector.sample_interval", k.SampleInterval, "must be shorter than collector.call_timeout (%s): counters are read twice, sample_interval apart, within one poll's deadline", k.CallTimeout)
	}
	for _, l := range c.winrmLevels() {
		d := l.merged.deadlines()
		if d.read <= 0 || d.move <= 0 {
			continue
		}
		if l.set.CallTimeout != nil && d.read >= k.StaleAfter {
			p.add(l.path+".call_timeout", d.read, "must be shorter than collector.stale_after (%s): a host would turn stale while a read is still within its deadline", k.StaleAfter)
		}
		if (l.set.CallTimeout != nil || l.set.MoveTimeout != nil) && d.move < d.read {
			p.add(l.path+".move_timeout", d.move, "must be at least the read deadline %s.call_timeout (%s): a migration, copy included, would get less time than one read", l.path, d.read)
		}
	}
}

// Warnings returns the deadlines that work, but not as the administrator
// likely meant: each names the keys and values involved. Call it on a
// configuration that validated.
func (c *Config) Warnings() []*FieldError {
	var out []*FieldError
	warn := func(path string, value any, format string, args ...any) {
		out = append(out, &FieldError{Path: path, Value: value, Err: fmt.Errorf(format, args...)})
	}
	k := c.Collector
	if k.RoundTimeout > k.Interval {
		warn("collector.round_timeout", k.RoundTimeout, "longer than collector.interval (%s): while a host is slow to answer, polls come every %s instead", k.Interval, k.RoundTimeout)
	}
	if k.CallTimeout < k.StaleAfter && k.Interval+k.CallTimeout > k.StaleAfter {
		warn("collector.call_timeout", k.CallTimeout, "with collector.interval (%s) longer than collector.stale_after (%s): a host that answers near its deadline turns stale between polls", k.Interval, k.StaleAfter)
	}
	locateWarned := false
	for _, l := range c.winrmLevels() {
		d := l.merged.deadlines()
		if (l.set.CallTimeout != nil || l.set.OperationTimeout != nil) && d.operation >= d.read {
			warn(l.path+".operation_timeout", d.operation, "not shorter than %s.call_timeout (%s): a read ends while the host may still be working, without its answer", l.path, d.read)
		}
		if !locateWarned && c.Executor.LocateTimeout > d.read && (l.path == "winrm" || l.set.CallTimeout != nil) {
			locateWarned = true
			warn("executor.locate_timeout", c.Executor.LocateTimeout, "longer than %s.call_timeout (%s): each host's lookup ends by then, so the search never waits longer", l.path, d.read)
		}
	}
	return append(out, c.httpWarnings(time.Now())...)
}
