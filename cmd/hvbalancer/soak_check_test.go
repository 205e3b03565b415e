//go:build !windows

package main

import (
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
	"github.com/hvbalancer/hvbalancer/hyperv/sim"
)

// soakResult is what the soak's checks found; report fails the test on
// any of the counts that must be 0.
type soakResult struct {
	migrations, completed, failed, journaled int
	lost, double, unjournaled, untrue        int
	overLimit, overCap, overMemory           int
	leaked, liveForeign, unfinished          int
	problems                                 []string
}

func (r *soakResult) problem(format string, args ...any) {
	if len(r.problems) < 40 {
		r.problems = append(r.problems, fmt.Sprintf(format, args...))
	}
}

// report fails t for every count that must be 0 and is not.
func (r *soakResult) report(t *testing.T) {
	t.Helper()
	for _, p := range r.problems {
		t.Error(p)
	}
	for _, c := range []struct {
		name string
		n    int
	}{{"VMs lost", r.lost}, {"decisions migrated twice", r.double}, {"migrations without a journal entry", r.unjournaled},
		{"successes the fleet never ran", r.untrue}, {"times a host was over its migration limit", r.overLimit},
		{"times a host was over the executor's per-host cap", r.overCap}, {"times a host was over its memory", r.overMemory},
		{"shells left open after the last stop", r.leaked}, {"shells of dead daemons beside the live one", r.liveForeign},
		{"journal entries without a final state", r.unfinished}} {
		if c.n != 0 {
			t.Errorf("%d %s", c.n, c.name)
		}
	}
	if r.migrations == 0 {
		t.Error("the fleet ran no migration: the soak proved nothing")
	}
}

// settled reports whether the last daemon has ended every move it lists
// and the fleet runs no migration.
func (s *soakRun) settled() bool {
	client := &http.Client{Timeout: 5 * time.Second}
	var l ledger
	if quietGet(client, s.admin+"ledger", &l) != nil || running(l) {
		return false
	}
	var hist web.History
	if quietGet(client, s.url+"/api/v1/history?limit=1000", &hist) != nil {
		return false
	}
	for _, e := range hist.Entries {
		if !e.Final {
			return false
		}
	}
	var st web.Status
	return quietGet(client, s.url+"/api/v1/status", &st) == nil && len(st.InFlight) == 0
}

// shellsOf lists the open shells of user on every host, by host.
func (s *soakRun) shellsOf(user string) map[string][]sim.ShellInfo {
	s.t.Helper()
	var all struct {
		Shells map[string][]sim.ShellInfo `json:"shells"`
	}
	getJSON(s.t, s.admin+"shells", &all)
	out := map[string][]sim.ShellInfo{}
	for h, list := range all.Shells {
		for _, sh := range list {
			if strings.Contains(strings.ToLower(sh.Owner), strings.ToLower(user)) || strings.HasPrefix(sh.Name, "hvbalancer:") {
				out[h] = append(out[h], sh)
			}
		}
	}
	return out
}

// foreignShells counts the shells of user that the live daemon (pid) did
// not open: what the killed ones left and nobody closed.
func (s *soakRun) foreignShells(user string, pid int) int {
	n := 0
	for h, list := range s.shellsOf(user) {
		for _, sh := range list {
			if !strings.Contains(sh.Name, fmt.Sprintf(":%d:", pid)) {
				n++
				s.t.Logf("live daemon %d: shell %s on %s is not its own (name %q, idle %s)", pid, sh.ID, h, sh.Name, sh.Inactivity)
			}
		}
	}
	return n
}

// check runs the soak's checks once the last daemon has stopped: the
// fleet (every VM on one host), the ledger against the journal, the hosts'
// limits over the ledger's whole history, the shells left open, and every
// journal entry final.
func (s *soakRun) check(vmIDs []string, user string) *soakResult {
	t := s.t
	r := &soakResult{}
	for h, list := range s.shellsOf(user) {
		for _, sh := range list {
			r.leaked++
			r.problem("shell %s (%q, owner %s) left open on %s", sh.ID, sh.Name, sh.Owner, h)
		}
	}

	var fleet struct {
		Hosts []sim.HostState `json:"hosts"`
		VMs   []sim.VMState   `json:"vms"`
	}
	getJSON(t, s.admin+"fleet", &fleet)
	where := map[string][]string{}
	mem := map[string]int64{}
	for _, vm := range fleet.VMs {
		where[vm.ID] = append(where[vm.ID], vm.Host)
		mem[vm.ID] = vm.MemoryAssigned
	}
	for _, id := range vmIDs {
		if n := len(where[id]); n != 1 {
			r.lost++
			r.problem("VM %s is on %d hosts %v, want exactly one", id, n, where[id])
		}
	}
	if len(where) != len(vmIDs) {
		r.problem("the fleet lists %d VMs, it started with %d", len(where), len(vmIDs))
	}

	var l ledger
	getJSON(t, s.admin+"ledger", &l)
	j, err := journal.Open(filepath.Join(s.dir, "state", "journal.db"))
	if err != nil {
		t.Fatalf("open the journal: %v", err)
	}
	entries, err := j.Entries(0, nil)
	j.Close()
	if err != nil {
		t.Fatal(err)
	}
	r.journaled = len(entries)
	started, succeeded := map[string]int{}, map[string]int{}
	for _, e := range entries {
		if !e.State.Final() {
			r.unfinished++
			r.problem("journal entry %s (%s %s -> %s) ends %s: %s", e.MoveID, e.VMName, e.From, e.To, e.State, e.Error)
		}
		k := e.VMID + " " + e.From + " " + e.To
		if !e.Started.IsZero() {
			started[k]++
		}
		if e.State == journal.StateSucceeded {
			succeeded[k]++
		}
	}
	ran, completed := map[string]int{}, map[string]int{}
	for _, e := range l.Entries {
		r.migrations++
		k := e.VMID + " " + e.Source + " " + e.Destination
		ran[k]++
		switch e.Outcome {
		case sim.OutcomeCompleted:
			r.completed++
			completed[k]++
		case sim.OutcomeFailed:
			r.failed++
		}
	}
	// Move-VM is sent only after the start is journaled (synced), so every
	// migration the fleet ran pairs with a started journal entry: more
	// migrations than started entries is a decision run twice, or one run
	// without an entry.
	for k, n := range ran {
		switch s := started[k]; {
		case s == 0:
			r.unjournaled += n
			r.problem("the fleet migrated %s %d times, the journal never started it", k, n)
		case n > s:
			r.double += n - s
			r.problem("the fleet migrated %s %d times, the journal started it %d times", k, n, s)
		}
	}
	for k, n := range succeeded {
		if completed[k] < n {
			r.untrue += n - completed[k]
			r.problem("the journal says %s succeeded %d times, the fleet completed it %d times", k, n, completed[k])
		}
	}
	r.limits(l, fleet.Hosts, mem)
	return r
}

