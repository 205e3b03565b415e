package collector_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/collector/collectortest"
	"github.com/hvbalancer/hvbalancer/hyperv"
)

// poller is a Source that reads a poll in one call: its answer, or
// errors.ErrUnsupported when unsupported; the three calls are the
// embedded Source's.
type poller struct {
	*collectortest.Source
	r           hyperv.PollResult
	err         error
	calls       *int
	unsupported bool
}

func (p poller) Poll(ctx context.Context, facts bool, _ time.Duration) (hyperv.PollResult, error) {
	*p.calls++
	if p.unsupported {
		return hyperv.PollResult{}, errors.ErrUnsupported
	}
	return p.r, p.err
}

// TestCombinedReadPartOrder: a Poller's host is read in one call, and
// the poll fails with the first failed part in the order facts, VMs,
// counters, whatever else failed; a Poller that cannot read in one call
// is read with the three calls.
func TestCombinedReadPartOrder(t *testing.T) {
	hostErr, vmsErr, ctrErr := errors.New("get host: x"), errors.New("get vms: y"), errors.New("get counters: z")
	good := hyperv.PollResult{Host: hostInfo("HV01", 32, 256), Counters: hyperv.Counters{HostCPUPercent: 40, AvailableMemory: 128 << 30}}
	with := func(h, v, c error) hyperv.PollResult {
		r := good
		r.HostErr, r.VMsErr, r.CountersErr = h, v, c
		return r
	}
	tests := []struct {
		name        string
		r           hyperv.PollResult
		unsupported bool
		reason      string // "" for ok
	}{
		{"every part answered", good, false, ""},
		{"all parts failed", with(hostErr, vmsErr, ctrErr), false, "get host: x"},
		{"vms and counters failed", with(nil, vmsErr, ctrErr), false, "get vms: y"},
		{"counters failed", with(nil, nil, ctrErr), false, "get counters: z"},
		{"unsupported", hyperv.PollResult{}, true, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := collectortest.NewSource(hostInfo("HV01", 32, 256))
			calls := 0
			f := newFixture(t, collector.Config{}, collector.Target{Name: "HV01", Source: poller{Source: src, r: tc.r, calls: &calls, unsupported: tc.unsupported}})
			h := host(t, f.poll(time.Minute), "HV01")
			if tc.reason == "" && h.Health != collector.HealthOK || tc.reason != "" && (h.Health == collector.HealthOK || !strings.HasPrefix(h.Reason, tc.reason)) {
				t.Errorf("%s: %q, want %q", h.Health, h.Reason, tc.reason)
			}
			three := src.Calls(collectortest.CallVMs) + src.Calls(collectortest.CallCounters)
			if calls != 1 || tc.unsupported != (three == 2) {
				t.Errorf("%d Poll calls and %d separate reads", calls, three)
			}
		})
	}
}
