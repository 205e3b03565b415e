//go:build !windows

package main

import (
	"bufio"
	"fmt"
	"io"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/ha/hatest"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
	"github.com/hvbalancer/hvbalancer/hyperv/sim"
)

// haProcess is a daemon of a high-availability test run as a process of
// its own, so that it can be killed as a machine dies.
type haProcess struct {
	*haDaemon
	cmd    *exec.Cmd
	exited chan struct{} // closed once the process ended and was reaped
	// etcd is the way to each etcd member of this daemon alone, cut to
	// partition it.
	etcd []*hatest.Proxy
}

// buildDaemon builds the hvbalancer binary once for a test.
func buildDaemon(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "hvbalancer")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build hvbalancer: %v\n%s", err, out)
	}
	return bin
}

// startHAProcesses starts n daemon processes (hvb-a, hvb-b, ...) of bin
// over the fleet srv serves, each with its own state directory, all in the
// ha prefix of the etcd members at endpoints (each daemon through proxies
// of its own), at the automation level given, a round every round, with
// extra added to each configuration. Each is killed when the test ends,
// and its log printed if it failed.
func startHAProcesses(t *testing.T, bin string, srv *sim.Server, spec *sim.FleetSpec, n int, endpoints []string, automation string, round time.Duration, extra string) []*haProcess {
	t.Helper()
	var out []*haProcess
	for i := range n {
		name := fmt.Sprintf("hvb-%c", 'a'+i)
		var proxies []*hatest.Proxy
		var quoted []string
		for _, e := range endpoints {
			u, err := url.Parse(e)
			if err != nil {
				t.Fatal(err)
			}
			proxies = append(proxies, hatest.NewProxy(t, u.Host))
			quoted = append(quoted, fmt.Sprintf("%q", proxies[len(proxies)-1].URL()))
		}
		cfg := standaloneConfig(t, srv, spec, automation, nil, fmt.Sprintf(
			"ha: {etcd: {endpoints: [%s], session_ttl: 5s}, node_name: %s}\n%s", strings.Join(quoted, ", "), name, extra))
		rewriteConfig(t, cfg, "round_interval: 1h", "round_interval: "+round.String())
		p := startHAProcess(t, bin, cfg, name)
		p.etcd = proxies
		out = append(out, p)
	}
	return out
}

// startHAProcess runs `bin run --config cfg` and returns once it serves
// its API, its output kept line by line.
func startHAProcess(t *testing.T, bin, cfg, name string) *haProcess {
	t.Helper()
	cmd := exec.Command(bin, "run", "--config", cfg)
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); pw.Close(); close(exited) }()
	logs := &logBuffer{}
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("%s log:\n%s", name, strings.Join(logs.all(), "\n"))
		}
	})
	urls := make(chan string, 1)
	go func() {
		urlRE := regexp.MustCompile(`status page (http://\S+)/`)
		s := bufio.NewScanner(pr)
		s.Buffer(nil, 1<<20)
		for s.Scan() {
			logs.add(s.Text())
			if m := urlRE.FindStringSubmatch(s.Text()); m != nil {
				select {
				case urls <- m[1]:
				default:
				}
			}
		}
		close(urls)
	}()
	select {
	case addr, ok := <-urls:
		if !ok {
			t.Fatalf("%s did not start:\n%s", name, strings.Join(logs.all(), "\n"))
		}
		p := &haProcess{cmd: cmd, exited: exited, haDaemon: &haDaemon{name: name, logs: logs}}
		p.runningDaemon = &runningDaemon{url: addr, stop: func() int { p.kill(t); return -1 }}
		return p
	case <-time.After(time.Until(patience(t))):
		t.Fatalf("%s did not start:\n%s", name, strings.Join(logs.all(), "\n"))
		return nil
	}
}

// kill ends the process at once (SIGKILL), as when its machine dies: no
// resignation, no drain, its lease left to run out.
func (p *haProcess) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatalf("kill %s: %v", p.name, err)
	}
	<-p.exited
}

