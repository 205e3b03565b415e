package policy

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestStartAgreesWithBegin: a session from Start, once Wait has returned,
// has Begin's settings, requests, frozen VMs and holds, and a requests rule
// that fails (at run time or with an invalid decision) gives Wait the
// error Begin gives. A failing config, frozen or held rule fails Start
// itself, with Begin's error.
func TestStartAgreesWithBegin(t *testing.T) {
	healthy := `config := {"max_moves": 3}
requests contains {"vm": "vm1", "reason": "even out", "priority": 10}
frozen contains "vm2"
held contains {"vm": "vm1", "rule": "cap", "reason": "moved today"}
`
	tests := []struct {
		name    string
		src     string
		waitErr bool // the requests rule fails: Start succeeds, Wait fails
	}{
		{"every rule healthy", healthy, false},
		{"requests fail at run time", `config := {"max_moves": 3}
requests contains {"vm": "vm1", "reason": "even out", "priority": 10 / (count(input.fleet.hosts) - 2)}
`, true},
		{"requests invalid", `requests contains {"vm": "nope", "reason": "x"}
frozen contains "vm2"
`, true},
		{"config fails at run time", `config := {"max_moves": to_number(input.now)}
requests contains {"vm": "vm1", "reason": "even out"}
`, false},
		{"frozen invalid", `frozen contains 1
requests contains {"vm": "vm1", "reason": "even out"}
`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := mustLoad(t, Options{Dir: writePolicy(t, map[string]string{"p.rego": "package hvbalancer\n\n" + tc.src})})
			in := emptyInput()
			in.Fleet.VMs["vm2"] = VM{Name: "two", Host: "HV02", State: "Running"}
			ctx := context.Background()
			want, beginErr := e.Begin(ctx, in)
			got, err := e.Start(ctx, in)
			if err == nil {
				err = got.Wait(ctx)
				if err != nil != tc.waitErr {
					t.Errorf("Wait = %v, want an error: %v", err, tc.waitErr)
				}
			} else if tc.waitErr {
				t.Errorf("Start = %v, want the requests' failure from Wait", err)
			}
			if (err == nil) != (beginErr == nil) || err != nil && err.Error() != beginErr.Error() {
				t.Fatalf("Start and Wait: %v\nBegin: %v", err, beginErr)
			}
			if err != nil {
				var re, bre *RuleError
				if errors.As(err, &re) != errors.As(beginErr, &bre) {
					t.Errorf("Start and Wait: %v, Begin: %v: only one is a *RuleError", err, beginErr)
				}
				return
			}
			if diff := cmp.Diff(want.Settings(), got.Settings()); diff != "" {
				t.Errorf("Settings (-Begin +Start):\n%s", diff)
			}
			if diff := cmp.Diff(want.Requests(), got.Requests()); diff != "" {
				t.Errorf("Requests (-Begin +Start):\n%s", diff)
			}
			if len(got.Requests()) == 0 {
				t.Error("no requests: the case proves nothing")
			}
			for _, id := range []string{"vm1", "vm2"} {
				if want.Frozen(id) != got.Frozen(id) {
					t.Errorf("Frozen(%s) = %v, Begin's %v", id, got.Frozen(id), want.Frozen(id))
				}
				if diff := cmp.Diff(want.Held(id), got.Held(id)); diff != "" {
					t.Errorf("Held(%s) (-Begin +Start):\n%s", id, diff)
				}
			}
		})
	}
}

// endlessRequests is a requests rule that would evaluate for hours and
// asks for nothing.
const endlessRequests = `requests contains {"vm": "vm1", "reason": "never"} if {
	some i in numbers.range(1, 100000)
	some j in numbers.range(1, 100000)
	i * j < 0
}
`

// TestWaitEndsWithItsContext: a requests rule that would run for hours
// does not keep Wait, nor the evaluation behind Requests, once the
// session's context ends.
func TestWaitEndsWithItsContext(t *testing.T) {
	e := mustLoad(t, Options{Dir: writePolicy(t, map[string]string{"p.rego": "package hvbalancer\n\nconfig := {\"max_moves\": 3}\n\n" + endlessRequests})})
	ctx, cancel := context.WithCancel(context.Background())
	r, err := e.Start(ctx, emptyInput())
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	if got := *r.Settings().MaxMoves; got != 3 {
		t.Errorf("max_moves = %d before the requests end, want 3", got)
	}
	cancel()
	// OPA's evaluation stops with the context; Wait returns its error.
	if err := r.Wait(context.Background()); err == nil {
		t.Error("Wait after the session's context ended = nil, want the evaluation's cancellation")
	}
	if reqs := r.Requests(); len(reqs) != 0 { // returns: the evaluation stopped
		t.Errorf("Requests = %v, want none", reqs)
	}
}

// TestWaitOwnContext: Wait gives up when its own context ends, though the
// requests go on.
func TestWaitOwnContext(t *testing.T) {
	e := mustLoad(t, Options{Dir: writePolicy(t, map[string]string{"p.rego": "package hvbalancer\n\n" + endlessRequests})})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r, err := e.Start(ctx, emptyInput())
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	waitCtx, stop := context.WithCancel(context.Background())
	stop()
	if err := r.Wait(waitCtx); !errors.Is(err, context.Canceled) {
		t.Errorf("Wait with an ended context = %v, want context.Canceled", err)
	}
}
