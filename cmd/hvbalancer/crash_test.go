//go:build !windows

package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
	"github.com/hvbalancer/hvbalancer/hyperv/sim"
)

// crashFleet has one hot host with a big VM whose live migration takes long
// enough (about half a minute at real speed) to kill the daemon during it;
// the other VM, as busy and cheaper to move, is frozen, so that the plan
// moves the big one.
const crashFleet = `name: crash
seed: 7
start: 2026-01-10T22:00:00Z
credentials: {username: hvadmin, password: crash-test-pw}
hosts:
  - {name: HV01, logical_processors: 16, memory_gib: 256}
  - {name: HV02, logical_processors: 16, memory_gib: 256}
vms:
  - {id: 0b000000-0000-4000-8000-000000000001, name: big, host: HV01, cpus: 8, memory_gib: 64, load: {cpu: 0.9}}
  - {id: 0b000000-0000-4000-8000-000000000002, name: web, host: HV01, cpus: 8, memory_gib: 8, notes: "frozen=true", load: {cpu: 0.9}}
`

// process is a started binary whose output lines are scanned.
type process struct {
	cmd   *exec.Cmd
	lines chan string
}

func startProcess(t *testing.T, bin string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(bin, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, lines: make(chan string, 1000)}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			select {
			case p.lines <- sc.Text():
			default:
			}
		}
		close(p.lines)
	}()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return p
}

// waitLine returns the first submatch of re in the process's output.
func (p *process) waitLine(t *testing.T, re *regexp.Regexp) string {
	t.Helper()
	timeout := time.After(time.Until(patience(t)))
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				t.Fatalf("process ended before printing %s", re)
			}
			if m := re.FindStringSubmatch(l); m != nil {
				return m[1]
			}
		case <-timeout:
			t.Fatalf("no line matching %s", re)
		}
	}
}

func buildBinaries(t *testing.T) (hvbalancer, hvsim string) {
	t.Helper()
	dir := t.TempDir()
	for _, b := range []struct{ out, pkg string }{{"hvbalancer", "."}, {"hvsim", "../hvsim"}} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, b.out), b.pkg)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", b.pkg, err, out)
		}
	}
	return filepath.Join(dir, "hvbalancer"), filepath.Join(dir, "hvsim")
}

