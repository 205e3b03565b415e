package executor

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
	"github.com/hvbalancer/hvbalancer/balancer/moves"
	"github.com/hvbalancer/hvbalancer/hyperv"
)

func incompatible(cause error, msg string) hyperv.Incompatibility {
	return hyperv.Incompatibility{MessageID: 1, Message: msg, Err: cause}
}

// TestExecutorComparesBeforeMoving proves the Compare-VM step: a report
// with any reason skips the move with the first reason's cause and never
// sends Move-VM, the VM is not held (the next move, with nothing to report,
// runs), and the storage path the planner set reaches Compare-VM and
// Move-VM alike.
func TestExecutorComparesBeforeMoving(t *testing.T) {
	tests := []struct {
		name   string
		report []hyperv.Incompatibility
		cause  string
	}{
		{"switch", []hyperv.Incompatibility{incompatible(hyperv.ErrSwitchMissing, "Could not find Ethernet switch 'LAN'.")}, CauseSwitchMissing},
		{"processor vendor", []hyperv.Incompatibility{incompatible(hyperv.ErrProcessorVendor, "The hardware on the destination computer is not compatible.")}, CauseProcessorVendor},
		{"processor features", []hyperv.Incompatibility{incompatible(hyperv.ErrIncompatibleHardware, "processor-specific features")}, CauseIncompatible},
		{"version", []hyperv.Incompatibility{incompatible(hyperv.ErrConfigVersion, "configuration version 10.0")}, CauseConfigVersion},
		{"storage missing", []hyperv.Incompatibility{incompatible(hyperv.ErrStorageMissing, "path not found")}, CauseStorageMissing},
		{"storage full", []hyperv.Incompatibility{incompatible(hyperv.ErrStorageFull, "disk full")}, CauseStorageFull},
		{"unnamed reason", []hyperv.Incompatibility{incompatible(hyperv.ErrIncompatible, "something new")}, CauseNotCompatible},
		{"first reason decides", []hyperv.Incompatibility{
			incompatible(hyperv.ErrConfigVersion, "configuration version 10.0"),
			incompatible(hyperv.ErrSwitchMissing, "Could not find Ethernet switch 'LAN'."),
		}, CauseConfigVersion},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, Config{}, nil)
			r.vms("a@A")
			r.fleet.set(func(f *fakeFleet) { f.report["vm-a"] = tc.report })
			m := mv("a", "A", "B")
			m.StoragePath, m.StorageBytes = `D:\Hyper-V`, 40<<30
			ids := r.submit("p1", m)
			r.pass()
			en := r.entry(ids[0])
			if en.State != journal.StateSkipped || en.Cause != tc.cause {
				t.Fatalf("refused move journaled as %s, cause %q; want skipped, %q (%s)", en.State, en.Cause, tc.cause, en.Error)
			}
			for _, in := range tc.report {
				if !strings.Contains(en.Error, in.Message) {
					t.Errorf("journal error %q does not quote %q", en.Error, in.Message)
				}
			}
			if n := r.fleet.callsOf("vm-a"); n != 0 {
				t.Errorf("Move-VM sent %d times after Compare-VM refused", n)
			}
			if diff := cmp.Diff([]EventKind{EventQueued, EventSkipped}, r.kinds(ids[0])); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}

			// Nothing to report: the move runs, with its storage path.
			r.fleet.set(func(f *fakeFleet) { delete(f.report, "vm-a") })
			again := r.submit("p2", m)
			r.pass()
			if got := r.outcome(again[0]); got.State != journal.StateSucceeded {
				t.Errorf("move after the report cleared: %+v", got)
			}
			r.fleet.set(func(f *fakeFleet) {
				if diff := cmp.Diff([]moves.Move{m, m}, f.compares); diff != "" {
					t.Errorf("Compare calls (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff([]moves.Move{m}, f.moved); diff != "" {
					t.Errorf("Migrate calls (-want +got):\n%s", diff)
				}
			})
		})
	}
}

// TestExecutorCompareFails: Compare-VM that cannot run skips the move
// without sending Move-VM, named by what went wrong; a lost answer is not
// an unknown outcome, since Compare-VM changes nothing.
func TestExecutorCompareFails(t *testing.T) {
	tests := []struct {
		name  string
		err   error
		cause string
	}{
		{"vm not on its source", fmt.Errorf("compare: %w", hyperv.ErrVMNotFound), CauseVMNotFound},
		{"source unreachable", fmt.Errorf("compare: %w", hyperv.ErrUnreachable), CauseUnreachable},
		{"login refused", fmt.Errorf("compare: %w", hyperv.ErrUnauthorized), CauseUnauthorized},
		{"timed out", fmt.Errorf("compare: %w", hyperv.ErrTimeout), CauseCompareFailed},
		{"unexpected output", fmt.Errorf("compare: %w", hyperv.ErrUnexpectedOutput), CauseCompareFailed},
		{"anything else", errors.New("boom"), CauseCompareFailed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, Config{}, nil)
			r.vms("a@A")
			r.fleet.set(func(f *fakeFleet) { f.cmpErr["vm-a"] = tc.err })
			ids := r.submit("p1", mv("a", "A", "B"))
			r.pass()
			if diff := cmp.Diff(outcome{State: journal.StateSkipped, Cause: tc.cause}, r.outcome(ids[0])); diff != "" {
				t.Errorf("outcome (-want +got):\n%s", diff)
			}
			if n := r.fleet.callsOf("vm-a"); n != 0 {
				t.Errorf("Move-VM sent %d times", n)
			}
			if r.e.Blocked("vm-a") {
				t.Error("vm-a blocked after a failed Compare-VM")
			}
		})
	}
}

// TestCauseOfMigrationRefusals maps each typed Move-VM refusal to its
// journal cause.
func TestCauseOfMigrationRefusals(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{hyperv.ErrProcessorVendor, CauseProcessorVendor},
		{hyperv.ErrIncompatibleHardware, CauseIncompatible},
		{hyperv.ErrSwitchMissing, CauseSwitchMissing},
		{hyperv.ErrConfigVersion, CauseConfigVersion},
		{hyperv.ErrStorageMissing, CauseStorageMissing},
		{hyperv.ErrStorageFull, CauseStorageFull},
		{hyperv.ErrIncompatible, CauseNotCompatible},
		{hyperv.ErrMigrationAuth, CauseMigrationAuth},
		{hyperv.ErrDoubleHop, CauseDoubleHop},
		{hyperv.Incompatibility{Err: hyperv.ErrStorageFull}, CauseStorageFull},
	}
	for _, tc := range tests {
		if got := Cause(migrationErr("vm-a", tc.err)); got != tc.want {
			t.Errorf("Cause(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
