package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
	"github.com/hvbalancer/hvbalancer/hyperv/sim"
)

// mixedFleet is the example fleet with a hung host (HV04), an unreachable
// one (HV05) and the failover cluster CL01 (HV06, HV07) beside stand-alone
// hosts.
const mixedFleet = "../../examples/fleets/mixed.yaml"

// servedMixedFleet serves the mixed fleet over WinRM on 127.0.0.1, as real
// hosts the configuration names one by one would be.
func servedMixedFleet(t *testing.T) (*sim.Server, *sim.FleetSpec) {
	t.Helper()
	spec, err := sim.LoadFleet(mixedFleet)
	if err != nil {
		t.Fatal(err)
	}
	return serveFleet(t, spec), spec
}

// mixedConfig configures the daemon for the served fleet as an
// administrator who got the cluster wrong would: HV03, a stand-alone host,
// is listed under CL01. read is every read's deadline and every poll's,
// and half of it the bound of a search of the whole fleet for a VM: long,
// so that anything that waits for the hung host shows.
func mixedConfig(t *testing.T, srv *sim.Server, spec *sim.FleetSpec, read time.Duration) string {
	t.Helper()
	dir := t.TempDir()
	abs, _ := filepath.Abs("../../examples")
	writeSecrets(t, dir, spec)
	host := func(name string) string { return hostEntry(t, srv, name, "") }
	cfg := fmt.Sprintf(`version: 1
state_dir: state
http: {listen: "127.0.0.1:0", token_file: token}
automation: full
round_interval: 500ms
winrm: {auth: ntlm, username: %s, password_file: password, call_timeout: %s}
clusters:
  - name: CL01
    hosts:
%s%s%s  - name: standalone
    hosts:
%s%s%s%s
collector: {interval: 1s, window: 4s, stale_after: %s, call_timeout: %s, round_timeout: 1s}
policy: {dir: %s/policies}
planner: {max_moves: 10, cooldown: 1h}
executor: {max_concurrent: 4, migrations_per_minute: 600, burst: 10, drain_timeout: 30s, locate_timeout: %s}
`, spec.Credentials.Username, read,
		host("HV06"), host("HV07"), host("HV03"),
		host("HV01"), host("HV02"), host("HV04"), host("HV05"),
		3*read, read, abs, read/2)
	return writeConfig(t, dir, cfg)
}

// logBuffer keeps what the daemon logs.
type logBuffer struct {
	mu    sync.Mutex
	lines []string
}

func (b *logBuffer) add(l string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lines = append(b.lines, l)
}

func (b *logBuffer) all() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.lines...)
}

// startLoggingDaemon is startDaemon keeping the daemon's log.
func startLoggingDaemon(t *testing.T, cfgPath string) (*runningDaemon, *logBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	lr, lw := io.Pipe()
	logs := &logBuffer{}
	logged := make(chan struct{})
	go func() {
		defer close(logged)
		s := bufio.NewScanner(lr)
		s.Buffer(nil, 1<<20)
		for s.Scan() {
			logs.add(s.Text())
		}
	}()
	done := make(chan int, 1)
	go func() {
		code := runContext(ctx, []string{"run", "--config", cfgPath}, pw, lw)
		pw.Close()
		lw.Close()
		done <- code
	}()
	d := &runningDaemon{}
	urlRE := regexp.MustCompile(`status page (http://\S+)/`)
	lines := bufio.NewScanner(pr)
	for d.url == "" && lines.Scan() {
		if m := urlRE.FindStringSubmatch(lines.Text()); m != nil {
			d.url = m[1]
		}
	}
	go io.Copy(io.Discard, pr)
	if d.url == "" {
		cancel()
		t.Fatalf("daemon did not start (exit %d):\n%s", <-done, strings.Join(logs.all(), "\n"))
	}
	stop := sync.OnceValue(func() int { cancel(); code := <-done; <-logged; return code })
	d.stop = stop
	t.Cleanup(func() { stop() })
	return d, logs
}

