//go:build !windows

package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
	"github.com/hvbalancer/hvbalancer/hyperv/sim"
)

// crashFleet has one hot host with a big VM whose live migration takes long
// enough (about half a minute at real speed) to kill the daemon during it.
const crashFleet = `name: crash
seed: 7
start: 2026-01-10T22:00:00Z
credentials: {username: hvadmin, password: crash-test-pw}
hosts:
  - {name: HV01, logical_processors: 16, memory_gib: 256}
  - {name: HV02, logical_processors: 16, memory_gib: 256}
vms:
  - {id: 0b000000-0000-4000-8000-000000000001, name: big, host: HV01, cpus: 8, memory_gib: 64, load: {cpu: 0.9}}
  - {id: 0b000000-0000-4000-8000-000000000002, name: web, host: HV01, cpus: 8, memory_gib: 8, load: {cpu: 0.9}}
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