// TestKilledMidMigrationReconcilesAndNeverRepeats kills the daemon (a real
// process, SIGKILL) while a live migration runs on a separate simulated
// fleet, starts it again, and checks from the fleet's ledger that the
// migration completed once and was never started again.
func TestKilledMidMigrationReconcilesAndNeverRepeats(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries and waits for a real-time migration")
	}
	// Its own processes, directories and ports: it waits on real time
	// rather than the CPU, so it runs beside the others of its kind.
	t.Parallel()
	hvbalancerBin, hvsimBin := buildBinaries(t)
	dir := t.TempDir()
	fleetPath := filepath.Join(dir, "fleet.yaml")
	os.WriteFile(fleetPath, []byte(crashFleet), 0o644)
	simProc := startProcess(t, hvsimBin, "--fleet", fleetPath, "--https", "--speed", "1", "--state-dir", filepath.Join(dir, "sim"))
	admin := simProc.waitLine(t, regexp.MustCompile(`admin API:\s+(\S+)`))
	inv, err := sim.LoadInventory(filepath.Join(dir, "sim", sim.InventoryFile))
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs("../../examples/policies")
	cfg := fmt.Sprintf(`version: 1
state_dir: state
http: {listen: "127.0.0.1:0"}
automation: full
round_interval: 500ms
winrm: {https: true, auth: ntlm, username: %s, password_file: %s, ca_file: %s, operation_timeout: 1s}
clusters:
  - name: lab
    hosts:
      - {name: %s, address: %s, winrm: {port: %d}}
      - {name: %s, address: %s, winrm: {port: %d}}
collector: {interval: 300ms, window: 3s, stale_after: 10s}
policy: {dir: %s}
executor: {drain_timeout: 1s}
`, inv.Username, inv.PasswordFile, inv.CAFile,
		inv.Hosts[0].Host, inv.Hosts[0].IP, inv.Hosts[0].Port,
		inv.Hosts[1].Host, inv.Hosts[1].IP, inv.Hosts[1].Port, abs)
	cfgPath := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfgPath, []byte(cfg), 0o644)

	first := startProcess(t, hvbalancerBin, "run", "--config", cfgPath)
	first.waitLine(t, regexp.MustCompile(`(status page)`))
	var l ledger
	eventually(t, "a migration running on the fleet", func() bool {
		getJSON(t, admin+"ledger", &l)
		for _, e := range l.Entries {
			if e.VMName == "big" && e.Outcome == sim.OutcomeRunning {
				return true
			}
		}
		return false
	})
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	first.cmd.Wait()

	second := startProcess(t, hvbalancerBin, "run", "--config", cfgPath)
	url := second.waitLine(t, regexp.MustCompile(`status page (http://\S+)/`))
	var hist web.History
	var oldest web.HistoryEntry
	eventually(t, "the interrupted migration reconciled", func() bool {
		getJSON(t, url+"/api/v1/history?limit=100", &hist)
		for _, e := range hist.Entries {
			if e.VMName == "big" && e.State == web.MoveSucceeded {
				oldest = e
				return true
			}
		}
		return false
	})
	if !oldest.Reconciled {
		t.Errorf("interrupted move: %+v, want it reconciled", oldest)
	}
	// Let the second daemon run a few more rounds: it must not move big again.
	var st web.Status
	eventually(t, "two more rounds", func() bool {
		getJSON(t, url+"/api/v1/status", &st)
		return st.LastRound.Time.After(oldest.Ended)
	})
	time.Sleep(2 * time.Second) // a few rounds more; what follows is not a timing assertion
	getJSON(t, admin+"ledger", &l)
	n := 0
	for _, e := range l.Entries {
		if e.VMName == "big" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the fleet migrated big %d times, want once: %+v", n, l.Entries)
	}
	second.cmd.Process.Signal(syscall.SIGTERM)
	if err := second.cmd.Wait(); err != nil {
		t.Errorf("daemon after SIGTERM: %v", err)
	}
}

// resumeFleet has one host carrying twelve small busy VMs and two idle hosts:
// balancing it takes a plan of several moves, each a copy of a few
// seconds at real speed.
const resumeFleet = `name: resume
seed: 11
start: 2026-01-10T22:00:00Z
credentials: {username: hvadmin, password: resume-test-pw}
hosts:
  - {name: HV01, logical_processors: 16, memory_gib: 256}
  - {name: HV02, logical_processors: 16, memory_gib: 256}
  - {name: HV03, logical_processors: 16, memory_gib: 256}
vms:
%s`

// resumeMinMoves is the smallest plan the test approves: enough that most
// of its moves are still queued when the daemon stops.
const resumeMinMoves = 7

// TestApprovedMovesSurviveARestart approves a plan of several moves in
// manual mode with the executor running one migration at a time, stops
// the daemon (a real process) once the first has landed and the second
// runs while the others wait — by SIGTERM, a routine restart, and by
// SIGKILL — and starts it again over the same state directory: every
// approved move runs exactly once (the simulated fleet's ledger), the plan
// says how far it got and that its moves were resumed, and it ends done;
// a move that did not succeed is named with the reason the journal keeps.
// The same holds for the batch full automation submits without approval.
// (A stop between a move's intent and its start is the executor's
// TestExecutorRequeuesAMoveStoppedBeforeItsStart.)
func TestApprovedMovesSurviveARestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries and waits for real-time migrations")
	}
	// Its own processes, directories and ports: it waits on real time
	// rather than the CPU, so it runs beside the others of its kind.
	t.Parallel()
	hvbalancerBin, hvsimBin := buildBinaries(t)
	for _, tc := range []struct {
		automation string
		sig        syscall.Signal
	}{{"manual", syscall.SIGTERM}, {"manual", syscall.SIGKILL}, {"full", syscall.SIGKILL}} {
		t.Run(tc.automation+" "+tc.sig.String(), func(t *testing.T) {
			approvedMovesSurvive(t, hvbalancerBin, hvsimBin, tc.automation, tc.sig)
		})
	}
}

