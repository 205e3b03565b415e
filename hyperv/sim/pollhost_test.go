package sim_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv"
	"github.com/hvbalancer/hvbalancer/hyperv/sim"
)

// TestE2EPollHostInOneCommand runs the combined read (poll-host, sent
// over stdin behind a short loader, as it is too long for a command line)
// on hosts of the e2e fleet, a cluster node included, and
// checks that it answers what the separate reads answer: the same facts
// and VMs, and a counter sample of every running VM.
func TestE2EPollHostInOneCommand(t *testing.T) {
	if line, err := hyperv.EncodeCommand(hyperv.ScriptPollHost, nil); err == nil {
		t.Fatalf("poll-host fits a command line (%d characters): it need not go over stdin", len(line))
	}
	srv := startFleet(t, false)
	ctx := context.Background()
	for _, host := range []string{"HV01", "HV02", "HV03", "CN1"} {
		t.Run(host, func(t *testing.T) {
			c := client(t, srv, host)
			defer c.Close()
			r, err := c.Poll(ctx, true, time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if r.HostErr != nil || r.VMsErr != nil || r.CountersErr != nil {
				t.Fatalf("part errors: host %v, vms %v, counters %v", r.HostErr, r.VMsErr, r.CountersErr)
			}
			h, err := c.Host(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(r.Host, h) {
				t.Errorf("facts:\n poll %+v\n read %+v", r.Host, h)
			}
			vms, err := c.VMs(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(vms) != len(r.VMs) {
				t.Fatalf("poll: %d VMs, get-vms: %d", len(r.VMs), len(vms))
			}
			for i := range vms {
				// Uptime, CPU usage and memory demand move between
				// the two reads, and so does a dynamic VM's memory.
				a, b := vms[i], r.VMs[i]
				if d := a.Uptime - b.Uptime; a.State == hyperv.VMStateRunning && (b.Uptime <= 0 || d < 0 || d > time.Hour) {
					t.Errorf("vm %s: uptime %s in the poll, %s read after it", a.Name, b.Uptime, a.Uptime)
				}
				a.Uptime, b.Uptime, a.CPUUsage, b.CPUUsage, a.MemoryDemand, b.MemoryDemand = 0, 0, 0, 0, 0, 0
				if a.DynamicMemory {
					a.MemoryAssigned, b.MemoryAssigned = 0, 0
				}
				if !reflect.DeepEqual(a, b) {
					t.Errorf("vm %d:\n poll %+v\n read %+v", i, b, a)
				}
			}
			if r.Counters.HostCPUPercent <= 0 || r.Counters.AvailableMemory <= 0 {
				t.Errorf("counters: cpu %v%%, available %d", r.Counters.HostCPUPercent, r.Counters.AvailableMemory)
			}
			for _, v := range r.VMs {
				if _, ok := r.Counters.VMs[strings.ToLower(v.Name)]; v.State == hyperv.VMStateRunning && !ok {
					t.Errorf("no counters of running VM %q", v.Name)
				}
			}
			// Without facts, none are read.
			r, err = c.Poll(ctx, false, time.Second)
			if err != nil || r.HostErr != nil || r.Host.Name != "" || len(r.VMs) != len(vms) {
				t.Errorf("poll without facts: err %v, host err %v, host %q, %d VMs", err, r.HostErr, r.Host.Name, len(r.VMs))
			}
		})
	}
}

// TestE2EPollHostPartFails breaks one part of the combined read, the
// performance counter classes, as a damaged counter registry does: the
// counters part fails with the host's own error while the facts and the
// VMs still answer.
func TestE2EPollHostPartFails(t *testing.T) {
	srv := startFleet(t, false)
	if err := srv.Fleet().SetFaults("HV01", sim.Faults{PerfCountersMissing: true}); err != nil {
		t.Fatal(err)
	}
	c := client(t, srv, "HV01")
	defer c.Close()
	r, err := c.Poll(context.Background(), true, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var pe *hyperv.PartError
	if !errors.As(r.CountersErr, &pe) || pe.Part != "Counters" || !strings.Contains(pe.Message, "Invalid class") {
		t.Fatalf("counters error %v, want the part's Invalid class", r.CountersErr)
	}
	if !strings.HasPrefix(r.CountersErr.Error(), "get counters on ") {
		t.Errorf("counters error %q: want it to name the read", r.CountersErr)
	}
	if r.HostErr != nil || r.VMsErr != nil || r.Host.Name != "HV01" || len(r.VMs) == 0 {
		t.Errorf("the other parts: host %v (%q), vms %v (%d)", r.HostErr, r.Host.Name, r.VMsErr, len(r.VMs))
	}
}

// TestE2EPollHostInFourRequests counts the WS-Management requests of a
// steady poll: Command, one Send that carries the script and ends the
// input, one Receive (the operation timeout outlasts the sample) and the
// Signal that frees the finished command.
func TestE2EPollHostInFourRequests(t *testing.T) {
	srv := startFleet(t, false)
	ctx := context.Background()
	c := client(t, srv, "HV01", func(cfg *hyperv.Config) { cfg.OperationTimeout = 10 * time.Second })
	defer c.Close()
	if _, err := c.Poll(ctx, true, time.Second); err != nil { // logs in, opens the shell
		t.Fatal(err)
	}
	before := c.Stats()
	r, err := c.Poll(ctx, false, time.Second)
	if err != nil || r.VMsErr != nil || r.CountersErr != nil {
		t.Fatalf("poll: %v, vms %v, counters %v", err, r.VMsErr, r.CountersErr)
	}
	after := c.Stats()
	if n := after.Requests - before.Requests; n != 4 || after.Connections != before.Connections {
		t.Errorf("a steady poll took %d requests and %d new connections, want 4 and 0", n, after.Connections-before.Connections)
	}
}
