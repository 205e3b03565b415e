package sim_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv"
	"github.com/hvbalancer/hvbalancer/hyperv/sim"
)

// TestLockout follows the fleet's account through a lockout as Active
// Directory applies it (threshold 3, window 10m, duration 30m), over NTLM
// on several hosts, on the simulated clock.
func TestLockout(t *testing.T) {
	spec, _ := sim.ParseFleet([]byte(winrmFleet))
	clock := sim.NewManualClock(spec.Start)
	srv := startWinRMFleet(t, clock)
	ctx := context.Background()
	wrong := func(c *hyperv.Config) { c.Password = "not-it" }
	login := func(host string, edit ...func(*hyperv.Config)) error {
		_, err := client(t, srv, host, edit...).Host(ctx)
		return err
	}
	account := func() sim.AccountState {
		t.Helper()
		accounts := srv.Accounts()
		if len(accounts) != 1 || accounts[0].Username != "hvadmin" {
			t.Fatalf("accounts %+v", accounts)
		}
		return accounts[0]
	}
	mustFail := func(err error) {
		t.Helper()
		if !errors.Is(err, hyperv.ErrUnauthorized) {
			t.Fatalf("got %v, want ErrUnauthorized", err)
		}
	}

	// Two bad logons, a pause longer than the window: the count starts
	// again. A good logon resets it too.
	mustFail(login("HV01", wrong))
	mustFail(login("HV02", wrong))
	clock.Advance(11 * time.Minute)
	mustFail(login("HV01", wrong))
	if a := account(); a.BadLogons != 1 || a.LockedUntil != nil || a.FailedLogons != 3 {
		t.Fatalf("after a pause: %+v", a)
	}
	mustFail(login("HV02", wrong))
	if err := login("HV01"); err != nil {
		t.Fatalf("right password: %v", err)
	}
	if a := account(); a.BadLogons != 0 {
		t.Fatalf("after a good logon: %+v", a)
	}

	// Refusals of a host that does not know the account never reach the
	// domain.
	mustFail(login("HV05"))
	mustFail(login("HV05", wrong))

	// Three bad logons within the window, on different hosts, lock the
	// account fleet-wide: the right password is refused everywhere.
	for _, host := range []string{"HV01", "HV02", "HV01"} {
		mustFail(login(host, wrong))
		clock.Advance(time.Minute)
	}
	a := account()
	lockedAt := clock.Now().Add(-time.Minute)
	if a.LockedUntil == nil || !a.LockedUntil.Equal(lockedAt.Add(30*time.Minute)) || a.BadLogons != 3 {
		t.Fatalf("after three bad logons: %+v, want locked until %s", a, lockedAt.Add(30*time.Minute))
	}
	mustFail(login("HV01"))
	mustFail(login("HV02"))
	if a := account(); a.FailedLogons != 9 {
		t.Errorf("failed logons %d, want 9", a.FailedLogons)
	}
	clock.Advance(28 * time.Minute)
	mustFail(login("HV01"))

	// The lockout ends after its duration.
	clock.Advance(time.Minute)
	if err := login("HV01"); err != nil {
		t.Fatalf("after the lockout: %v", err)
	}
	if a := account(); a.LockedUntil != nil || a.BadLogons != 0 {
		t.Errorf("after the lockout: %+v", a)
	}

	// The admin API shows the same.
	resp, err := http.Get(srv.AdminURL() + "accounts")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Accounts []sim.AccountState `json:"accounts"`
		Lockout  struct {
			Threshold int    `json:"threshold"`
			Window    string `json:"window"`
			Duration  string `json:"duration"`
		} `json:"lockout"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if len(body.Accounts) != 1 || body.Accounts[0].FailedLogons != 10 || body.Lockout.Threshold != 3 || body.Lockout.Window != "10m0s" || body.Lockout.Duration != "30m0s" {
		t.Errorf("GET /admin/accounts: %+v", body)
	}
}

// TestLockoutOff: with threshold 0 the account is never locked.
func TestLockoutOff(t *testing.T) {
	spec, err := sim.ParseFleet([]byte(`
credentials: {password: pw-1, lockout: {threshold: 0}}
hosts: [{name: HV01, logical_processors: 8, memory_gib: 32}]
`))
	if err != nil {
		t.Fatal(err)
	}
	fleet, _ := sim.NewFleet(spec, sim.NewManualClock(spec.Start))
	srv, err := sim.Serve(fleet, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	for range 8 {
		client(t, srv, "HV01", func(c *hyperv.Config) { c.Password = "wrong" }).Host(context.Background())
	}
	if _, err := client(t, srv, "HV01", func(c *hyperv.Config) { c.Password = "pw-1" }).Host(context.Background()); err != nil {
		t.Errorf("after 8 bad logons without a lockout policy: %v", err)
	}
}
