package collector_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/collector/collectortest"
	"github.com/hvbalancer/hvbalancer/hyperv"
)

// crossFleet polls hosts HV01, HV02, ... with the given facts and VMs three
// times and returns the last snapshot and the logs.
func crossFleet(t *testing.T, facts []hyperv.HostInfo, vms [][]hyperv.VM) (*collector.Snapshot, string) {
	t.Helper()
	var logs bytes.Buffer
	clock := collectortest.NewClock(t0)
	var targets []collector.Target
	for i, f := range facts {
		src := collectortest.NewSource(f, vms[i]...)
		src.SetCounters(counters(20, 64, nil))
		targets = append(targets, collector.Target{Name: []string{"HV01", "HV02", "HV03"}[i], Source: src})
	}
	c, err := collector.New(targets, collector.Config{Now: clock.Now, FactsEvery: 1}, slog.New(slog.NewTextHandler(&logs, nil)), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	var s *collector.Snapshot
	for range 3 {
		clock.Advance(time.Minute)
		if s, err = c.Poll(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	return s, logs.String()
}

// TestHostAnswersAreCrossChecked: an answer that cannot be true of the
// configured host fails its poll with its own cause, so nothing is planned
// from or onto it; a name with the host's domain is the same host.
func TestHostAnswersAreCrossChecked(t *testing.T) {
	for _, tc := range []struct {
		name   string
		facts  hyperv.HostInfo
		cause  collector.Cause
		reason string
	}{
		{"its own name", hostInfo("HV01", 16, 128), "", ""},
		{"its name with the domain", hostInfo("hv01.lab.example", 16, 128), "", ""},
		{"no name reported", hostInfo("", 16, 128), "", ""},
		{"another computer", hostInfo("HV09", 16, 128), collector.CauseWrongHost, "configured as HV01, it says it is HV09"},
		{"no processors", hostInfo("HV01", 0, 128), collector.CauseBadAnswer, "it reports 0 logical processors"},
		{"no memory", hostInfo("HV01", 16, 0), collector.CauseBadAnswer, "and 0 bytes of memory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := crossFleet(t, []hyperv.HostInfo{tc.facts}, [][]hyperv.VM{{running("00000000-0000-4000-8000-000000000001", "app", 2, 10)}})
			h, _ := s.Host("HV01")
			if tc.cause == "" {
				if h.Health != collector.HealthOK {
					t.Fatalf("health %s (%s), want ok", h.Health, h.Reason)
				}
				return
			}
			if h.Health == collector.HealthOK || h.Cause != tc.cause || !strings.Contains(h.Reason, tc.reason) {
				t.Errorf("health %s, cause %q, reason %q; want not ok, cause %q, a reason with %q", h.Health, h.Cause, h.Reason, tc.cause, tc.reason)
			}
			if !strings.Contains(h.Problem(), tc.reason) {
				t.Errorf("problem %q does not say %q", h.Problem(), tc.reason)
			}
		})
	}
}

// TestVMReportedByTwoHostsIsMarked: a VM ID two hosts report in one poll
// stays with the first host, both hosts say so, the VM names both, and the
// warning is said once.
func TestVMReportedByTwoHostsIsMarked(t *testing.T) {
	const id = "00000000-0000-4000-8000-0000000000aa"
	other := running("00000000-0000-4000-8000-0000000000bb", "db", 2, 10)
	s, logs := crossFleet(t,
		[]hyperv.HostInfo{hostInfo("HV01", 16, 128), hostInfo("HV02", 16, 128), hostInfo("HV03", 16, 128)},
		[][]hyperv.VM{{running(id, "app", 2, 10)}, {running(id, "app", 2, 10), other}, {}})
	v, ok := s.VM(id)
	if !ok {
		t.Fatal("the VM is not in the snapshot")
	}
	if v.Host != "HV01" || !slices.Equal(v.ReportedBy, []string{"HV01", "HV02"}) {
		t.Errorf("host %s, reported by %v; want HV01, [HV01 HV02]", v.Host, v.ReportedBy)
	}
	if v, _ := s.VM(other.ID); v.ReportedBy != nil {
		t.Errorf("a VM one host reports has reported_by %v", v.ReportedBy)
	}
	for _, name := range []string{"HV01", "HV02"} {
		h, _ := s.Host(name)
		if h.Health != collector.HealthOK || len(h.Attention) != 1 || !strings.Contains(h.Attention[0], id) {
			t.Errorf("%s: health %s, attention %q; want ok with one line naming %s", name, h.Health, h.Attention, id)
		}
	}
	if h, _ := s.Host("HV03"); h.Attention != nil {
		t.Errorf("HV03: attention %q, want none", h.Attention)
	}
	if n := strings.Count(logs, "vm reported by more than one host"); n != 1 {
		t.Errorf("%d warnings over 3 polls, want 1:\n%s", n, logs)
	}
}

// TestVMIDsMustBeGUIDs: a VM ID that is not a GUID (a path, markup) never
// enters the snapshot; the host says how many were left out.
func TestVMIDsMustBeGUIDs(t *testing.T) {
	good := running("00000000-0000-4000-8000-000000000001", "app", 2, 10)
	s, logs := crossFleet(t, []hyperv.HostInfo{hostInfo("HV01", 16, 128)}, [][]hyperv.VM{{
		good,
		running("../../../etc/passwd", "evil", 2, 10),
		running("<script>alert(1)</script>", "evil2", 2, 10),
		running("", "blank", 2, 10),
	}})
	var ids []string
	for _, v := range s.VMs {
		ids = append(ids, v.ID)
	}
	if !slices.Equal(ids, []string{good.ID}) {
		t.Errorf("snapshot VMs %q, want only %s", ids, good.ID)
	}
	h, _ := s.Host("HV01")
	if h.Health != collector.HealthOK || len(h.Attention) != 1 || !strings.Contains(h.Attention[0], `3 VMs reported with an ID that is not a GUID (first: "../../../etc/passwd")`) {
		t.Errorf("health %s, attention %q", h.Health, h.Attention)
	}
	if n := strings.Count(logs, "vms left out"); n != 1 {
		t.Errorf("%d warnings over 3 polls, want 1:\n%s", n, logs)
	}
}

// guardedSource answers as a host behind a login guard whose first login
// was refused: the call that took the login (first) is refused, and the
// other, waiting for it, is then held back (second).
type guardedSource struct {
	refusedFirst collectortest.Call // the call that took the login
	refused      error
	held         error
	done         chan struct{} // closed when the first call has ended
}

func (g *guardedSource) answer(call collectortest.Call) error {
	if call == g.refusedFirst {
		defer close(g.done)
		return g.refused
	}
	<-g.done
	return g.held
}

func (g *guardedSource) Host(context.Context) (hyperv.HostInfo, error) {
	return hyperv.HostInfo{}, g.answer(collectortest.CallHost)
}

func (g *guardedSource) VMs(context.Context) ([]hyperv.VM, error) {
	return nil, g.answer(collectortest.CallVMs)
}

func (g *guardedSource) Counters(context.Context, time.Duration) (hyperv.Counters, error) {
	return hyperv.Counters{}, g.answer(collectortest.CallCounters)
}

// TestHeldReadGivesWayToTheRefusal: a poll's reads and its counter sample
// run side by side; when a login guard holds one back (ErrHeld) because
// the other was refused, the host's cause is the refusal, whichever call
// took the login.
func TestHeldReadGivesWayToTheRefusal(t *testing.T) {
	refused := fmt.Errorf("get host on HV01:5985: wsman: %w: http status 401", hyperv.ErrUnauthorized)
	held := fmt.Errorf("%w: wrong credentials or account locked after 1 failed login in a row", collector.ErrHeld)
	for _, first := range []collectortest.Call{collectortest.CallCounters, collectortest.CallHost} {
		t.Run(string(first)+" refused", func(t *testing.T) {
			src := &guardedSource{refusedFirst: first, refused: refused, held: held, done: make(chan struct{})}
			c, err := collector.New([]collector.Target{{Name: "HV01", Source: src}}, collector.Config{Now: collectortest.NewClock(t0).Now}, nil, prometheus.NewRegistry())
			if err != nil {
				t.Fatal(err)
			}
			s, err := c.Poll(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if h, _ := s.Host("HV01"); h.Cause != collector.CauseUnauthorized {
				t.Errorf("cause %q (%s), want %q", h.Cause, h.Reason, collector.CauseUnauthorized)
			}
		})
	}
}
