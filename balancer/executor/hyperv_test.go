package executor_test

import (
	"context"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer/executor"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
	"github.com/hvbalancer/hvbalancer/balancer/moves"
	"github.com/hvbalancer/hvbalancer/hyperv/sim"
)

const execFleet = `
name: exec
seed: 3
credentials: {username: hvadmin, password: "exec-Pa55"}
hosts:
  - {name: HV01, logical_processors: 16, memory_gib: 128, switches: [LAN, Backup]}
  - {name: HV02, logical_processors: 16, memory_gib: 128, switches: [LAN, Backup]}
  - {name: HV03, logical_processors: 16, memory_gib: 128, switches: [LAN]}
vms:
  - {id: 0e000000-0000-4000-8000-000000000001, name: ok, host: HV01, cpus: 2, memory_gib: 4}
  - {id: 0e000000-0000-4000-8000-000000000002, name: "x'; Stop-Computer -Force; '", host: HV02, cpus: 2, memory_gib: 4}
  - {id: 0e000000-0000-4000-8000-000000000003, name: dropped, host: HV03, cpus: 2, memory_gib: 16}
  - {id: 0e000000-0000-4000-8000-000000000004, name: backup, host: HV01, cpus: 2, memory_gib: 4, switches: [LAN, Backup]}
`

// TestExecutorOnSimulatedFleet runs the executor with the HyperV migrator
// over real WinRM against the simulator: a move that succeeds, one that
// Hyper-V refuses for want of delegated credentials (the typed cause is
// journaled), one whose connection the host drops mid-migration (the
// outcome is unknown, then reconciled from where the VM is found), and one
// to a host without a switch the VM uses, which Compare-VM reports before
// Move-VM is sent (skipped, typed). The fleet's ledger confirms each VM
// that may move was migrated exactly once, and the refused one never.
func TestExecutorOnSimulatedFleet(t *testing.T) {
	fleet, clients := servedFleet(t, execFleet, "exec-Pa55")
	if err := fleet.SetFaults("HV02", sim.Faults{MoveFailureRate: 1}); err != nil {
		t.Fatal(err)
	}
	if err := fleet.SetFaults("HV03", sim.Faults{DropConnection: true}); err != nil {
		t.Fatal(err)
	}
	e, ctx := runningExecutor(t, fleet, clients)
	ids, err := e.Submit("p", []moves.Move{
		{VM: "0e000000-0000-4000-8000-000000000001", VMName: "ok", From: "HV01", To: "HV02"},
		{VM: "0e000000-0000-4000-8000-000000000002", VMName: "hostile", From: "HV02", To: "HV01"},
		{VM: "0e000000-0000-4000-8000-000000000003", VMName: "dropped", From: "HV03", To: "HV01"},
		{VM: "0e000000-0000-4000-8000-000000000004", VMName: "backup", From: "HV01", To: "HV03"},
	})
	if err != nil {
		t.Fatal(err)
	}
	wctx, wcancel := context.WithTimeout(ctx, 2*time.Minute) // a hang guard, not a timing assertion
	defer wcancel()
	if _, err := e.Wait(wctx, ids); err != nil {
		t.Fatal(err)
	}
	// The dropped move settles as unknown first; wait for its reconciliation.
	var got []journal.Entry
	for {
		if got, err = e.Wait(wctx, ids); err != nil {
			t.Fatal(err)
		}
		if got[2].State.Final() || wctx.Err() != nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	want := []struct {
		state      journal.State
		cause      string
		reconciled bool
	}{
		{journal.StateSucceeded, "", false},
		{journal.StateFailed, executor.CauseDoubleHop, false},
		{journal.StateSucceeded, "", true},
		{journal.StateSkipped, executor.CauseSwitchMissing, false},
	}
	for i, w := range want {
		g := got[i]
		if g.State != w.state || g.Reconciled != w.reconciled || (w.cause != "" && g.Cause != w.cause) {
			t.Errorf("%s (%s): state %s cause %q reconciled %v; want %s %q %v (%s)", g.MoveID, g.VMName, g.State, g.Cause, g.Reconciled, w.state, w.cause, w.reconciled, g.Error)
		}
	}
	runs := map[string]int{}
	for _, l := range fleet.Ledger() {
		runs[l.VMID]++
	}
	for i, m := range got {
		if want := 1 - i/3; runs[m.VMID] != want {
			t.Errorf("the fleet migrated %s %d times, want %d", m.VMName, runs[m.VMID], want)
		}
	}
}