// TestDaemonBalancesAroundHungUnreachableAndMixedCluster runs the daemon
// over WinRM against a fleet with a hung host, an unreachable host and a
// failover cluster beside stand-alone hosts, configured with a cluster
// that contradicts one host's own answer. It proves that the hung host
// delays nothing (rounds keep coming, migrations hold their slots for
// their copies only), that the cluster the hosts report is the one used,
// and that /readyz tells the truth before and after too few hosts answer.
func TestDaemonBalancesAroundHungUnreachableAndMixedCluster(t *testing.T) {
	// The read deadline is a good part of what the test may wait: anything
	// that waits for the hung host waits that long, which the checks below
	// tell from what did not wait.
	read := min(max(time.Until(patience(t))/4, 30*time.Second), 2*time.Minute).Round(time.Second)
	srv, spec := servedMixedFleet(t)
	start := time.Now()
	d, logs := startLoggingDaemon(t, mixedConfig(t, srv, spec, read))

	// Rounds come at the interval while HV04 hangs, and plan the others
	// until the fleet is balanced.
	rounds := map[time.Time]bool{}
	var st web.Status
	eventually(t, "a round that moves nothing after at least four rounds", func() bool {
		getJSON(t, d.url+"/api/v1/status", &st)
		if !st.LastRound.Time.IsZero() {
			rounds[st.LastRound.Time] = true
		}
		return len(rounds) >= 4 && quietRound(st)
	})
	if waited := time.Since(start); waited >= read {
		t.Errorf("%d rounds and a round that moves nothing took %s, not less than one read deadline (%s): something waited for the hung host", len(rounds), waited, read)
	}
	// With HV04 and HV05 unread, the fleet is never said to be balanced.
	if st.LastRound.Result == "balanced" || st.Balance.Balanced != nil && *st.Balance.Balanced {
		t.Errorf("round %q, balance %+v with HV04 and HV05 unread: balanced is not known", st.LastRound.Result, st.Balance)
	}

	var hosts web.Hosts
	getJSON(t, d.url+"/api/v1/hosts", &hosts)
	byName := map[string]web.HostInfo{}
	for _, h := range hosts.Hosts {
		byName[h.Name] = h
	}
	for name, want := range map[string]string{"HV01": "", "HV02": "", "HV03": "", "HV06": "CL01", "HV07": "CL01"} {
		h := byName[name]
		if h.Health != web.HostOK || h.Cluster != want {
			t.Errorf("%s: %s in cluster %q, want ok in %q (as the host reports it)", name, h.Health, h.Cluster, want)
		}
	}
	for _, name := range []string{"HV04", "HV05"} {
		if h := byName[name]; h.Health == web.HostOK {
			t.Errorf("%s is ok, but it never answers", name)
		}
	}

	// Let what runs land, then compare the journal with the fleet's ledger.
	if code := post(t, d.url+"/api/v1/pause", testToken, map[string]string{"reason": "test"}); code != http.StatusOK {
		t.Fatalf("pause: %d", code)
	}
	eventually(t, "no migration in flight", func() bool {
		getJSON(t, d.url+"/api/v1/status", &st)
		return st.Paused && len(st.InFlight) == 0
	})
	var hist web.History
	getJSON(t, d.url+"/api/v1/history?limit=1000", &hist)
	entries := srv.Fleet().Ledger()
	l := ledger{Entries: entries}
	checkLedgerAgainstJournal(t, l, hist.Entries)

	clustered := map[string]bool{}
	for _, v := range spec.VMs {
		if v.Clustered {
			clustered[v.Name] = true
		}
	}
	nodes := map[string]bool{"HV06": true, "HV07": true}
	ran := map[string]sim.LedgerEntry{}
	for _, e := range entries {
		ran[e.VMID] = e // each VM moves once: the cooldown is an hour
		if e.Outcome != "completed" {
			t.Errorf("the fleet's migration of %s %s→%s: %s %s", e.VMName, e.Source, e.Destination, e.Outcome, e.Error)
		}
	}
	var toHV03, toNode, holds int
	var ratios []string
	speed := spec.Speed
	for _, h := range hist.Entries {
		ok := h.State == web.MoveSucceeded
		switch {
		case clustered[h.VMName] && !nodes[h.To]:
			t.Errorf("clustered role %s planned from %s to %s, not a node of CL01", h.VMName, h.From, h.To)
		case clustered[h.VMName]:
			toNode += btoi(ok)
		case nodes[h.To] || nodes[h.From]:
			t.Errorf("stand-alone VM %s planned %s→%s, into or out of a cluster", h.VMName, h.From, h.To)
		case h.To == "HV03":
			toHV03 += btoi(ok)
		}
		if h.To == "HV04" || h.To == "HV05" || h.From == "HV04" || h.From == "HV05" {
			t.Errorf("move %s of %s touches %s→%s, a host that never answered", h.MoveID, h.VMName, h.From, h.To)
		}
		// The re-check before a move may skip it (the fleet changed since
		// the plan); none may fail.
		if h.State != web.MoveSucceeded {
			if h.State != web.MoveSkipped {
				t.Errorf("move %s of %s %s→%s: %s (%s: %s)", h.MoveID, h.VMName, h.From, h.To, h.State, h.Cause, h.Error)
			}
			continue
		}
		// The slot is held from Move-VM's sending to the outcome; the copy
		// is what the fleet's ledger says it took, on its faster clock.
		e, ok := ran[h.VMID]
		if !ok {
			t.Errorf("move %s of %s: not in the fleet's ledger", h.MoveID, h.VMName)
			continue
		}
		hold := h.Ended.Sub(h.Started)
		copyTime := time.Duration(float64(e.End.Sub(e.Queued)) / speed)
		holds++
		ratios = append(ratios, fmt.Sprintf("%s %.3fs/%.3fs", h.VMName, hold.Seconds(), copyTime.Seconds()))
		if hold+time.Millisecond < copyTime {
			t.Errorf("move of %s held its slot %s, less than its copy (%s): the slot was given back too early", h.VMName, hold, copyTime)
		}
		if hold-copyTime >= read/2 {
			t.Errorf("move of %s held its slot %s for a copy of %s: it waited a search or read deadline (%s) for a host", h.VMName, hold, copyTime, read/2)
		}
	}
	sort.Strings(ratios)
	t.Logf("slot held / copy: %s", strings.Join(ratios, ", "))
	if toNode == 0 || toHV03 == 0 || holds == 0 {
		t.Errorf("%d clustered roles moved within CL01, %d stand-alone VMs to HV03 (listed under CL01 in the configuration): want both", toNode, toHV03)
	}
	warned := false
	for _, line := range logs.all() {
		if strings.Contains(line, "HV03") && strings.Contains(line, "CL01") && strings.Contains(line, "level=WARN") {
			warned = true
		}
	}
	if !warned {
		t.Error("no warning that HV03's configured cluster CL01 contradicts the host")
	}

	// Ready while enough hosts answer; not ready, saying which, once too
	// few do.
	if code, body := get(t, d.url+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz with 5 of 7 hosts answering: %d %s", code, body)
	}
	for _, name := range []string{"HV01", "HV02"} {
		if err := srv.SetFaults(name, sim.Faults{Unreachable: true}); err != nil {
			t.Fatal(err)
		}
	}
	var body string
	eventually(t, "/readyz to say too few hosts answer", func() bool {
		var code int
		code, body = get(t, d.url+"/readyz")
		return code == http.StatusServiceUnavailable
	})
	for _, want := range []string{"only 3 of 7 hosts answer", "HV01", "HV02", "HV04", "HV05"} {
		if !strings.Contains(body, want) {
			t.Errorf("/readyz says %q, without %q", body, want)
		}
	}
	if code := d.stop(); code != 0 {
		t.Errorf("exit %d after stop", code)
	}
	lineLengths(t, logs.all())
}

// quietRound reports whether the last round planned nothing, whatever it
// could say of the balance: balanced, not known (too little data), or no
// move (out of balance, and no move helps).
func quietRound(st web.Status) bool {
	switch st.LastRound.Result {
	case "balanced", "not known", "no move":
		return st.Balance != nil && st.Balance.Moves == 0
	}
	return false
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// lineLengths logs the longest log lines and the 95th percentile of their
// lengths.
func lineLengths(t *testing.T, lines []string) {
	t.Helper()
	if len(lines) == 0 {
		return
	}
	sorted := append([]string(nil), lines...)
	sort.Slice(sorted, func(i, j int) bool { return len(sorted[i]) < len(sorted[j]) })
	t.Logf("%d log lines, p95 %d characters, longest %d: %s", len(sorted), len(sorted[len(sorted)*95/100]), len(sorted[len(sorted)-1]), sorted[len(sorted)-1])
}
