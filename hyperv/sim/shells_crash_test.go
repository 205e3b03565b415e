package sim_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv"
	"github.com/hvbalancer/hvbalancer/hyperv/sim"
)

// crashChildEnv, when set to an inventory path, makes
// TestShellsDoNotOutliveKilledPollers the polling child it kills.
const crashChildEnv = "HVBALANCER_TEST_SHELL_POLLER"

// crashFleet is three hosts as Windows Server ships them (NTLM, sealed
// messages, MaxShellsPerUser 30, 2 h idle timeout).
const crashFleet = `
name: crash
credentials: {username: hvadmin, password: "s3cret-Pa55"}
hosts:
  - {name: HV01, logical_processors: 8, memory_gib: 32}
  - {name: HV02, logical_processors: 8, memory_gib: 32}
  - {name: HV03, logical_processors: 8, memory_gib: 32}
vms:
  - {id: 11111111-1111-4111-8111-111111111111, name: web01, host: HV01, cpus: 2, memory_gib: 4}
  - {id: 22222222-2222-4222-8222-222222222222, name: db01, host: HV02, cpus: 2, memory_gib: 4}
`

// clientsOf opens a client for every host of an inventory.
func clientsOf(inv *sim.Inventory) ([]*hyperv.Client, error) {
	pw, err := os.ReadFile(inv.PasswordFile)
	if err != nil {
		return nil, err
	}
	var clients []*hyperv.Client
	for _, h := range inv.Hosts {
		c, err := hyperv.New(hyperv.Config{Host: h.IP, Port: h.Port, Auth: hyperv.AuthNTLM, Username: inv.Username,
			Password: strings.TrimSpace(string(pw)), CallTimeout: 20 * time.Second, OperationTimeout: time.Second})
		if err != nil {
			return nil, err
		}
		clients = append(clients, c)
	}
	return clients, nil
}

// poll asks every host for its facts and VMs at once, as the collector
// does, and returns the first error.
func poll(ctx context.Context, clients []*hyperv.Client) error {
	var wg sync.WaitGroup
	errs := make(chan error, 2*len(clients))
	for _, c := range clients {
		wg.Go(func() {
			_, err := c.Host(ctx)
			errs <- err
		})
		wg.Go(func() {
			_, err := c.VMs(ctx)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// runPoller is the child: it polls the fleet until it is killed, saying
// "polled" after each round. It gives up after a minute, should its parent
// be gone.
func runPoller(t *testing.T, inventory string) {
	inv, err := sim.LoadInventory(inventory)
	if err != nil {
		t.Fatal(err)
	}
	clients, err := clientsOf(inv)
	if err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(time.Minute); time.Now().Before(end); {
		if err := poll(context.Background(), clients); err != nil {
			fmt.Println("error:", err)
			os.Exit(3)
		}
		if _, err := fmt.Println("polled"); err != nil {
			os.Exit(4)
		}
	}
	os.Exit(5)
}

// startFleetFrom serves a fleet file on loopback with a fast clock.
func startFleetFrom(t *testing.T, fleetFile string) *sim.Server {
	t.Helper()
	spec, err := sim.ParseFleet([]byte(fleetFile))
	if err != nil {
		t.Fatal(err)
	}
	fleet, err := sim.NewFleet(spec, sim.NewScaledClock(spec.Start, 600))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sim.Serve(fleet, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// shellsOf counts the open shells of every host, as the admin API lists
// them.
func shellsOf(t *testing.T, srv *sim.Server) map[string]int {
	t.Helper()
	resp, err := http.Get(srv.AdminURL() + "shells")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Shells map[string][]sim.ShellInfo `json:"shells"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /admin/shells: %d, %v", resp.StatusCode, err)
	}
	out := map[string]int{}
	for _, ep := range srv.Endpoints() {
		direct, _ := srv.Shells(ep.Host)
		if len(direct) != len(body.Shells[ep.Host]) {
			t.Errorf("%s: the admin API lists %d shells, the server has %d", ep.Host, len(body.Shells[ep.Host]), len(direct))
		}
		for _, sh := range direct {
			if sh.Owner != "hvadmin" || !strings.HasPrefix(sh.Name, "hvbalancer:") {
				t.Errorf("%s: shell %+v: want hvadmin's, named by hvbalancer", ep.Host, sh)
			}
		}
		out[ep.Host] = len(direct)
	}
	return out
}

// A poller killed over and over in the middle of its calls, as a daemon
// in a crash loop under a service manager is, must not use up the
// account's shells on the hosts: a fresh client then polls every host,
// and the hosts keep only that client's shell.
func TestShellsDoNotOutliveKilledPollers(t *testing.T) {
	if inv := os.Getenv(crashChildEnv); inv != "" {
		runPoller(t, inv)
		return
	}
	if testing.Short() {
		t.Skip("starts and kills 40 processes")
	}
	const kills = 40
	srv := startFleetFrom(t, crashFleet)
	inventory, err := srv.WriteInventory(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var refused []string // what pollers that could not poll said
	for i := range kills {
		cmd := exec.CommandContext(t.Context(), exe, "-test.run=^TestShellsDoNotOutliveKilledPollers$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+inventory)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := bufio.NewScanner(out)
		if !lines.Scan() || lines.Text() != "polled" {
			refused = append(refused, fmt.Sprintf("poller %d: %s", i, lines.Text()))
			_ = cmd.Wait()
			continue
		}
		// Kill it somewhere in its next rounds: most often with calls in
		// flight.
		time.Sleep(time.Duration(rand.IntN(40)) * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		var exit *exec.ExitError
		if err := cmd.Wait(); !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("poller %d ended with %v before it was killed", i, err)
		}
	}
	left := shellsOf(t, srv)
	t.Logf("shells open per host after %d pollers, %d killed: %v (quota 30)", kills, kills-len(refused), left)
	if len(refused) > 0 {
		t.Errorf("%d of %d pollers could not poll; the first: %s", len(refused), kills, refused[0])
	}

	inv, err := sim.LoadInventory(inventory)
	if err != nil {
		t.Fatal(err)
	}
	clients, err := clientsOf(inv)
	if err != nil {
		t.Fatal(err)
	}
	if err := poll(t.Context(), clients); err != nil {
		if errors.Is(err, hyperv.ErrShellQuota) {
			t.Fatalf("a fresh client finds the shell quota used up: %v", err)
		}
		t.Fatalf("a fresh client cannot poll: %v", err)
	}
	after := shellsOf(t, srv)
	t.Logf("shells open per host after a fresh client's poll: %v", after)
	for host, n := range after {
		if n != 1 {
			t.Errorf("%s: %d shells open, want the fresh client's one", host, n)
		}
	}
	for _, c := range clients {
		c.Close()
	}
	for host, n := range shellsOf(t, srv) {
		if n != 0 {
			t.Errorf("%s: %d shells open after the clients closed, want none", host, n)
		}
	}
}
