//go:build !windows

package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
	"github.com/hvbalancer/hvbalancer/hyperv/sim"
)

var (
	soakFor  = flag.Duration("soak", 0, "run TestSoak for this long (e.g. 10m); 0 skips it")
	soakSeed = flag.Uint64("soak.seed", 0, "seed of TestSoak's random choices, to replay a run (0: drawn from the clock)")
)

// soakWindDown is what TestSoak needs after its -soak duration: the last
// daemon reconciling and ending every move, and the checks.
const soakWindDown = 6 * time.Minute

// soakHosts are the soak fleet's hosts; its VMs start on the first two.
var soakHosts = []string{"HV01", "HV02", "HV03", "HV04"}

// soakSpeed is how many simulated seconds pass per real second: the
// load's swings come four times as fast.
const soakSpeed = 4

// soakFleet writes a fleet of four hosts and 24 VMs whose load swings
// (diurnal over periods of one to two and a half real minutes, each VM its
// own, bursty, random walk), so that the planner keeps finding moves, on a
// 0.5 Gb/s migration network so that a move takes seconds and a kill often
// lands while one runs. It returns the VMs' IDs.
func soakFleet(rng *rand.Rand) (yaml string, ids []string) {
	var b strings.Builder
	b.WriteString("name: soak\nseed: 5\nstart: 2026-01-10T22:00:00Z\ncredentials: {username: hvadmin, password: soak-test-pw}\nhosts:\n")
	for _, h := range soakHosts {
		fmt.Fprintf(&b, "  - {name: %s, logical_processors: 16, memory_gib: 96, bandwidth_gbps: 0.5}\n", h)
	}
	b.WriteString("vms:\n")
	profiles := []string{"", "profile: bursty, cpu: 0.5, amplitude: 0.5", "profile: randomwalk, cpu: 0.5, amplitude: 0.45"}
	for i := 1; i <= 24; i++ {
		profiles[0] = fmt.Sprintf("profile: diurnal, period: %dm, cpu: 0.55, amplitude: 0.45", 4+rng.IntN(7))
		id := fmt.Sprintf("5c000000-0000-4000-8000-%012d", i)
		ids = append(ids, id)
		fmt.Fprintf(&b, "  - {id: %s, name: vm-%02d, host: %s, cpus: %d, memory_gib: %d, load: {%s}}\n",
			id, i, soakHosts[i%2], 2+rng.IntN(3), 2+2*rng.IntN(3), profiles[i%len(profiles)])
	}
	return b.String(), ids
}

// soakRun is one soak's processes and counts.
type soakRun struct {
	t                   *testing.T
	rng                 *rand.Rand
	bin, cfgPath, dir   string
	cfgFormat           string
	admin               string
	log                 *os.File
	daemon              *exec.Cmd
	url                 string
	manual              atomic.Bool
	kills, midMove      int
	starts, faults      int
	faultKinds          map[string]int
	approvals           atomic.Int64
	stopApprove         chan struct{}
	approveDone         sync.WaitGroup
	faulted             map[string]time.Time // host -> when its fault is cleared
	killAt, nextFaultAt time.Time
}