// partition cuts the process off every etcd member, its WinRM access
// intact.
func (p *haProcess) partition() {
	for _, x := range p.etcd {
		x.Cut()
	}
}

// daemons are ps as the ha tests' helpers take them.
func daemons(ps []*haProcess) []*haDaemon {
	var out []*haDaemon
	for _, p := range ps {
		out = append(out, p.haDaemon)
	}
	return out
}

// without is ps less gone.
func without(ps []*haProcess, gone *haProcess) []*haProcess {
	var out []*haProcess
	for _, p := range ps {
		if p != gone {
			out = append(out, p)
		}
	}
	return out
}

// processOf is the process of d among ps.
func processOf(ps []*haProcess, d *haDaemon) *haProcess {
	for _, p := range ps {
		if p.haDaemon == d {
			return p
		}
	}
	return nil
}

// planMigrations counts, on the fleet's ledger, the migrations of the
// plan's VMs the fleet accepted, those running and those completed.
func planMigrations(srv *sim.Server, plan *balancer.Plan) (started, running, completed int) {
	vms := map[string]bool{}
	for _, m := range plan.Moves {
		vms[m.VM] = true
	}
	for _, e := range srv.Fleet().Ledger() {
		if !vms[e.VMID] {
			continue
		}
		started++
		switch e.Outcome {
		case sim.OutcomeRunning:
			running++
		case sim.OutcomeCompleted:
			completed++
		}
	}
	return started, running, completed
}

// awaitPlanEnd waits until d lists the plan ended, and returns it.
func awaitPlanEnd(t *testing.T, d *haDaemon, id string) web.PlanInfo {
	t.Helper()
	var final web.PlanInfo
	eventually(t, "plan "+id+" to end under "+d.name, func() bool {
		var plans web.Plans
		getJSON(t, d.url+"/api/v1/plans", &plans)
		for _, p := range plans.Plans {
			if p.ID == id {
				final = p
				return p.State.Final()
			}
		}
		return false
	})
	return final
}

// checkFleetAfterTakeover proves from the simulated fleet's ledger (its
// admin API) and the shared journal, read through d: no host ran more
// migrations at once than its limit, every journaled move is there once
// and the fleet ran each started one once (checkLedgerAgainstJournal), and
// every move of the plan was migrated exactly once and succeeded, none
// lost and none repeated.
func checkFleetAfterTakeover(t *testing.T, srv *sim.Server, d *haDaemon, plan *balancer.Plan) {
	t.Helper()
	var l ledger
	getJSON(t, srv.AdminURL()+"ledger", &l)
	var hist web.History
	getJSON(t, d.url+"/api/v1/history?limit=1000", &hist)
	checkLedgerAgainstJournal(t, l, hist.Entries)
	for name, h := range l.Hosts {
		if h.Max <= 0 {
			t.Errorf("%s: ledger without its limit (max %d)", name, h.Max)
		}
	}
	ran := map[string]int{}
	for _, e := range l.Entries {
		if e.Outcome == sim.OutcomeCompleted {
			ran[e.VMID+" "+e.Source+" "+e.Destination]++
		}
	}
	journaled := map[string][]web.HistoryEntry{}
	for _, e := range hist.Entries {
		if strings.HasPrefix(e.PlanID, plan.ID) {
			journaled[e.VMID] = append(journaled[e.VMID], e)
		}
	}
	for _, m := range plan.Moves {
		if n := ran[m.VM+" "+m.From+" "+m.To]; n != 1 {
			t.Errorf("approved move of %s %s -> %s completed %d times on the fleet, want once", m.VMName, m.From, m.To, n)
		}
		if js := journaled[m.VM]; len(js) != 1 || js[0].State != web.MoveSucceeded {
			t.Errorf("approved move of %s: journaled %+v, want once, succeeded", m.VMName, js)
		}
	}
}
