package daemon

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer/moves"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/logins"
	"github.com/hvbalancer/hvbalancer/hyperv"
)

// compareClient is a host's client that answers Compare and records what
// it was asked; nothing else is used.
type compareClient struct {
	logins.Client
	asked  []hyperv.MoveOptions
	report []hyperv.Incompatibility
	err    error
}

func (c *compareClient) Compare(_ context.Context, vmID, dst string, opt hyperv.MoveOptions) ([]hyperv.Incompatibility, error) {
	c.asked = append(c.asked, opt)
	return c.report, c.err
}

func (c *compareClient) Close() error { return nil }

// TestGuardedMigratorCompares: the executor's Compare goes through the
// login guard to the source's client with the move's options, and a
// refused login counts against the credential as any call's does.
func TestGuardedMigratorCompares(t *testing.T) {
	t.Setenv("HVB_DAEMON_TEST_PW", "pw")
	c := &compareClient{report: []hyperv.Incompatibility{{MessageID: 33012, Message: "Could not find Ethernet switch 'LAN'.", Err: hyperv.ErrSwitchMissing}}}
	g, err := logins.New([]logins.Host{{
		Name: "HV01", Credential: logins.Credential{Username: `LAB\svc`, PasswordEnv: "HVB_DAEMON_TEST_PW"},
		Dial: func(string) (logins.Client, error) { return c, nil },
	}}, logins.Settings{Threshold: 1, BackoffBase: time.Hour}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	m := guardedMigrator(g)
	mv := moves.Move{VM: "vm", From: "hv01", To: "HV02", StoragePath: `D:\Hyper-V`}
	report, err := m.Compare(t.Context(), mv)
	if err != nil || len(report) != 1 || !errors.Is(report[0], hyperv.ErrSwitchMissing) {
		t.Fatalf("Compare = %+v, %v", report, err)
	}
	if len(c.asked) != 1 || c.asked[0] != (hyperv.MoveOptions{StoragePath: `D:\Hyper-V`}) {
		t.Errorf("client asked with %+v", c.asked)
	}
	c.err = fmt.Errorf("compare vm on hv01: wsman: %w: http status 401", hyperv.ErrUnauthorized)
	if _, err := m.Compare(t.Context(), mv); !errors.Is(err, hyperv.ErrUnauthorized) {
		t.Fatalf("refused Compare: %v", err)
	}
	if _, err := m.Compare(t.Context(), mv); err == nil || len(c.asked) != 2 {
		t.Errorf("Compare while the host is held back: %v, client asked %d times, want 2", err, len(c.asked))
	}
}
