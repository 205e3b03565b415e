package daemon

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
)

func TestEndState(t *testing.T) {
	for _, tc := range []struct {
		outcomes map[journal.State]int
		n        int
		want     web.PlanState
	}{
		{map[journal.State]int{journal.StateSucceeded: 3}, 3, web.PlanDone},
		{map[journal.State]int{journal.StateSucceeded: 2, journal.StateSkipped: 1}, 3, web.PlanPartlyDone},
		{map[journal.State]int{journal.StateSucceeded: 1, journal.StateFailed: 1}, 2, web.PlanPartlyDone},
		{map[journal.State]int{journal.StateFailed: 1, journal.StateSkipped: 2}, 3, web.PlanFailed},
	} {
		if got := endState(tc.outcomes, tc.n); got != tc.want {
			t.Errorf("endState(%v, %d) = %s, want %s", tc.outcomes, tc.n, got, tc.want)
		}
		if !tc.want.Final() {
			t.Errorf("%s is an end state but not Final", tc.want)
		}
	}
}

func TestApprovable(t *testing.T) {
	now := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	live := &balancer.Plan{ID: "p1", Expires: now.Add(time.Hour)}
	old := &balancer.Plan{ID: "p1", Expires: now.Add(-time.Minute)}
	for _, tc := range []struct {
		name  string
		state web.PlanState
		by    string
		plan  *balancer.Plan
		want  string // "" means approvable
	}{
		{"pending", web.PlanPending, "", live, ""},
		{"superseded names the newer plan", web.PlanSuperseded, "p2", live, "plan p1 was superseded by plan p2: the fleet has changed since; approve p2 instead"},
		{"expired", web.PlanPending, "", old, "plan p1 expired at 2026-01-05T08:59:00Z"},
		{"already approved", web.PlanApproved, "", live, "plan p1 is approved"},
		{"done", web.PlanDone, "", live, "plan p1 is done"},
		{"refused", web.PlanRefused, "", live, "plan p1 is refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := approvable(&planRecord{ID: "p1", State: tc.state, SupersededBy: tc.by}, tc.plan, now)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, web.ErrConflict)):
				t.Errorf("error %v, want a conflict saying %q", err, tc.want)
			}
		})
	}
}

func TestProgressText(t *testing.T) {
	ids := []string{"p#approved/0", "p#approved/1", "p#approved/2", "p#approved/3", "p#approved/4", "p#approved/5", "p#approved/6"}
	for _, tc := range []struct {
		r    planRecord
		want string
	}{
		{planRecord{MoveIDs: ids}, "0 of 7 moves ended"},
		{planRecord{MoveIDs: ids, Progress: &planProgress{Queued: 7}}, "0 of 7 moves ended, 0 running, 7 queued"},
		{planRecord{MoveIDs: ids, Outcomes: map[journal.State]int{journal.StateSucceeded: 1}, Progress: &planProgress{Queued: 6, Resumed: 6}},
			"1 of 7 moves ended (1 succeeded, 0 failed, 0 skipped), 0 running, 6 queued; 6 resumed after a restart"},
	} {
		if got := progressText(tc.r); got != tc.want {
			t.Errorf("progressText = %q, want %q", got, tc.want)
		}
	}
}
