//go:build unix

package collector_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/hyperv"
	"github.com/hvbalancer/hvbalancer/internal/proctime"
)

// scaleInterval is the round interval the scale benchmark holds the
// collector to: a round waits for answers this long at most.
const scaleInterval = 15 * time.Second

// scaleConcurrencyEnv, set to a number, is the collector's Concurrency in
// the scale benchmark instead of the default.
const scaleConcurrencyEnv = "HVBALANCER_SCALE_CONCURRENCY"

// BenchmarkPollScale polls a generated fleet of N hosts (50 VMs each),
// served by another process (this test binary again, see
// TestScaleFleetProcess), over real WinRM on loopback with the
// collector's default settings, except that a round waits for answers one
// 15 s interval at most; measured rounds start every 15 s. After the first rounds (connections, shells and
// facts; up to 5, until every host has answered) it reports per round:
// the seconds it took, the hosts whose sample is not from that round
// (late or failed: stale in the snapshot their own round made; the
// reasons are logged), the CPU seconds of this process (the collector's,
// with its WinRM clients: cpu-s/round) and those of the fleet's process
// (sim-cpu-s/round), and both per host that answered in its round
// (cpu-ms/answer, sim-cpu-ms/answer): on a loaded machine hosts time out,
// and a round that parsed fewer answers cost less. requests/poll counts
// the WS-Management requests per host and round, connections/round the
// TCP connections (each an NTLM login) the clients opened in a round:
// 0 once every host's sessions are open and kept alive. max-rss-MB is
// the process's peak resident memory.
//
// Run it with -benchtime=Nx (N rounds); it logs each round's figures. To
// hold the collector to one core and give the fleet the other, pin both:
//
//	HVBALANCER_SCALE_FLEET_CPUS=0 taskset -c 1 go test ./collector/ -run '^$' -bench 'PollScale/hosts=1000$' -benchtime 5x -cpu 1
func BenchmarkPollScale(b *testing.B) {
	for _, n := range []int{100, 200, 500, 1000} {
		b.Run(fmt.Sprintf("hosts=%d", n), func(b *testing.B) { benchPollScale(b, n) })
	}
}

func benchPollScale(b *testing.B, hosts int) {
	fp := startFleetProcess(b, hosts, 2*scaleInterval)
	conc := 0 // the default
	if v := os.Getenv(scaleConcurrencyEnv); v != "" {
		var err error
		if conc, err = strconv.Atoi(v); err != nil {
			b.Fatalf("%s: %v", scaleConcurrencyEnv, err)
		}
	}
	col, err := collector.New(fp.targets, collector.Config{RoundTimeout: scaleInterval, Concurrency: conc},
		slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	// The first rounds open every host's connection and shell and read
	// its facts, as a daemon's first rounds do; they are not measured. A
	// host that has not answered within them is counted in every round.
	for i := range 5 {
		start, rcpu, rsim := time.Now(), cpuTime(b), fp.cpu(b)
		s, err := col.Poll(ctx)
		if err != nil {
			b.Fatal(err)
		}
		n := lateHosts(s, start)
		b.Logf("warming round %d: %.1f s, collector %.2f cpu-s, fleet %.2f cpu-s, %d of %d hosts not from the round",
			i+1, time.Since(start).Seconds(), (cpuTime(b) - rcpu).Seconds(), (fp.cpu(b) - rsim).Seconds(), n, len(s.Hosts))
		if n == 0 {
			break
		}
	}
	rounds, late, answers := 0, 0, 0
	reasons := make(map[string]int) // why hosts were not ok, first words
	var wall time.Duration
	cpu0, sim0 := cpuTime(b), fp.cpu(b)
	wire0 := wireStats(fp.targets)
	b.ResetTimer()
	for b.Loop() {
		start, rcpu, rsim := time.Now(), cpuTime(b), fp.cpu(b)
		s, err := col.Poll(ctx)
		if err != nil {
			b.Fatal(err)
		}
		took := time.Since(start)
		wall += took
		rounds++
		n := lateHosts(s, start)
		late += n
		answers += len(s.Hosts) - n
		// Rounds start every interval, as the daemon's do: a poll that
		// ends after its round's snapshot finishes before the next round,
		// and the CPU of an interval is counted in it.
		time.Sleep(time.Until(start.Add(scaleInterval)))
		b.Logf("round %d: %.1f s, collector %.2f cpu-s, fleet %.2f cpu-s in the interval, %d of %d hosts not from the round",
			rounds, took.Seconds(), (cpuTime(b) - rcpu).Seconds(), (fp.cpu(b) - rsim).Seconds(), n, len(s.Hosts))
		for _, h := range s.Hosts {
			if !fresh(h, start) {
				reasons[string(h.Health)+": "+firstWords(h.Reason, 8)]++
			}
		}
	}
	b.StopTimer()
	for r, n := range reasons {
		b.Logf("%d× %s", n, r)
	}
	cpu, simCPU := cpuTime(b)-cpu0, fp.cpu(b)-sim0
	wire := wireStats(fp.targets)
	b.ReportMetric(wall.Seconds()/float64(rounds), "s/round")
	b.ReportMetric(float64(late)/float64(rounds), "stale/round")
	b.ReportMetric(cpu.Seconds()/float64(rounds), "cpu-s/round")
	b.ReportMetric(simCPU.Seconds()/float64(rounds), "sim-cpu-s/round")
	b.ReportMetric(float64(wire.Requests-wire0.Requests)/float64(rounds*hosts), "requests/poll")
	b.ReportMetric(float64(wire.Connections-wire0.Connections)/float64(rounds), "connections/round")
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "max-rss-MB") // Linux counts KiB
	}
	if answers > 0 {
		b.ReportMetric(float64(cpu.Milliseconds())/float64(answers), "cpu-ms/answer")
		b.ReportMetric(float64(simCPU.Milliseconds())/float64(answers), "sim-cpu-ms/answer")
	}
}

// wireStats sums the WinRM clients' counters.
func wireStats(targets []collector.Target) hyperv.TransportStats {
	var sum hyperv.TransportStats
	for _, t := range targets {
		if c, ok := t.Source.(*hyperv.Client); ok {
			s := c.Stats()
			sum.Requests += s.Requests
			sum.Connections += s.Connections
			sum.Logins += s.Logins
		}
	}
	return sum
}

// fresh reports whether h answered in the round that started at start.
func fresh(h collector.Host, start time.Time) bool {
	return h.Health == collector.HealthOK && !h.LastSeen.Before(start)
}

// lateHosts counts the hosts of s that did not answer in the round that
// started at start.
func lateHosts(s *collector.Snapshot, start time.Time) int {
	n := 0
	for _, h := range s.Hosts {
		if !fresh(h, start) {
			n++
		}
	}
	return n
}

// firstWords is the first n words of s, addresses left out, so that the
// same reason on many hosts is counted once.
func firstWords(s string, n int) string {
	var w []string
	for _, f := range strings.Fields(s) {
		if strings.HasPrefix(f, "127.0.0.1:") {
			f = "…"
		}
		w = append(w, f)
	}
	return strings.Join(w[:min(n, len(w))], " ")
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	d, ok := proctime.CPU()
	if !ok {
		b.Fatal("read the process's cpu time: not measured on this system")
	}
	return d
}
