package model

// Contention: how a host's logical processors are shared when its VMs
// want more than it has, and what the hypervisor's counters then show.
//
// Each virtual processor (VP) wants a fraction d of wall time (its VM's
// demand from profiles.go, spread over its VPs by vcpuWants). Hyper-V's
// default scheduler, the classic one, is a fair-share, round-robin
// scheduler of VPs onto logical processors (LPs) (Microsoft, "Manage
// Hyper-V hypervisor scheduler types"); with equal weights and no caps
// or reserves the model is egalitarian processor sharing: while a VP is
// ready it runs a fraction s of the time and waits the rest, s the same
// for every VP of the host.
// VPs are closed loops: a VP alternates CPU bursts with idle time it
// spends whatever its speed (a guest waiting on I/O or a user), so a slowed
// VP is ready longer but runs less in all:
//
//	ready a = d / (d + s·(1−d)),  run r = a·s,  wait w = a·(1−s)
//
// (d = 1: it is always ready, runs s and waits 1−s; s = 1: it runs d and
// never waits). When the VPs want no more than the LPs the host has left
// after the hypervisor's overhead and its migrations, s = 1; otherwise s
// is the one value at which they receive exactly that (fairShare), so a
// saturated host's % Total Run Time reads 100. The VP's demand is then
// d = r/(1−w): what it ran over the time it was not kept waiting; the
// collector's estimator inverts the counters the same way.
//
// The counters: a VP is dispatched once per runPerDispatch of run time,
// and each dispatch waits uncontendedWait even on an idle host (one
// administrator measured 7–10 µs on an uncontended host; monitoring tools
// warn above 60 µs per dispatch and alarm above 100 µs). So CPU Wait
// Time Per Dispatch is uncontendedWait + w·runPerDispatch/r: 8 µs on an
// idle host, 83 µs for a VP that wants all its time on a host where s is
// 0.77.

import (
	"math"
	"time"
)

// Scheduler constants of the counter model.
const (
	runPerDispatch  = 250 * time.Microsecond // mean run time of one dispatch
	uncontendedWait = 8 * time.Microsecond   // wait of a dispatch on an idle host
)

// vpLoad is one virtual processor's time: what it wants and what it got,
// as fractions of wall time, and its counters.
type vpLoad struct {
	want, run, wait float64
	waitPerDispatch float64 // ns
	dispatches      float64 // per second
}

// vcpuWants spreads a VM's demand (in LPs, at most cpus) over its cpus
// VPs: each varies a little around the mean (vcpuSpread), none wants more
// than all its time, and they add up to the VM's demand.
func vcpuWants(key uint64, demand float64, cpus int, t time.Time) []float64 {
	out := make([]float64, cpus)
	if cpus == 0 || demand <= 0 {
		return out
	}
	demand = math.Min(demand, float64(cpus))
	w := make([]float64, cpus)
	for k := range w {
		w[k] = 1 + vcpuSpread*(2*valueNoise(key^uint64(k+1)*0x9e3779b97f4a7c15, saltVCPU, t, vcpuNoiseScale)-1)
	}
	// Water-filling: VPs that would want more than all their time are
	// held at 1 and the rest is spread over the others by their weights.
	full := make([]bool, cpus)
	left := demand
	for range cpus {
		var sum float64
		for k := range w {
			if !full[k] {
				sum += w[k]
			}
		}
		capped := false
		for k := range out {
			if full[k] {
				continue
			}
			out[k] = left * w[k] / sum
			if out[k] > 1 {
				out[k], full[k], capped = 1, true, true
			}
		}
		if !capped {
			break
		}
		left = demand
		for k := range out {
			if full[k] {
				left -= 1
			}
		}
	}
	return out
}

// ranAt is what a VP wanting d receives at share s.
func ranAt(d, s float64) float64 {
	if d <= 0 {
		return 0
	}
	return d * s / (d + s*(1-d))
}

// fairShare is the share s at which VPs wanting wants receive avail LPs
// in all; 1 when they want no more than that.
func fairShare(wants []float64, avail float64) float64 {
	var total float64
	for _, d := range wants {
		total += d
	}
	if total <= avail {
		return 1
	}
	if avail <= 0 {
		return 0
	}
	lo, hi := 0.0, 1.0
	for range 60 {
		s := (lo + hi) / 2
		var got float64
		for _, d := range wants {
			got += ranAt(d, s)
		}
		if got < avail {
			lo = s
		} else {
			hi = s
		}
	}
	return (lo + hi) / 2
}

// contend gives a VP wanting d its time and counters at share s.
func contend(d, s float64) vpLoad {
	l := vpLoad{want: d}
	switch {
	case d <= 0:
		return l
	case s <= 0:
		l.wait = 1 // ready all the time, never run
		return l
	}
	ready := d / (d + s*(1-d))
	l.run, l.wait = ready*s, ready*(1-s)
	l.dispatches = l.run / runPerDispatch.Seconds()
	l.waitPerDispatch = float64(uncontendedWait.Nanoseconds()) + l.wait/l.run*float64(runPerDispatch.Nanoseconds())
	return l
}
