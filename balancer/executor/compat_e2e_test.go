package executor_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer/executor"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
	"github.com/hvbalancer/hvbalancer/balancer/moves"
	"github.com/hvbalancer/hvbalancer/hyperv"
	"github.com/hvbalancer/hvbalancer/hyperv/sim"
)

// compatFleet has one host per reason Hyper-V refuses a move: HV03 has AMD
// processors, HV04 an older Intel model running Windows Server 2019's
// configuration versions, HV05 a small D:\ and no way to the share HV01
// and HV02 keep some VMs on.
const compatFleet = `
name: compat
seed: 5
credentials: {username: hvadmin, password: "compat-Pa55"}
shares:
  - {path: '\\fs01.lab.example\vms', size_gib: 1024, hosts: [HV01, HV02]}
hosts:
  - {name: HV01, logical_processors: 16, memory_gib: 128}
  - {name: HV02, logical_processors: 16, memory_gib: 128}
  - {name: HV03, logical_processors: 16, memory_gib: 128, processor: {vendor: AuthenticAMD, model: AMD64 Family 25 Model 1 Stepping 1}}
  - name: HV04
    logical_processors: 16
    memory_gib: 128
    processor: {model: Intel64 Family 6 Model 85 Stepping 4}
    config_versions: ['5.0', '6.2', '7.0', '7.1', '8.0', '8.1', '8.2', '8.3', '9.0']
  - {name: HV05, logical_processors: 16, memory_gib: 128, volumes: [{path: 'C:\', size_gib: 127}, {path: 'D:\', size_gib: 100}]}
vms:
  - {id: 0c000000-0000-4000-8000-000000000001, name: vendor, host: HV01, cpus: 2, memory_gib: 4, storage: local, processor_compatibility: true}
  - {id: 0c000000-0000-4000-8000-000000000002, name: features, host: HV01, cpus: 2, memory_gib: 4, storage: local}
  - {id: 0c000000-0000-4000-8000-000000000003, name: version, host: HV01, cpus: 2, memory_gib: 4, storage: local, processor_compatibility: true, config_version: '10.0'}
  - {id: 0c000000-0000-4000-8000-000000000004, name: full, host: HV01, cpus: 2, memory_gib: 4, storage: local, disks_gib: [120]}
  - {id: 0c000000-0000-4000-8000-000000000005, name: unreached, host: HV01, cpus: 2, memory_gib: 4, storage: '\\fs01.lab.example\vms'}
  - {id: 0c000000-0000-4000-8000-000000000006, name: local, host: HV01, cpus: 2, memory_gib: 4, storage: local, disks_gib: [60, 20]}
  - {id: 0c000000-0000-4000-8000-000000000007, name: shared, host: HV01, cpus: 2, memory_gib: 4, storage: '\\fs01.lab.example\vms', disks_gib: [60]}
  - {id: 0c000000-0000-4000-8000-000000000008, name: checkpointed, host: HV01, cpus: 2, memory_gib: 4, storage: local, disks_gib: [60], checkpoints: 2}
`

