//go:build unix

package collector_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/hyperv"
	"github.com/hvbalancer/hvbalancer/hyperv/sim"
)

// simProcEnv, set to a host count, makes TestScaleFleetProcess serve the
// scale benchmark's generated fleet instead of skipping: the benchmark
// starts this test binary again with it, so that the simulated hosts'
// CPU is another process's and the benchmark's own is the collector's.
const simProcEnv = "HVBALANCER_SCALE_FLEET_HOSTS"

// simProfileEnv names a file for the fleet process's CPU profile, written
// when the benchmark ends.
const simProfileEnv = "HVBALANCER_SCALE_FLEET_CPUPROFILE"

// simCPUsEnv, set to a CPU list as taskset takes it (e.g. "0"), pins
// the fleet process to those CPUs (it is started under taskset -c), so
// that the fleet and the collector, pinned to the others with taskset and
// -cpu 1, each have a core of their own and the collector's figures are
// those of one core.
const simCPUsEnv = "HVBALANCER_SCALE_FLEET_CPUS"

// scaleSeed and scaleVMsPerHost make the scale benchmark's fleet.
const (
	scaleSeed       = 13
	scaleVMsPerHost = 50
)

// TestScaleFleetProcess is not a test: run with simProcEnv set, it
// serves the generated fleet on loopback, writes its endpoints as one
// JSON line to stdout, and serves until stdin closes.
func TestScaleFleetProcess(t *testing.T) {
	v := os.Getenv(simProcEnv)
	if v == "" {
		t.Skip("the scale benchmark's fleet process; runs only when the benchmark starts it")
	}
	hosts, err := strconv.Atoi(v)
	if err != nil {
		t.Fatal(err)
	}
	spec := sim.Generate(hosts, hosts*scaleVMsPerHost, scaleSeed)
	fleet, err := sim.NewFleet(spec, sim.NewScaledClock(spec.Start, 1))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sim.Serve(fleet, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	line, err := json.Marshal(srv.Endpoints())
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("%s\n", line)
	_, _ = io.Copy(io.Discard, os.Stdin)
}

// fleetProcess is the scale benchmark's fleet served by another process.
type fleetProcess struct {
	cmd     *exec.Cmd
	stdin   io.Closer
	targets []collector.Target
}

// startFleetProcess serves sim.Generate(hosts, …) in a child process
// (this test binary, running TestScaleFleetProcess) and returns it with
// one target per host over a real WinRM client; the child ends with tb.
func startFleetProcess(tb testing.TB, hosts int, callTimeout time.Duration) *fleetProcess {
	tb.Helper()
	args := []string{"-test.run=^TestScaleFleetProcess$", "-test.v=false"}
	if f := os.Getenv(simProfileEnv); f != "" {
		args = append(args, "-test.cpuprofile="+f)
	}
	cmd := exec.Command(os.Args[0], args...)
	if cpus := os.Getenv(simCPUsEnv); cpus != "" {
		cmd = exec.Command("taskset", append([]string{"-c", cpus, os.Args[0]}, args...)...)
	}
	// The fleet uses every core it may run on (all, or simCPUsEnv's)
	// whatever GOMAXPROCS holds the collector to, and collects its garbage a quarter as often (GOGC 400): its
	// interpreter allocates much, its cost is the benchmark's only, and
	// the collector is measured as it runs.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GOMAXPROCS=") && !strings.HasPrefix(kv, "GOGC=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, fmt.Sprintf("%s=%d", simProcEnv, hosts), "GOGC=400")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	p := &fleetProcess{cmd: cmd, stdin: stdin}
	tb.Cleanup(func() {
		_ = stdin.Close()
		_ = cmd.Wait()
	})
	var eps []sim.Endpoint
	sc := bufio.NewScanner(stdout)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		if err := json.Unmarshal(sc.Bytes(), &eps); err == nil {
			break
		}
	}
	if len(eps) != hosts {
		tb.Fatalf("fleet process: %d endpoints, want %d (%v)", len(eps), hosts, sc.Err())
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	spec := sim.Generate(hosts, hosts*scaleVMsPerHost, scaleSeed)
	at := make(map[string]sim.Endpoint, len(eps))
	for _, ep := range eps {
		at[ep.Host] = ep
	}
	for _, hs := range spec.Hosts {
		ep, ok := at[hs.Name]
		if !ok {
			tb.Fatalf("fleet process: no endpoint for %s", hs.Name)
		}
		p.targets = append(p.targets, scaleTarget(tb, hs, ep, spec.Credentials, callTimeout))
	}
	return p
}

// scaleTarget is a target for host hs over a real WinRM client as the
// daemon builds it: NTLM, the client's default operation timeout (a
// Receive waits that long for output, so a poll's answer comes in one),
// each call under callTimeout. The client closes when tb ends.
func scaleTarget(tb testing.TB, hs sim.HostSpec, ep sim.Endpoint, creds sim.Credentials, callTimeout time.Duration) collector.Target {
	tb.Helper()
	c, err := hyperv.New(hyperv.Config{
		Host: ep.IP, Port: ep.Port, HTTPS: ep.HTTPS,
		Auth: hyperv.AuthNTLM, Username: creds.Username, Password: creds.Password,
		CallTimeout: callTimeout,
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return collector.Target{Name: hs.Name, Group: hs.Group, Labels: hs.Labels, Source: c}
}

// cpu is the child's user and system CPU time so far, from
// /proc/PID/stat (clock ticks of 1/100 s).
func (p *fleetProcess) cpu(tb testing.TB) time.Duration {
	tb.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		tb.Fatal(err)
	}
	// Fields after the command name in parentheses: state is field 3,
	// utime 14, stime 15.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		tb.Fatalf("fleet process stat: %q", b)
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond
}
