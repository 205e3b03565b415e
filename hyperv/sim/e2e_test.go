package sim_test

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hvbalancer/hvbalancer/hyperv"
	"github.com/hvbalancer/hvbalancer/hyperv/sim"
)

// e2eFleet is a small fleet for the end-to-end tests: two roomy stand-alone
// hosts, one small one, and a two-node cluster.
const e2eFleet = `
name: e2e
seed: 42
credentials: {username: hvadmin, password: "s3cret-Pa55"}
hosts:
  - {name: HV01, logical_processors: 16, memory_gib: 128}
  - {name: HV02, logical_processors: 16, memory_gib: 128}
  - {name: HV03, logical_processors: 8, memory_gib: 24, winrm: {basic: true, allow_unencrypted: true}}
  - {name: CN1, cluster: CL1, logical_processors: 16, memory_gib: 64}
  - {name: CN2, cluster: CL1, logical_processors: 16, memory_gib: 64}
vms:
  - {id: 11111111-1111-4111-8111-111111111111, name: web01, host: HV01, cpus: 2, memory_gib: 4, notes: "tier=web", load: {cpu: 0.5}}
  - {id: 22222222-2222-4222-8222-222222222222, name: "x'; Stop-Computer -Force; '", host: HV01, cpus: 1, memory_gib: 2}
  - {id: 33333333-3333-4333-8333-333333333333, name: big01, host: HV01, cpus: 8, memory_gib: 32, load: {cpu: 0.8}}
  - {id: 44444444-4444-4444-8444-444444444444, name: "db <&> ü", host: HV02, cpus: 4, memory_gib: 8, dynamic: true, memory_min_gib: 2, memory_max_gib: 16}
  - {id: 55555555-5555-4555-8555-555555555555, name: web01, host: HV02, cpus: 2, memory_gib: 4, state: Off}
  - {id: 66666666-6666-4666-8666-666666666666, name: sql01, host: CN1, cpus: 4, memory_gib: 16, clustered: true, notes: "role=sql"}
  - {id: 77777777-7777-4777-8777-777777777777, name: batch01, host: HV01, cpus: 2, memory_gib: 2}
  - {id: 88888888-8888-4888-8888-888888888888, name: batch02, host: HV01, cpus: 2, memory_gib: 2}
  - {id: 99999999-9999-4999-8999-999999999999, name: batch03, host: HV01, cpus: 2, memory_gib: 2}
  - {id: aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa, name: batch04, host: HV01, cpus: 2, memory_gib: 2}
  - {id: bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb, name: batch05, host: HV01, cpus: 2, memory_gib: 2}
`

const (
	idWeb01   = "11111111-1111-4111-8111-111111111111"
	idHostile = "22222222-2222-4222-8222-222222222222"
	idBig01   = "33333333-3333-4333-8333-333333333333"
	idSQL01   = "66666666-6666-4666-8666-666666666666"
)

// startFleet serves the e2e fleet on loopback with a fast clock.
func startFleet(t *testing.T, https bool) *sim.Server {
	t.Helper()
	return startFleetWithClock(t, https, func(start time.Time) sim.Clock { return sim.NewScaledClock(start, 600) })
}