// TestCompareRefusesEachIncompatibilityBeforeMoveVM sends, over real WinRM
// to the simulated fleet, one move per reason Hyper-V refuses a
// destination: another processor vendor, another processor model without
// compatibility mode, a configuration version the destination does not
// run, a destination volume too small for the VM's disks, and a share the
// destination does not reach. Compare-VM refuses each before Move-VM: the
// journal says skipped with the typed cause, and the fleet's ledger has no
// migration of those VMs. A VM on local disks moves with them into the
// destination's storage path; a VM on the share moves memory only. A VM
// with two checkpoints reads, and moves, as its whole chain of disk files:
// the .vhdx and two differencing .avhdx files of a tenth of its size each.
func TestCompareRefusesEachIncompatibilityBeforeMoveVM(t *testing.T) {
	fleet, clients := servedFleet(t, compatFleet, "compat-Pa55")
	e, ctx := runningExecutor(t, fleet, clients)

	const localPath = `D:\Hyper-V\Virtual Hard Disks\local`
	const chainPath = `D:\Hyper-V\Virtual Hard Disks\checkpointed`
	const chainBytes = 72 << 30 // 60 GiB and two checkpoints of 6
	chain := func(host string) (hyperv.Disk, bool) {
		vms, err := clients[host].VMs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vms {
			if v.Name == "checkpointed" && len(v.Disks) == 1 {
				return v.Disks[0], true
			}
		}
		return hyperv.Disk{}, false
	}
	if d, ok := chain("HV01"); !ok || d.FileSize != chainBytes || !strings.HasSuffix(d.Path, ".avhdx") {
		t.Errorf("checkpointed on HV01: disk %+v (found %v); want one .avhdx drive of %d bytes with its parents", d, ok, int64(chainBytes))
	}
	tests := []struct {
		vm, to, storage string
		state           journal.State
		cause           string
	}{
		{"vendor", "HV03", `D:\Hyper-V\Virtual Hard Disks\vendor`, journal.StateSkipped, executor.CauseProcessorVendor},
		{"features", "HV04", `D:\Hyper-V\Virtual Hard Disks\features`, journal.StateSkipped, executor.CauseIncompatible},
		{"version", "HV04", `D:\Hyper-V\Virtual Hard Disks\version`, journal.StateSkipped, executor.CauseConfigVersion},
		{"full", "HV05", `D:\Hyper-V\Virtual Hard Disks\full`, journal.StateSkipped, executor.CauseStorageFull},
		{"unreached", "HV05", "", journal.StateSkipped, executor.CauseStorageMissing},
		{"local", "HV02", localPath, journal.StateSucceeded, ""},
		{"shared", "HV02", "", journal.StateSucceeded, ""},
		{"checkpointed", "HV02", chainPath, journal.StateSucceeded, ""},
	}
	ms := make([]moves.Move, len(tests))
	for i, tc := range tests {
		ms[i] = moves.Move{
			VM: fmt.Sprintf("0c000000-0000-4000-8000-%012d", i+1), VMName: tc.vm, From: "HV01", To: tc.to,
			StoragePath: tc.storage,
		}
	}
	ids, err := e.Submit("p", ms)
	if err != nil {
		t.Fatal(err)
	}
	wctx, wcancel := context.WithTimeout(ctx, 2*time.Minute) // a hang guard, not a timing assertion
	defer wcancel()
	got, err := e.Wait(wctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	ledger := map[string][]sim.LedgerEntry{}
	for _, l := range fleet.Ledger() {
		ledger[l.VMName] = append(ledger[l.VMName], l)
	}
	for i, tc := range tests {
		g := got[i]
		if g.State != tc.state || g.Cause != tc.cause {
			t.Errorf("%s to %s: %s %q (%s); want %s %q", tc.vm, tc.to, g.State, g.Cause, g.Error, tc.state, tc.cause)
		}
		switch runs := ledger[tc.vm]; {
		case tc.state == journal.StateSkipped && len(runs) != 0:
			t.Errorf("%s: Move-VM was sent after Compare-VM refused it: %+v", tc.vm, runs)
		case tc.state == journal.StateSkipped && !strings.HasPrefix(g.Error, "Compare-VM: "):
			t.Errorf("%s: journal error %q, want Compare-VM's report", tc.vm, g.Error)
		case tc.state == journal.StateSucceeded && len(runs) != 1:
			t.Errorf("%s: %d migrations in the ledger, want 1", tc.vm, len(runs))
		}
	}
	if r := ledger["checkpointed"]; len(r) == 1 && r[0].StorageBytes != chainBytes {
		t.Errorf("checkpointed: the migration copied %d bytes of files, want its whole chain's %d", r[0].StorageBytes, int64(chainBytes))
	}
	if d, ok := chain("HV02"); !ok || d.FileSize != chainBytes || !strings.HasPrefix(d.Path, chainPath+`\`) {
		t.Errorf("checkpointed on HV02: disk %+v (found %v); want its chain of %d bytes under %s", d, ok, int64(chainBytes), chainPath)
	}
	if r := ledger["local"]; len(r) == 1 && r[0].StorageBytes != 80<<30 {
		t.Errorf("local: the migration copied %d bytes of files, want its 80 GiB of disks", r[0].StorageBytes)
	}
	if r := ledger["shared"]; len(r) == 1 && r[0].StorageBytes != 0 {
		t.Errorf("shared: the migration copied %d bytes of files, want none", r[0].StorageBytes)
	}

	// What the destination says over WinRM: the local VM's disks are in
	// the storage path now, the shared VM's still on the share.
	vms, err := clients["HV02"].VMs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, v := range vms {
		seen[v.Name] = true
		want := map[string]string{"local": localPath + `\`, "shared": `\\fs01.lab.example\vms\`}[v.Name]
		for _, d := range v.Disks {
			if want != "" && !strings.HasPrefix(strings.ToLower(d.Path), strings.ToLower(want)) {
				t.Errorf("%s: disk %s on HV02, want it under %s", v.Name, d.Path, want)
			}
		}
		if v.Name == "local" && !strings.EqualFold(v.Path, localPath) {
			t.Errorf("local: configuration in %s on HV02, want %s", v.Path, localPath)
		}
	}
	if !seen["local"] || !seen["shared"] {
		t.Errorf("HV02 runs %v; want local and shared among them", seen)
	}
}

// runningExecutor starts an executor over the served fleet's clients, with
// a journal of its own, and stops it when the test ends. Its context ends
// then too.
func runningExecutor(t *testing.T, fleet *sim.Fleet, clients map[string]*hyperv.Client) (*executor.Executor, context.Context) {
	t.Helper()
	j, err := journal.Open(filepath.Join(t.TempDir(), "journal.db"))
	if err != nil {
		t.Fatal(err)
	}
	e, err := executor.New(executor.Config{
		MaxConcurrent: 4, Rate: 100, Burst: 10, ReconcileBackoff: 100 * time.Millisecond, ReconcileAttempts: 50,
		Now: fleet.Clock().Now,
	}, executor.NewHyperV(clients), nil, j, nil, nil)
	if err != nil {
		j.Close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
		j.Close()
	})
	return e, ctx
}

// servedFleet serves the fleet file text over WinRM on 127.0.0.1 and
// returns the fleet and an NTLM client per host.
func servedFleet(t *testing.T, text, password string) (*sim.Fleet, map[string]*hyperv.Client) {
	t.Helper()
	spec, err := sim.ParseFleet([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	fleet, err := sim.NewFleet(spec, sim.NewScaledClock(spec.Start, 60))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sim.Serve(fleet, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	clients := map[string]*hyperv.Client{}
	for _, ep := range srv.Endpoints() {
		c, err := hyperv.New(hyperv.Config{
			Host: ep.IP, Port: ep.Port, Auth: hyperv.AuthNTLM, Username: "hvadmin", Password: password,
			CallTimeout: 20 * time.Second, OperationTimeout: time.Second,
		})
		if err != nil {
			t.Fatal(err)
		}
		clients[ep.Host] = c
	}
	return fleet, clients
}