// TestSoak is the crash test's soak mode (-soak=10m; skipped without it):
// for the duration, the daemon runs (full automation, and part of the time
// manual with plans approved through the API) against a simulated fleet
// whose load keeps producing plans, while it is killed with SIGKILL at
// random moments (half of them while Move-VM is outstanding) and started
// again, and hosts are made to hang, be unreachable, answer slowly, refuse
// the account, drop connections or fail Move-VM through the admin API, and
// set right again. Then the faults are cleared, a last daemon reconciles
// and ends every move and is stopped, and the fleet's ledger, the fleet and
// the journal are checked: no VM lost, no decision migrated twice, no
// migration without a journal entry, no host over its limits, no shell of
// the account left open, every journal entry final. -soak.seed replays the
// random choices.
func TestSoak(t *testing.T) {
	if *soakFor <= 0 {
		t.Skip("soak mode: go test ./cmd/hvbalancer/ -run Soak -soak=10m -timeout 30m (the package first: go test passes what follows a flag it does not know to the test)")
	}
	if d, ok := t.Deadline(); ok && time.Until(d) < *soakFor+soakWindDown {
		t.Fatalf("-soak=%s needs -timeout of at least %s", *soakFor, (*soakFor + soakWindDown + time.Minute).Round(time.Minute))
	}
	seed := *soakSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("soak seed %d (replay with -soak.seed=%d)", seed, seed)
	fmt.Printf("soak: seed %d, duration %s\n", seed, *soakFor)
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	hvbalancerBin, hvsimBin := buildBinaries(t)
	dir, err := os.MkdirTemp("", "hvbalancer-soak-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("soak files kept in %s (daemon.log, state, sim)", dir)
			return
		}
		os.RemoveAll(dir)
	})
	fleetYAML, vmIDs := soakFleet(rng)
	fleetPath := filepath.Join(dir, "fleet.yaml")
	os.WriteFile(fleetPath, []byte(fleetYAML), 0o644)
	simProc := startProcess(t, hvsimBin, "--fleet", fleetPath, "--https", "--speed", fmt.Sprint(soakSpeed), "--state-dir", filepath.Join(dir, "sim"))
	admin := simProc.waitLine(t, regexp.MustCompile(`admin API:\s+(\S+)`))
	inv, err := sim.LoadInventory(filepath.Join(dir, "sim", sim.InventoryFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "token"), []byte(testToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs("../../examples/policies")
	var hosts strings.Builder
	for _, h := range inv.Hosts {
		fmt.Fprintf(&hosts, "      - {name: %s, address: %s, winrm: {port: %d}}\n", h.Host, h.IP, h.Port)
	}
	// %%s is the automation, written again before each start.
	cfgFormat := fmt.Sprintf(`version: 1
state_dir: state
http: {listen: "127.0.0.1:0", token_file: token}
automation: %%s
round_interval: 2s
winrm: {https: true, auth: ntlm, username: %s, password_file: %s, ca_file: %s, operation_timeout: 1s}
clusters:
  - name: lab
    hosts:
%scollector: {interval: 500ms, window: 4s, stale_after: 15s}
policy: {dir: %s}
planner: {max_moves: 4, max_inflow_per_host: 2, cooldown: 20s, target_spread: 5}
executor: {max_concurrent: 3, per_host_cap: %d, migrations_per_minute: 600, burst: 10, drain_timeout: 5s}
`, inv.Username, inv.PasswordFile, inv.CAFile, hosts.String(), abs, soakPerHostCap)
	logFile, err := os.Create(filepath.Join(dir, "daemon.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	s := &soakRun{t: t, rng: rng, bin: hvbalancerBin, dir: dir, cfgPath: filepath.Join(dir, "config.yaml"), cfgFormat: cfgFormat,
		admin: admin, log: logFile, faultKinds: map[string]int{}, faulted: map[string]time.Time{}}
	t.Cleanup(func() {
		if s.daemon != nil {
			s.daemon.Process.Kill()
			s.daemon.Wait()
		}
	})

	start := time.Now()
	s.start(false)
	s.killAt = start.Add(s.between(5*time.Second, 40*time.Second))
	s.nextFaultAt = start.Add(s.between(5*time.Second, 20*time.Second))
	for time.Since(start) < *soakFor {
		now := time.Now()
		if now.After(s.killAt) {
			s.kill()
			s.start(s.rng.IntN(3) == 0) // a third of the starts in manual mode
			s.killAt = time.Now().Add(s.between(8*time.Second, 45*time.Second))
		}
		for h, until := range s.faulted {
			if now.After(until) {
				s.setFaults(h, map[string]any{})
				delete(s.faulted, h)
			}
		}
		if now.After(s.nextFaultAt) {
			s.inject()
			s.nextFaultAt = time.Now().Add(s.between(5*time.Second, 20*time.Second))
		}
		time.Sleep(200 * time.Millisecond)
	}
	soaked := time.Since(start)

	// Wind down: every host set right, a last daemon (manual: it plans
	// nothing new to run) resumes and reconciles what the others left, and
	// stops.
	for _, h := range soakHosts {
		s.setFaults(h, map[string]any{})
	}
	s.kill()
	s.start(true)
	s.stopApprovals()
	eventually(t, "every journaled move to end and the fleet to run no migration", func() bool { return s.settled() })
	liveShells := s.foreignShells(inv.Username, s.daemon.Process.Pid)
	s.daemon.Process.Signal(syscall.SIGTERM)
	if err := s.daemon.Wait(); err != nil {
		t.Errorf("last daemon after SIGTERM: %v", err)
	}
	s.daemon = nil

	r := s.check(vmIDs, inv.Username)
	r.liveForeign = liveShells
	fmt.Printf("soak: kills %d (%d mid-move), faults %d %v, migrations %d (%d completed, %d failed), approvals %d, journal %d, lost %d, double %d, unjournaled %d, over-limit %d (host limit %d, per-host cap %d, memory %d), leaked shells %d, unfinished %d, duration %s, seed %d\n",
		s.kills, s.midMove, s.faults, s.faultKinds, r.migrations, r.completed, r.failed, s.approvals.Load(), r.journaled,
		r.lost, r.double, r.unjournaled, r.overLimit+r.overCap+r.overMemory, r.overLimit, r.overCap, r.overMemory,
		r.leaked+r.liveForeign, r.unfinished, soaked.Round(time.Second), seed)
	r.report(t)
}

// soakPerHostCap is the executor's per_host_cap in the soak: below the
// simulated hosts' own limit of two, so that the ledger can show the
// daemon keeping its own.
const soakPerHostCap = 1

// between is a random duration in [lo, hi).
func (s *soakRun) between(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(s.rng.Int64N(int64(hi-lo)))
}

// start writes the configuration and starts a daemon, waiting for its
// status page; manual runs a goroutine approving its pending plans.
func (s *soakRun) start(manual bool) {
	s.t.Helper()
	s.stopApprovals()
	automation := "full"
	if manual {
		automation = "manual"
	}
	if err := os.WriteFile(s.cfgPath, fmt.Appendf(nil, s.cfgFormat, automation), 0o644); err != nil {
		s.t.Fatal(err)
	}
	off, _ := s.log.Seek(0, 2)
	fmt.Fprintf(s.log, "=== soak: start %d (%s) at %s\n", s.starts+1, automation, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(s.bin, "run", "--config", s.cfgPath)
	cmd.Stdout, cmd.Stderr = s.log, s.log
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.daemon = cmd
	s.starts++
	re := regexp.MustCompile(`status page (http://\S+)/`)
	s.url = ""
	eventually(s.t, "the daemon's status page", func() bool {
		b, _ := os.ReadFile(s.log.Name())
		if m := re.FindSubmatch(b[min(off, int64(len(b))):]); m != nil {
			s.url = string(m[1])
		}
		return s.url != ""
	})
	s.manual.Store(manual)
	if manual && s.rng.IntN(4) != 0 { // now and then, plans wait unapproved
		s.stopApprove = make(chan struct{})
		s.approveDone.Add(1)
		go s.approve(s.url, s.stopApprove)
	}
}

// approve approves the newest pending plan of the daemon at url every
// second or so, until stop is closed. Errors are expected (the daemon is
// killed under it) and ignored.
func (s *soakRun) approve(url string, stop chan struct{}) {
	defer s.approveDone.Done()
	client := &http.Client{Timeout: 5 * time.Second}
	for {
		select {
		case <-stop:
			return
		case <-time.After(time.Second):
		}
		var plans web.Plans
		if quietGet(client, url+"/api/v1/plans", &plans) != nil {
			continue
		}
		for _, p := range plans.Plans { // newest first
			if p.State != web.PlanPending {
				continue
			}
			body, _ := json.Marshal(map[string]string{"by": "soak"})
			req, _ := http.NewRequest(http.MethodPost, url+"/api/v1/plans/"+p.ID+"/approve", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+testToken)
			if resp, err := client.Do(req); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					s.approvals.Add(1)
				}
			}
			break
		}
	}
}

func (s *soakRun) stopApprovals() {
	if s.stopApprove != nil {
		close(s.stopApprove)
		s.approveDone.Wait()
		s.stopApprove = nil
	}
}

// kill sends SIGKILL to the running daemon: half the time at once, half
// the time once the fleet runs a migration (Move-VM outstanding), if one
// comes within 20 s.
func (s *soakRun) kill() {
	if s.daemon == nil {
		return
	}
	if s.rng.IntN(2) == 0 {
		client := &http.Client{Timeout: 5 * time.Second}
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			var l ledger
			if quietGet(client, s.admin+"ledger", &l) == nil && running(l) {
				time.Sleep(s.between(0, 2*time.Second))
				s.midMove++
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	s.stopApprovals()
	s.daemon.Process.Signal(syscall.SIGKILL)
	s.daemon.Wait()
	fmt.Fprintf(s.log, "=== soak: SIGKILL at %s\n", time.Now().Format(time.RFC3339Nano))
	s.daemon = nil
	s.kills++
}

// running reports whether the ledger shows a migration queued or running.
func running(l ledger) bool {
	for _, e := range l.Entries {
		if e.Outcome == sim.OutcomeRunning || e.Outcome == sim.OutcomeQueued {
			return true
		}
	}
	return false
}

// soakFaults are the run-time faults the soak injects, one host at a time.
var soakFaults = []struct {
	name   string
	faults map[string]any
}{
	{"hang", map[string]any{"hang": true}},
	{"unreachable", map[string]any{"unreachable": true}},
	{"latency", map[string]any{"latency": "3s"}},
	{"move-failures", map[string]any{"move_failure_rate": 0.3}},
	{"wrong-credentials", map[string]any{"wrong_credentials": true}},
	{"drop-connection", map[string]any{"drop_connection": true}},
}

// inject gives a host without a fault one, for 5 to 30 seconds.
func (s *soakRun) inject() {
	h := soakHosts[s.rng.IntN(len(soakHosts))]
	if _, busy := s.faulted[h]; busy {
		return
	}
	f := soakFaults[s.rng.IntN(len(soakFaults))]
	s.setFaults(h, f.faults)
	s.faulted[h] = time.Now().Add(s.between(5*time.Second, 30*time.Second))
	s.faults++
	s.faultKinds[f.name]++
	fmt.Fprintf(s.log, "=== soak: %s on %s at %s\n", f.name, h, time.Now().Format(time.RFC3339Nano))
}

// setFaults replaces a host's faults through the admin API.
func (s *soakRun) setFaults(host string, faults map[string]any) {
	s.t.Helper()
	b, _ := json.Marshal(faults)
	req, _ := http.NewRequest(http.MethodPut, s.admin+"hosts/"+host+"/faults", bytes.NewReader(b))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("set faults of %s: %v", host, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("set faults of %s: %s", host, resp.Status)
	}
}

// quietGet decodes url's JSON into v, returning any error.
func quietGet(client *http.Client, url string, v any) error {
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}
