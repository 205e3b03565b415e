package web_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hvbalancer/hvbalancer/balancer/executor"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
)

// historyKeys are the keys of a history entry as docs/api.md documents
// them, written out here rather than derived from any type.
var historyKeys = []string{
	"move_id", "plan_id", "vm_id", "vm_name", "from", "to", "trigger", "bytes",
	"state", "final", "cause", "error", "reconciled",
	"intent", "started", "ended", "duration_seconds",
}

// leftOut are the journal's keys the API does not show, and why.
var leftOut = map[string]string{
	"seq":  "the journal's storage order; the history comes newest first",
	"move": "the move as the executor queues it again after a restart; the plan shows it",
}

// fullEntry is a journal entry with every field set.
func fullEntry(t *testing.T) journal.Entry {
	t.Helper()
	e := journal.Entry{
		MoveID: "plan-1/0", PlanID: "plan-1", VMID: "a1", VMName: "web01", From: "hv01", To: "hv02",
		Trigger: "balance", Bytes: 8 << 30, State: journal.StateFailed,
		Cause: executor.CauseOutOfMemory, Error: "Move-VM: 0x8007000E", Reconciled: true,
		Intent: t0, Started: t0.Add(time.Second), Ended: t0.Add(90 * time.Second), Seq: 7,
		Move: []byte(`{"vm":"a1"}`),
	}
	v := reflect.ValueOf(e)
	for i := range v.NumField() {
		if v.Field(i).IsZero() {
			t.Fatalf("the fixture leaves journal.Entry.%s unset: set it, and decide whether the API shows it", v.Type().Field(i).Name)
		}
	}
	return e
}

// jsonKeys returns the sorted keys of v's JSON object.
func jsonKeys(t *testing.T, v any) []string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// TestHistoryEntryIsNotTheJournalRecord shows that the API's JSON of a
// journaled move has the documented keys whatever the journal's record
// holds, and that every journal field is either shown or left out on
// purpose.
func TestHistoryEntryIsNotTheJournalRecord(t *testing.T) {
	je := fullEntry(t)
	api := jsonKeys(t, web.HistoryEntryOf(je))
	want := slices.Sorted(slices.Values(historyKeys))
	if diff := cmp.Diff(want, api); diff != "" {
		t.Errorf("history entry keys (-documented +got):\n%s", diff)
	}
	for _, k := range jsonKeys(t, je) {
		if _, ok := leftOut[k]; !ok && !slices.Contains(api, k) {
			t.Errorf("the journal's %q is neither shown by the API nor left out on purpose", k)
		}
	}
	for k := range leftOut {
		if slices.Contains(api, k) {
			t.Errorf("the API shows %q, which it means to leave out", k)
		}
	}
}

func TestHistoryEntryOf(t *testing.T) {
	je := fullEntry(t)
	want := web.HistoryEntry{
		MoveID: "plan-1/0", PlanID: "plan-1", VMID: "a1", VMName: "web01", From: "hv01", To: "hv02",
		Trigger: "balance", Bytes: 8 << 30, State: web.MoveFailed, Final: true,
		Cause: "destination_out_of_memory", Error: "Move-VM: 0x8007000E", Reconciled: true,
		Intent: t0, Started: t0.Add(time.Second), Ended: t0.Add(90 * time.Second), DurationSeconds: 89,
	}
	if diff := cmp.Diff(want, web.HistoryEntryOf(je)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	tests := []struct {
		name  string
		entry journal.Entry
		want  web.HistoryEntry
	}{
		{"not started", journal.Entry{MoveID: "m", State: journal.StateIntent, Intent: t0},
			web.HistoryEntry{MoveID: "m", State: web.MoveIntent, Intent: t0}},
		{"running", journal.Entry{MoveID: "m", State: journal.StateStarted, Intent: t0, Started: t0},
			web.HistoryEntry{MoveID: "m", State: web.MoveStarted, Intent: t0, Started: t0}},
		{"skipped before it started", journal.Entry{MoveID: "m", State: journal.StateSkipped, Cause: executor.CauseCooldown, Intent: t0, Ended: t0},
			web.HistoryEntry{MoveID: "m", State: web.MoveSkipped, Final: true, Cause: "cooldown", Intent: t0, Ended: t0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, web.HistoryEntryOf(tc.entry)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