func startFleetWithClock(t *testing.T, https bool, clock func(time.Time) sim.Clock) *sim.Server {
	t.Helper()
	spec, err := sim.ParseFleet([]byte(e2eFleet))
	if err != nil {
		t.Fatal(err)
	}
	fleet, err := sim.NewFleet(spec, clock(spec.Start))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sim.Serve(fleet, sim.Options{HTTPS: https})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// client connects the real WinRM client to one simulated host as it
// connects to a default Windows Server host: NTLM, sealed over HTTP.
func client(t *testing.T, srv *sim.Server, host string, edit ...func(*hyperv.Config)) *hyperv.Client {
	t.Helper()
	ep, ok := srv.Endpoint(host)
	if !ok {
		t.Fatalf("no endpoint for %s", host)
	}
	cfg := hyperv.Config{
		Host:             ep.IP,
		Port:             ep.Port,
		HTTPS:            ep.HTTPS,
		Auth:             hyperv.AuthNTLM,
		Username:         `LAB\hvadmin`,
		Password:         "s3cret-Pa55",
		CallTimeout:      20 * time.Second,
		OperationTimeout: time.Second,
	}
	if ep.HTTPS {
		cfg.CACert = srv.CACertPEM()
	}
	for _, e := range edit {
		e(&cfg)
	}
	c, err := hyperv.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestE2EReadHostVMsAndCounters(t *testing.T) {
	for _, https := range []bool{false, true} {
		t.Run("https="+strconv.FormatBool(https), func(t *testing.T) {
			srv := startFleet(t, https)
			ctx := context.Background()
			f := srv.Fleet()
			for _, name := range f.HostNames() {
				c := client(t, srv, name)
				h, err := c.Host(ctx)
				if err != nil {
					t.Fatalf("host %s: %v", name, err)
				}
				want, _ := f.Host(name)
				got := struct {
					Name, Cluster string
					LPs           int
					Mem           int64
					Max           int
				}{h.Name, h.Cluster, h.LogicalProcessors, h.MemoryCapacity, h.MaxMigrations}
				exp := struct {
					Name, Cluster string
					LPs           int
					Mem           int64
					Max           int
				}{want.Name, want.Cluster, want.LogicalProcessors, want.MemoryCapacity, want.MaxMigrations}
				if diff := cmp.Diff(exp, got); diff != "" {
					t.Errorf("host %s (-fleet +client):\n%s", name, diff)
				}

				vms, err := c.VMs(ctx)
				if err != nil {
					t.Fatalf("vms on %s: %v", name, err)
				}
				type vmKey struct{ ID, Name, Host, Notes string }
				var gotVMs, wantVMs []vmKey
				for _, v := range vms {
					gotVMs = append(gotVMs, vmKey{v.ID, v.Name, v.Host, v.Notes})
				}
				for _, v := range f.VMs(name) {
					wantVMs = append(wantVMs, vmKey{v.ID, v.Name, want.Name, v.Notes})
				}
				if diff := cmp.Diff(wantVMs, gotVMs); diff != "" {
					t.Errorf("vms on %s (-fleet +client):\n%s", name, diff)
				}

				cs, err := c.Counters(ctx, time.Second)
				if err != nil {
					t.Fatalf("counters on %s: %v", name, err)
				}
				if cs.HostCPUPercent <= 0 || cs.HostCPUPercent > 100 {
					t.Errorf("host %s CPU %v%%, want (0,100]", name, cs.HostCPUPercent)
				}
				if cs.AvailableMemory <= 0 || cs.AvailableMemory > want.MemoryCapacity {
					t.Errorf("host %s available memory %d", name, cs.AvailableMemory)
				}
				for _, v := range f.VMs(name) {
					vc, ok := cs.VMs[strings.ToLower(v.Name)]
					if v.State != sim.VMRunning {
						continue
					}
					if !ok || len(vc.CPUPercent) < v.CPUs {
						t.Errorf("host %s: counters of %q = %+v, want %d vCPUs", name, v.Name, vc, v.CPUs)
					}
					if v.Dynamic && !vc.HasPressure {
						t.Errorf("host %s: no memory pressure for dynamic VM %q", name, v.Name)
					}
				}
			}
		})
	}
}

func TestE2EVMStatesAndDuplicateNames(t *testing.T) {
	srv := startFleet(t, false)
	vms, err := client(t, srv, "HV02").VMs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]hyperv.VMState{}
	for _, v := range vms {
		states[v.ID] = v.State
	}
	if states["55555555-5555-4555-8555-555555555555"] != hyperv.VMStateOff {
		t.Errorf("off VM reads as %v", states["55555555-5555-4555-8555-555555555555"])
	}
	if states["44444444-4444-4444-8444-444444444444"] != hyperv.VMStateRunning {
		t.Errorf("running VM reads as %v", states["44444444-4444-4444-8444-444444444444"])
	}
}

// waitFor polls cond until it holds, bounded by a generous deadline.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition never held")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitLedger polls the fleet's ledger until the entries for vm reach want
// outcomes, bounded by a generous deadline.
func waitLedger(t *testing.T, f *sim.Fleet, vmID string, done func([]sim.LedgerEntry) bool) []sim.LedgerEntry {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var mine []sim.LedgerEntry
		for _, e := range f.Ledger() {
			if e.VMID == vmID {
				mine = append(mine, e)
			}
		}
		if done(mine) {
			return mine
		}
		if time.Now().After(deadline) {
			t.Fatalf("ledger for %s never settled: %+v", vmID, mine)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestE2ELiveMigration(t *testing.T) {
	srv := startFleet(t, false)
	ctx := context.Background()
	for _, id := range []string{idWeb01, idHostile} {
		loc, err := client(t, srv, "HV01").Move(ctx, id, "HV02", hyperv.MoveOptions{})
		if err != nil {
			t.Fatalf("move %s: %v", id, err)
		}
		if loc.Host != "HV02" || loc.ID != id || loc.State != hyperv.VMStateRunning {
			t.Errorf("move %s returned %+v", id, loc)
		}
		if _, found, err := client(t, srv, "HV01").Locate(ctx, id); err != nil || found {
			t.Errorf("locate %s on HV01: found=%v err=%v", id, found, err)
		}
		got, found, err := client(t, srv, "HV02").Locate(ctx, id)
		if err != nil || !found || got.Host != "HV02" {
			t.Errorf("locate %s on HV02: %+v found=%v err=%v", id, got, found, err)
		}
		entries := waitLedger(t, srv.Fleet(), id, func(e []sim.LedgerEntry) bool { return len(e) == 1 && e[0].Outcome == sim.OutcomeCompleted })
		if e := entries[0]; e.Source != "HV01" || e.Destination != "HV02" || e.Bytes <= 0 || !e.End.After(e.Start) {
			t.Errorf("ledger entry %+v", e)
		}
	}
	// The hostile name travels as data and comes back intact.
	got, _, _ := client(t, srv, "HV02").Locate(ctx, idHostile)
	if got.Name != "x'; Stop-Computer -Force; '" {
		t.Errorf("hostile name came back as %q", got.Name)
	}
}

func TestE2EClusterMigration(t *testing.T) {
	srv := startFleet(t, false)
	ctx := context.Background()

	_, err := client(t, srv, "CN1").Move(ctx, idSQL01, "CN2", hyperv.MoveOptions{})
	var me *hyperv.MigrationError
	if !errors.As(err, &me) {
		t.Fatalf("Move-VM of a clustered VM: %v, want *MigrationError", err)
	}

	loc, err := client(t, srv, "CN2").Move(ctx, idSQL01, "CN2", hyperv.MoveOptions{Clustered: true})
	if err != nil {
		t.Fatalf("cluster move: %v", err)
	}
	if loc.Host != "CN2" {
		t.Errorf("cluster move returned %+v", loc)
	}
	if v, _ := srv.Fleet().VM(idSQL01); v.Host != "CN2" {
		t.Errorf("fleet has sql01 on %s", v.Host)
	}

	// A stand-alone host has no FailoverClusters module.
	_, err = client(t, srv, "HV01").Move(ctx, idWeb01, "HV02", hyperv.MoveOptions{Clustered: true})
	var pe *hyperv.PowerShellError
	if !errors.As(err, &pe) || !strings.Contains(pe.Message, "is not recognized") {
		t.Errorf("cluster cmdlet on a stand-alone host: %v", err)
	}
}

func TestE2EMoveFailures(t *testing.T) {
	tests := []struct {
		name   string
		code   string
		vm     string
		to     string
		want   error
		hr     uint32
		inject bool
	}{
		{name: "destination out of memory", vm: idBig01, to: "HV03", want: hyperv.ErrDestinationOutOfMemory, hr: 0x8007000E},
		{name: "double hop", code: "0x8009030E", vm: idWeb01, to: "HV02", want: hyperv.ErrDoubleHop, hr: 0x8009030E, inject: true},
		{name: "no delegation", code: "0x8009030D", vm: idWeb01, to: "HV02", want: hyperv.ErrDoubleHop, hr: 0x8009030D, inject: true},
		{name: "timeout", code: "0x800705B4", vm: idWeb01, to: "HV02", want: hyperv.ErrMigrationTimeout, hr: 0x800705B4, inject: true},
		{name: "connection refused", code: "0x8007274D", vm: idWeb01, to: "HV02", want: hyperv.ErrConnectionRefused, hr: 0x8007274D, inject: true},
		{name: "unknown destination", vm: idWeb01, to: "NOSUCH", want: hyperv.ErrConnectionRefused, hr: 0x8007274D},
		{name: "vm not on this host", vm: "44444444-4444-4444-8444-444444444444", to: "HV02", want: hyperv.ErrVMNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := startFleet(t, false)
			if tc.inject {
				if err := srv.SetFaults("HV01", sim.Faults{MoveFailureRate: 1, MoveFailure: tc.code}); err != nil {
					t.Fatal(err)
				}
			}
			_, err := client(t, srv, "HV01").Move(context.Background(), tc.vm, tc.to, hyperv.MoveOptions{})
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			var me *hyperv.MigrationError
			if !errors.As(err, &me) || me.HResult != tc.hr {
				t.Errorf("err = %#v, want HRESULT %#x", err, tc.hr)
			}
			if v, _ := srv.Fleet().VM(tc.vm); tc.vm != "44444444-4444-4444-8444-444444444444" && v.Host != "HV01" {
				t.Errorf("failed move left the VM on %s", v.Host)
			}
		})
	}
}

func TestE2EHostFaults(t *testing.T) {
	srv := startFleet(t, false)
	ctx := context.Background()
	c := client(t, srv, "HV03")

	t.Run("wrong credentials", func(t *testing.T) {
		if _, err := client(t, srv, "HV03", func(c *hyperv.Config) { c.Password = "nope" }).Host(ctx); !errors.Is(err, hyperv.ErrUnauthorized) {
			t.Errorf("err = %v, want ErrUnauthorized", err)
		}
		if err := srv.SetFaults("HV03", sim.Faults{WrongCredentials: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Host(ctx); !errors.Is(err, hyperv.ErrUnauthorized) {
			t.Errorf("err = %v, want ErrUnauthorized", err)
		}
	})
	t.Run("unreachable, then back", func(t *testing.T) {
		if err := srv.SetFaults("HV03", sim.Faults{Unreachable: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Host(ctx); !errors.Is(err, hyperv.ErrUnreachable) {
			t.Errorf("err = %v, want ErrUnreachable", err)
		}
		if err := srv.SetFaults("HV03", sim.Faults{}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Host(ctx); err != nil {
			t.Errorf("host back: %v", err)
		}
	})
	t.Run("slow host past the call deadline", func(t *testing.T) {
		if err := srv.SetFaults("HV03", sim.Faults{Latency: sim.Duration(3 * time.Second)}); err != nil {
			t.Fatal(err)
		}
		slow := client(t, srv, "HV03", func(c *hyperv.Config) { c.CallTimeout = 500 * time.Millisecond })
		if _, err := slow.Host(ctx); !errors.Is(err, hyperv.ErrTimeout) {
			t.Errorf("err = %v, want ErrTimeout", err)
		}
	})
	t.Run("slow host within the deadline", func(t *testing.T) {
		if err := srv.SetFaults("HV03", sim.Faults{Latency: sim.Duration(50 * time.Millisecond)}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Host(ctx); err != nil {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("hung commands", func(t *testing.T) {
		if err := srv.SetFaults("HV03", sim.Faults{Hang: true}); err != nil {
			t.Fatal(err)
		}
		hung := client(t, srv, "HV03", func(c *hyperv.Config) { c.CallTimeout = time.Second })
		if _, err := hung.VMs(ctx); !errors.Is(err, hyperv.ErrTimeout) {
			t.Errorf("err = %v, want ErrTimeout", err)
		}
	})
	t.Run("crash", func(t *testing.T) {
		if err := srv.SetFaults("HV03", sim.Faults{}); err != nil {
			t.Fatal(err)
		}
		if err := srv.Crash("HV01"); err != nil {
			t.Fatal(err)
		}
		if _, err := client(t, srv, "HV01").Host(ctx); !errors.Is(err, hyperv.ErrUnreachable) {
			t.Errorf("err = %v, want ErrUnreachable", err)
		}
		if v, _ := srv.Fleet().VM(idWeb01); v.State != sim.VMOff {
			t.Errorf("web01 after its host crashed: %v", v.State)
		}
		// The destination of a migration is down: the source says so.
		if _, err := client(t, srv, "HV02").Move(ctx, "44444444-4444-4444-8444-444444444444", "HV01", hyperv.MoveOptions{}); !errors.Is(err, hyperv.ErrConnectionRefused) {
			t.Errorf("move to a crashed host: %v, want ErrConnectionRefused", err)
		}
	})
}

func TestE2EConnectionDroppedMidMigration(t *testing.T) {
	srv := startFleet(t, false)
	if err := srv.SetFaults("HV01", sim.Faults{DropConnection: true}); err != nil {
		t.Fatal(err)
	}
	_, err := client(t, srv, "HV01").Move(context.Background(), idBig01, "HV02", hyperv.MoveOptions{})
	if !errors.Is(err, hyperv.ErrOutcomeUnknown) {
		t.Fatalf("err = %v, want ErrOutcomeUnknown", err)
	}
	// The host finishes the migration; locating the VM tells the outcome.
	waitLedger(t, srv.Fleet(), idBig01, func(e []sim.LedgerEntry) bool { return len(e) == 1 && e[0].Outcome == sim.OutcomeCompleted })
	if err := srv.SetFaults("HV01", sim.Faults{}); err != nil {
		t.Fatal(err)
	}
	loc, found, err := client(t, srv, "HV02").Locate(context.Background(), idBig01)
	if err != nil || !found || loc.Host != "HV02" {
		t.Errorf("locate after the drop: %+v found=%v err=%v", loc, found, err)
	}
}

func TestE2EPerHostMigrationLimit(t *testing.T) {
	var clock *sim.ManualClock
	srv := startFleetWithClock(t, false, func(start time.Time) sim.Clock { clock = sim.NewManualClock(start); return clock })
	ids := []string{
		"77777777-7777-4777-8777-777777777777", "88888888-8888-4888-8888-888888888888",
		"99999999-9999-4999-8999-999999999999", "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa",
		"bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb", idWeb01,
	}
	var wg sync.WaitGroup
	errs := make([]error, len(ids))
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = client(t, srv, "HV01").Move(context.Background(), id, "HV02", hyperv.MoveOptions{})
		}()
	}
	// Hyper-V runs two and queues the rest: wait until all six reached the
	// host, then let simulated time pass until they are done.
	waitFor(t, func() bool { return len(srv.Fleet().Ledger()) == len(ids) })
	running := 0
	for _, e := range srv.Fleet().Ledger() {
		if e.Outcome == sim.OutcomeRunning {
			running++
		}
	}
	if running != 2 {
		t.Errorf("%d migrations running at once from HV01, want its limit 2", running)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for finished := false; !finished; {
		select {
		case <-done:
			finished = true
		default:
			clock.Advance(time.Second)
			time.Sleep(time.Millisecond) // let the WinRM round trips move on; not a timing assertion
		}
	}
	for i, err := range errs {
		if err != nil {
			t.Errorf("move %s: %v", ids[i], err)
		}
	}
	for host, l := range srv.Fleet().HostLedger() {
		if l.HighWater > l.Max {
			t.Errorf("%s ran %d migrations at once, limit %d", host, l.HighWater, l.Max)
		}
	}
	if l := srv.Fleet().HostLedger()["HV01"]; l.HighWater != 2 || l.Completed != len(ids) {
		t.Errorf("HV01 ledger %+v, want high water 2 and %d completed", l, len(ids))
	}
}

func TestE2EUnknownScriptIsNotRecognized(t *testing.T) {
	srv := startFleet(t, false)
	ep, _ := srv.Endpoint("HV03")
	// Any conforming client: this one splits the command from its
	// arguments, and logs in with Basic where the host allows it.
	out, errOut, code := rawRun(t, ep, "hvadmin", "s3cret-Pa55", "powershell", "-NoProfile", "-EncodedCommand", encodePS("Stop-Computer -Force"))
	if code != 1 || out != "" || !strings.Contains(errOut, "The term &#39;Stop-Computer&#39; is not recognized") && !strings.Contains(errOut, "The term 'Stop-Computer' is not recognized") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if !strings.HasPrefix(errOut, "#< CLIXML") {
		t.Errorf("stderr is not CLIXML: %q", errOut)
	}
	if n := len(srv.Fleet().Ledger()); n != 0 {
		t.Errorf("ledger has %d entries", n)
	}
}

func TestE2EInventory(t *testing.T) {
	srv := startFleet(t, true)
	dir := t.TempDir()
	path, err := srv.WriteInventory(dir)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := sim.LoadInventory(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Hosts) != 5 || inv.CAFile == "" || inv.Username != "hvadmin" {
		t.Fatalf("inventory %+v", inv)
	}
	for _, h := range inv.Hosts {
		ep, _ := srv.Endpoint(h.Host)
		if h.Endpoint != ep || net.ParseIP(h.IP) == nil {
			t.Errorf("inventory host %+v, endpoint %+v", h, ep)
		}
	}
	if inv.Hosts[0].Host != "CN1" || inv.Hosts[0].Cluster != "CL1" {
		t.Errorf("first host %+v, want CN1 of cluster CL1", inv.Hosts[0])
	}
}