// limits replays the ledger's migrations in time: per host, the
// migrations running (Start to End) against the host's own limit, the
// migrations outstanding (Move-VM received to End) against the executor's
// per-host cap, and the memory of the VMs it holds or receives against
// its capacity less its reserve.
func (r *soakResult) limits(l ledger, hosts []sim.HostState, mem map[string]int64) {
	for name, h := range l.Hosts {
		if h.HighWater > h.Max {
			r.overLimit++
			r.problem("%s ran %d migrations at once, its limit is %d", name, h.HighWater, h.Max)
		}
	}
	type event struct {
		at             time.Time
		host           string
		running, outst int
		memory         int64
	}
	var evs []event
	for _, e := range l.Entries {
		end := e.End
		if end.IsZero() {
			end = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
		}
		for _, h := range []string{e.Source, e.Destination} {
			evs = append(evs, event{at: e.Queued, host: h, outst: 1}, event{at: end, host: h, outst: -1})
			if !e.Start.IsZero() {
				evs = append(evs, event{at: e.Start, host: h, running: 1}, event{at: end, host: h, running: -1})
			}
		}
		if !e.Start.IsZero() { // the destination holds the VM's memory from the start
			evs = append(evs, event{at: e.Start, host: e.Destination, memory: mem[e.VMID]})
			switch e.Outcome {
			case sim.OutcomeCompleted:
				evs = append(evs, event{at: end, host: e.Source, memory: -mem[e.VMID]})
			case sim.OutcomeFailed:
				evs = append(evs, event{at: end, host: e.Destination, memory: -mem[e.VMID]})
			}
		}
	}
	// Ends before starts at the same instant.
	slices.SortStableFunc(evs, func(a, b event) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return (a.running + a.outst + sign(a.memory)) - (b.running + b.outst + sign(b.memory))
	})
	limit, room := map[string]int{}, map[string]int64{}
	held := map[string]int64{}
	for _, h := range hosts {
		limit[h.Name] = h.MaxMigrations
		room[h.Name] = h.MemoryCapacity - h.MemoryReserve
	}
	for vm, host := range initialHosts(l, hosts) {
		held[host] += mem[vm]
	}
	runningNow, outstNow := map[string]int{}, map[string]int{}
	for _, ev := range evs {
		runningNow[ev.host] += ev.running
		outstNow[ev.host] += ev.outst
		held[ev.host] += ev.memory
		if ev.running > 0 && runningNow[ev.host] > limit[ev.host] {
			r.overLimit++
			r.problem("%s ran %d migrations at once at %s, its limit is %d", ev.host, runningNow[ev.host], ev.at.Format(time.RFC3339), limit[ev.host])
		}
		if ev.outst > 0 && outstNow[ev.host] > soakPerHostCap {
			r.overCap++
			r.problem("%s had %d migrations outstanding at %s, the executor's per-host cap is %d", ev.host, outstNow[ev.host], ev.at.Format(time.RFC3339), soakPerHostCap)
		}
		if ev.memory > 0 && held[ev.host] > room[ev.host] {
			r.overMemory++
			r.problem("%s held %d GiB at %s, it has room for %d", ev.host, held[ev.host]>>30, ev.at.Format(time.RFC3339), room[ev.host]>>30)
		}
	}
}

func sign(n int64) int {
	switch {
	case n > 0:
		return 1
	case n < 0:
		return -1
	}
	return 0
}

// initialHosts is where each VM was before the ledger's first migration:
// the source of its first migration, or where it is now if it never moved.
func initialHosts(l ledger, hosts []sim.HostState) map[string]string {
	out := map[string]string{}
	for _, h := range hosts {
		for _, id := range h.VMIDs {
			out[id] = h.Name
		}
	}
	first := map[string]bool{}
	for _, e := range l.Entries { // by Seq: the first is the oldest
		if !first[e.VMID] {
			first[e.VMID] = true
			out[e.VMID] = e.Source
		}
	}
	return out
}
