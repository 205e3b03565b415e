package domain

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/fleetfile"
)

func TestIsAccount(t *testing.T) {
	spec := &fleetfile.FleetSpec{Domain: "lab.example", Credentials: fleetfile.Credentials{Username: "hvadmin"}}
	tests := []struct {
		user, domain string
		want         bool
	}{
		{"hvadmin", "", true},
		{"HVADMIN", "LAB", true},
		{"hvadmin", "lab.example", true},
		{"hvadmin@lab.example", "", true},
		{"hvadmin@LAB", "", true},
		{"hvadmin", "other", false},
		{"hvadmin@other.example", "", false},
		{"hvadmin@", "", false},
		{"someone", "LAB", false},
	}
	for _, tt := range tests {
		if got := isAccount(spec, tt.user, tt.domain); got != tt.want {
			t.Errorf("isAccount(%q, %q) = %v, want %v", tt.user, tt.domain, got, tt.want)
		}
	}
}

// TestLedgerLocksOut: three bad logons within the window lock the account
// for the duration, a right password is refused meanwhile, and the count
// starts again once the lockout ends.
func TestLedgerLocksOut(t *testing.T) {
	threshold := 3
	now := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
	policy := fleetfile.Lockout{Threshold: &threshold, Window: fleetfile.Duration(10 * time.Minute), Duration: fleetfile.Duration(30 * time.Minute)}
	l := NewLedger(policy, func() time.Time { return now }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	for i := 0; i < 2; i++ {
		if l.Logon("hvadmin", false) {
			t.Fatal("a wrong password logged on")
		}
	}
	now = now.Add(time.Minute)
	l.Logon("hvadmin", false)
	if l.Logon("hvadmin", true) {
		t.Fatal("a locked-out account logged on")
	}
	st := l.States()
	if len(st) != 1 || st[0].LockedUntil == nil || !st[0].LockedUntil.Equal(now.Add(30*time.Minute)) || st[0].FailedLogons != 4 {
		t.Fatalf("states %+v", st)
	}
	now = now.Add(30 * time.Minute)
	if !l.Logon("hvadmin", true) {
		t.Fatal("the account is still locked out after the duration")
	}
	if st := l.States(); st[0].LockedUntil != nil || st[0].BadLogons != 0 {
		t.Errorf("states after the lockout %+v", st)
	}
}
