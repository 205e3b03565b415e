package collector_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/collector/collectortest"
	"github.com/hvbalancer/hvbalancer/hyperv"
)

// Both the real client and the fake are sources.
var (
	_ collector.Source = (*hyperv.Client)(nil)
	_ collector.Source = (*collectortest.Source)(nil)
)

var t0 = time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)

const gib = int64(1) << 30

// hostInfo is a host's facts.
func hostInfo(name string, lps int, memGiB int64) hyperv.HostInfo {
	return hyperv.HostInfo{Name: name, LogicalProcessors: lps, MemoryCapacity: memGiB * gib, MigrationEnabled: true, MaxMigrations: 2}
}

// running is a running VM using cpuUsage percent of its host.
func running(id, name string, cpus, cpuUsage int) hyperv.VM {
	return hyperv.VM{
		ID: id, Name: name, State: hyperv.VMStateRunning, CPUUsage: cpuUsage, ProcessorCount: cpus,
		MemoryAssigned: 4 * gib, MemoryStartup: 4 * gib, MemoryDemand: 2 * gib,
		Uptime: 72 * time.Hour, Tags: map[string]string{},
	}
}

// counters gives the host's CPU, free memory and the VMs' mean vCPU use by
// lower-case name, on a host without contention (each dispatch waits what
// it waits on an idle host).
func counters(cpu float64, availGiB int64, vms map[string]float64) hyperv.Counters {
	c := hyperv.Counters{Time: t0, HostCPUPercent: cpu, AvailableMemory: availGiB * gib, VMs: map[string]hyperv.VMCounters{}}
	for name, mean := range vms {
		c.VMs[name] = hyperv.VMCounters{CPUPercent: []float64{mean}, MeanCPUPercent: mean,
			WaitPerDispatch: []float64{8000}, DispatchesPerSecond: []float64{mean * 40}, HasWait: true}
	}
	return c
}

// fixture is a collector over fake sources on a manual clock.
type fixture struct {
	t     *testing.T
	clock *collectortest.Clock
	reg   *prometheus.Registry
	c     *collector.Collector
	srcs  map[string]*collectortest.Source
}

// newFixture makes a collector over targets, each of which has a fake
// source (its Source field is filled in when nil); f.srcs holds those
// that are *collectortest.Source.
func newFixture(t *testing.T, cfg collector.Config, targets ...collector.Target) *fixture {
	t.Helper()
	f := &fixture{t: t, clock: collectortest.NewClock(t0), reg: prometheus.NewRegistry(), srcs: map[string]*collectortest.Source{}}
	for i := range targets {
		if targets[i].Source == nil {
			targets[i].Source = collectortest.NewSource(hostInfo(targets[i].Name, 32, 256))
		}
		if src, ok := targets[i].Source.(*collectortest.Source); ok {
			f.srcs[targets[i].Name] = src
		}
	}
	if cfg.Now == nil {
		cfg.Now = f.clock.Now
	}
	c, err := collector.New(targets, cfg, slog.New(slog.DiscardHandler), f.reg)
	if err != nil {
		t.Fatal(err)
	}
	f.c = c
	return f
}

// poll advances the clock by d and runs one round.
func (f *fixture) poll(d time.Duration) *collector.Snapshot {
	f.t.Helper()
	f.clock.Advance(d)
	s, err := f.c.Poll(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

// host returns a host of s, failing the test when it is missing.
func host(t *testing.T, s *collector.Snapshot, name string) *collector.Host {
	t.Helper()
	h, ok := s.Host(name)
	if !ok {
		t.Fatalf("host %s missing from the snapshot", name)
	}
	return h
}

// vmCPU returns the VMs' CPU stats by ID.
func vmCPU(s *collector.Snapshot) map[string]collector.Stat {
	out := map[string]collector.Stat{}
	for _, v := range s.VMs {
		out[v.ID] = v.CPU
	}
	return out
}

// vmHosts returns the VMs' hosts by ID.
func vmHosts(s *collector.Snapshot) map[string]string {
	out := map[string]string{}
	for _, v := range s.VMs {
		out[v.ID] = v.Host
	}
	return out
}

func flat(v float64) collector.Stat { return collectortest.Flat(v) }

// jsonReader returns s as JSON.
func jsonReader(t *testing.T, s *collector.Snapshot) io.Reader {
	t.Helper()
	var buf bytes.Buffer
	if err := s.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return &buf
}