func approvedMovesSurvive(t *testing.T, hvbalancerBin, hvsimBin, automation string, sig syscall.Signal) {
	dir := t.TempDir()
	var vms strings.Builder
	for i := 1; i <= 12; i++ {
		fmt.Fprintf(&vms, "  - {id: 0c000000-0000-4000-8000-%012d, name: app-%02d, host: HV01, cpus: 2, memory_gib: 4, load: {cpu: 0.66}}\n", i, i)
	}
	fleetPath := filepath.Join(dir, "fleet.yaml")
	os.WriteFile(fleetPath, []byte(fmt.Sprintf(resumeFleet, vms.String())), 0o644)
	simProc := startProcess(t, hvsimBin, "--fleet", fleetPath, "--https", "--speed", "1", "--state-dir", filepath.Join(dir, "sim"))
	admin := simProc.waitLine(t, regexp.MustCompile(`admin API:\s+(\S+)`))
	inv, err := sim.LoadInventory(filepath.Join(dir, "sim", sim.InventoryFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "token"), []byte(testToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The shipped policy, with business hours all week at the usual
	// max_moves: the test waits for a plan of 7 moves or more, which the
	// shipped business hours (3 moves) would never give from 08:00 to
	// 18:00 on a weekday.
	abs := shippedPolicy(t, map[string]any{"business_hours": allDayBusinessHours})
	var hosts strings.Builder
	for _, h := range inv.Hosts {
		fmt.Fprintf(&hosts, "      - {name: %s, address: %s, winrm: {port: %d}}\n", h.Host, h.IP, h.Port)
	}
	cfg := fmt.Sprintf(`version: 1
state_dir: state
http: {listen: "127.0.0.1:0", token_file: token}
automation: %s
round_interval: 500ms
winrm: {https: true, auth: ntlm, username: %s, password_file: %s, ca_file: %s, operation_timeout: 1s}
clusters:
  - name: lab
    hosts:
%scollector: {interval: 300ms, window: 3s, stale_after: 10s}
policy: {dir: %s}
planner: {max_moves: 10, max_inflow_per_host: 5}
executor: {max_concurrent: 1, per_host_cap: 1, migrations_per_minute: 600, burst: 10, drain_timeout: 30s}
`, automation, inv.Username, inv.PasswordFile, inv.CAFile, hosts.String(), abs)
	cfgPath := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfgPath, []byte(cfg), 0o644)

	first := startProcess(t, hvbalancerBin, "run", "--config", cfgPath)
	d := &runningDaemon{url: first.waitLine(t, regexp.MustCompile(`status page (http://\S+)/`)), admin: admin}
	var approved web.PlanInfo
	if automation == "full" {
		// The first plan runs at once, as one batch.
		eventually(t, "a plan running", func() bool {
			var plans web.Plans
			getJSON(t, d.url+"/api/v1/plans", &plans)
			if n := len(plans.Plans); n > 0 {
				approved = plans.Plans[n-1]
			}
			return approved.ID != ""
		})
		if approved.Moves < resumeMinMoves {
			t.Fatalf("the first plan has %d moves, the test needs %d: tune the fleet", approved.Moves, resumeMinMoves)
		}
	} else {
		approved = approveNewest(t, d, "alice", func(p web.PlanInfo) bool { return p.Moves >= resumeMinMoves })
	}
	var plan plannedPlan
	getJSON(t, d.url+"/api/v1/plans/"+approved.ID, &plan)
	planned := map[string]bool{}
	for _, m := range plan.Moves {
		planned[m.VM] = true
	}

	// Stop once the first move has landed and the second runs on the
	// fleet, the others waiting in the queue: with one migration at a time
	// none of them has been decided on yet. Stopped any earlier, the second
	// could be between its start, journaled before Move-VM is sent, and the
	// host: the next start finds its VM on the source and fails it as
	// interrupted (the migration may have been refused or cancelled), which
	// is right, and not what this test is about.
	var l ledger
	eventually(t, "the plan's first migration to complete and its second to run", func() bool {
		getJSON(t, admin+"ledger", &l)
		completed, running := false, false
		for _, e := range l.Entries {
			completed = completed || planned[e.VMID] && e.Outcome == sim.OutcomeCompleted
			running = running || planned[e.VMID] && e.Outcome == sim.OutcomeRunning
		}
		return completed && running
	})
	var hist web.History
	getJSON(t, d.url+"/api/v1/history?limit=100", &hist)
	queued := 0
	for _, e := range hist.Entries {
		if strings.HasPrefix(e.PlanID, approved.ID+"#") && e.State == web.MoveQueued {
			queued++
		}
	}
	if err := first.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	werr := first.cmd.Wait()
	if sig == syscall.SIGTERM && werr != nil {
		t.Errorf("daemon after SIGTERM: %v", werr)
	}
	getJSON(t, admin+"ledger", &l)
	ranBefore := 0
	for _, e := range l.Entries {
		if planned[e.VMID] {
			ranBefore++
		}
	}
	t.Logf("plan %s: %d moves approved; at the stop %d journaled as queued, %d migrations begun on the fleet", approved.ID, len(plan.Moves), queued, ranBefore)
	if ranBefore >= len(plan.Moves) {
		t.Fatalf("all %d moves had begun before the stop: the test proves nothing", len(plan.Moves))
	}

	second := startProcess(t, hvbalancerBin, "run", "--config", cfgPath)
	url := second.waitLine(t, regexp.MustCompile(`status page (http://\S+)/`))
	var messages []string
	var final web.PlanInfo
	eventually(t, "the approved plan to end after the restart", func() bool {
		var plans web.Plans
		getJSON(t, url+"/api/v1/plans", &plans)
		for _, p := range plans.Plans {
			if p.ID != approved.ID {
				continue
			}
			if len(messages) == 0 || messages[len(messages)-1] != p.Message {
				messages = append(messages, p.Message)
			}
			final = p
			return p.State.Final()
		}
		return false
	})
	getJSON(t, url+"/api/v1/history?limit=1000", &hist)
	if final.State != web.PlanDone || final.Outcomes[web.MoveSucceeded] != len(plan.Moves) {
		t.Errorf("plan after the restart: %s %v (%s), want done with %d succeeded%s", final.State, final.Outcomes, final.Message, len(plan.Moves), notSucceeded(hist.Entries, approved.ID))
	}
	resumed := false
	for _, m := range messages {
		resumed = resumed || strings.Contains(m, "resumed after a restart")
	}
	if !resumed {
		t.Errorf("the plan never said its moves were resumed: %q", messages)
	}
	t.Logf("the plan said: %q", messages)

	// Exactly the approved moves, each once, on the fleet and in the journal.
	getJSON(t, admin+"ledger", &l)
	checkLedgerAgainstJournal(t, l, hist.Entries)
	ran := map[string]int{}
	for _, e := range l.Entries {
		if e.Outcome == sim.OutcomeCompleted {
			ran[e.VMID+" "+e.Source+" "+e.Destination]++
		}
		if !planned[e.VMID] && automation != "full" { // full automation may plan again once it is done
			t.Errorf("the fleet migrated %s, which the plan does not move", e.VMName)
		}
	}
	for _, m := range plan.Moves {
		if n := ran[m.VM+" "+m.From+" "+m.To]; n != 1 {
			t.Errorf("approved move of %s %s -> %s ran %d times on the fleet, want once", m.VMName, m.From, m.To, n)
		}
	}
	if len(l.Entries) != len(plan.Moves) && automation != "full" {
		t.Errorf("the fleet ran %d migrations for a plan of %d moves: %+v", len(l.Entries), len(plan.Moves), l.Entries)
	}
	second.cmd.Process.Signal(syscall.SIGTERM)
	if err := second.cmd.Wait(); err != nil {
		t.Errorf("daemon after SIGTERM: %v", err)
	}
}

// notSucceeded lists, one a line, the plan's moves in history that did not
// succeed, with their cause and reason as the journal keeps them.
func notSucceeded(history []web.HistoryEntry, planID string) string {
	var b strings.Builder
	for _, e := range history {
		if strings.HasPrefix(e.PlanID, planID+"#") && e.State != web.MoveSucceeded {
			fmt.Fprintf(&b, "\n\t%s %s %s -> %s: %s (%s) %s", e.MoveID, e.VMName, e.From, e.To, e.State, e.Cause, e.Error)
		}
	}
	return b.String()
}
