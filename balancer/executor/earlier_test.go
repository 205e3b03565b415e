package executor

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestExecutorEarlierMoves proves that a move is re-validated with the
// moves of its Submit call before it that started and were not skipped,
// and with nothing of another call's; and that the executor forgets a call
// once its moves are done.
func TestExecutorEarlierMoves(t *testing.T) {
	v := &fakeValidator{stale: map[string]string{"vm-c": "the destination filled"}}
	r := newRig(t, Config{MaxConcurrent: 1}, v)
	r.vms("a@A", "b@A", "c@A", "d@A", "e@A")
	r.submit("p", mv("a", "A", "B"), mv("b", "A", "B"), mv("c", "A", "B"), mv("d", "A", "B"))
	r.submit("q", mv("e", "A", "C"))
	for range 5 {
		r.pass()
	}
	want := map[string][]string{
		"vm-a": {},
		"vm-b": {"vm-a"},
		"vm-c": {"vm-a", "vm-b"},
		"vm-d": {"vm-a", "vm-b"}, // not vm-c: it was skipped
		"vm-e": {},
	}
	v.mu.Lock()
	got := v.earlier
	v.mu.Unlock()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("earlier moves given to the validator (-want +got):\n%s", diff)
	}
	r.e.mu.Lock()
	left := len(r.e.begun)
	r.e.mu.Unlock()
	if left != 0 {
		t.Errorf("%d submit calls still remembered after all their moves ended", left)
	}
}
