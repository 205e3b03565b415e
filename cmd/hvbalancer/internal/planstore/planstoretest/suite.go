package planstoretest

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/planstore"
)

// Opener opens a store over the storage it was made for; calling it
// again is a restart.
type Opener func(t *testing.T) planstore.Store

// Harness is how the suite reaches the implementation under test.
type Harness struct {
	// Fresh makes empty storage and returns its Opener.
	Fresh func(t *testing.T) Opener
	// Shared reports whether several stores may be open over the same
	// storage at once; when false, racing writers share one store.
	Shared bool
	// Fenced, when set, opens a store over fresh storage whose writes are
	// fenced on a leadership, and returns depose, which ends it and
	// returns the next leader's fenced store over the same storage.
	Fenced func(t *testing.T) (s planstore.Store, depose func() planstore.Store)
	// ErrFenced is what a fenced write that was refused wraps.
	ErrFenced error
	// CutShort opens a store over fresh storage and returns cut, which
	// leaves there what a Save of plan id cut short before its record
	// (by a crash, or a fence) leaves: its files and no record.
	CutShort func(t *testing.T) (s planstore.Store, cut func(id string, files []planstore.File))
}

// Run runs every test of the suite against h.
func Run(t *testing.T, h Harness) {
	tests := []struct {
		name string
		run  func(*testing.T, Harness)
	}{
		{"SavedPlansReadBack", testSave},
		{"UpdateComparesVersion", testUpdate},
		{"RacingUpdatesOneWins", testRace},
		{"RemoveTakesRecordAndFiles", testRemove},
		{"ReopenKeepsEverything", testReopen},
		{"DeposedWriterIsFenced", testFenced},
		{"SweepRemovesFilesWithoutRecord", testSweep},
		{"SweepSparesSaveUnderWay", testSweepSaving},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, h) })
	}
}

// Record is a record as the daemon writes it: JSON naming its plan.
func Record(id, state string) []byte {
	return fmt.Appendf(nil, "{\n  \"id\": %q,\n  \"state\": %q\n}\n", id, state)
}

// Files are a plan's files; snapshot.json is larger than a chunk of the
// etcd store, so that it spans several keys and transactions.
func Files(id string) []planstore.File {
	big := bytes.Repeat([]byte(id+" 0123456789abcdef\n"), (3*planstore.ChunkSize+planstore.ChunkSize/2)/(len(id)+18))
	return []planstore.File{
		{Name: "plan.json", Data: fmt.Appendf(nil, `{"id":%q}`, id)},
		{Name: "plan.sig", Data: []byte{0, 1, 2, 0xff}},
		{Name: "plan.md", Data: []byte("# " + id + "\n")},
		{Name: "empty", Data: []byte{}},
		{Name: "snapshot.json", Data: big},
	}
}

func open(t *testing.T, h Harness) (planstore.Store, Opener) {
	t.Helper()
	o := h.Fresh(t)
	return o(t), o
}

func save(t *testing.T, s planstore.Store, id, state string) planstore.Record {
	t.Helper()
	r, err := s.Save(id, Files(id), Record(id, state))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func get(t *testing.T, s planstore.Store, id string) planstore.Record {
	t.Helper()
	r, err := s.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// contents is every record's data by plan id, and every file of each.
func contents(t *testing.T, s planstore.Store) map[string]string {
	t.Helper()
	rs, err := s.Records()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range rs {
		out[r.ID] = string(r.Data)
		for _, f := range Files(r.ID) {
			b, err := s.File(r.ID, f.Name)
			if err != nil {
				t.Fatalf("%s of %s: %v", f.Name, r.ID, err)
			}
			out[r.ID+"/"+f.Name] = fmt.Sprintf("%d bytes %x", len(b), sha(b))
		}
	}
	return out
}

func sha(b []byte) []byte {
	if len(b) > 16 {
		return b[len(b)-16:]
	}
	return b
}

func testSave(t *testing.T, h Harness) {
	s, _ := open(t, h)
	r := save(t, s, "plan-a", "pending")
	save(t, s, "plan-b", "executing")
	if r.ID != "plan-a" || !bytes.Equal(r.Data, Record("plan-a", "pending")) || r.Version == 0 {
		t.Errorf("saved record: %+v", r)
	}
	if got := get(t, s, "plan-a"); !cmp.Equal(got, r) {
		t.Errorf("Get: %+v, want %+v", got, r)
	}
	rs, err := s.Records()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range rs {
		ids = append(ids, r.ID)
	}
	sort.Strings(ids)
	if !slices.Equal(ids, []string{"plan-a", "plan-b"}) {
		t.Errorf("records %v", ids)
	}
	for _, f := range Files("plan-b") {
		b, err := s.File("plan-b", f.Name)
		if err != nil || !bytes.Equal(b, f.Data) {
			t.Errorf("%s: %d bytes, %v; want %d bytes as saved", f.Name, len(b), err, len(f.Data))
		}
	}
	if _, err := s.File("plan-b", "plan.html"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a file never saved: %v, want fs.ErrNotExist", err)
	}
	if _, err := s.File("plan-z", "plan.json"); !errors.Is(err, planstore.ErrNotFound) {
		t.Errorf("a plan never saved: %v, want ErrNotFound", err)
	}
	if _, err := s.Get("plan-z"); !errors.Is(err, planstore.ErrNotFound) {
		t.Errorf("Get of a plan never saved: %v, want ErrNotFound", err)
	}
	// Saving again replaces files and record.
	again, err := s.Save("plan-a", []planstore.File{{Name: "plan.json", Data: []byte("{}")}}, Record("plan-a", "executing"))
	if err != nil || again.Version <= r.Version {
		t.Fatalf("save again: %+v %v", again, err)
	}
	if b, _ := s.File("plan-a", "plan.json"); string(b) != "{}" {
		t.Errorf("plan.json after saving again: %q", b)
	}
	// A file of several chunks replaced by a shorter one.
	if _, err := s.Save("plan-b", []planstore.File{{Name: "snapshot.json", Data: []byte("small")}}, Record("plan-b", "executing")); err != nil {
		t.Fatal(err)
	}
	if b, err := s.File("plan-b", "snapshot.json"); string(b) != "small" {
		t.Errorf("snapshot.json after saving a shorter one: %d bytes, %v", len(b), err)
	}
}

func testUpdate(t *testing.T, h Harness) {
	s, _ := open(t, h)
	r := save(t, s, "plan-a", "pending")
	next, err := s.Update("plan-a", r.Version, Record("plan-a", "approved"))
	if err != nil || next.Version <= r.Version || !bytes.Equal(next.Data, Record("plan-a", "approved")) {
		t.Fatalf("update: %+v %v", next, err)
	}
	if _, err := s.Update("plan-a", r.Version, Record("plan-a", "superseded")); !errors.Is(err, planstore.ErrConflict) {
		t.Errorf("update at the old version: %v, want ErrConflict", err)
	}
	if got := get(t, s, "plan-a"); !cmp.Equal(got, next) {
		t.Errorf("after a refused update: %+v, want %+v", got, next)
	}
	if _, err := s.Update("plan-z", 1, Record("plan-z", "x")); !errors.Is(err, planstore.ErrNotFound) {
		t.Errorf("update of a plan never saved: %v, want ErrNotFound", err)
	}
}

func testRace(t *testing.T, h Harness) {
	first, o := open(t, h)
	ws := []planstore.Store{first}
	for len(ws) < 6 {
		if h.Shared {
			ws = append(ws, o(t))
		} else {
			ws = append(ws, first)
		}
	}
	for round := range 4 {
		id := fmt.Sprintf("plan-%d", round)
		r := save(t, first, id, "pending")
		var mu sync.Mutex
		var winners []int
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, s := range ws {
			wg.Go(func() {
				<-start
				_, err := s.Update(id, r.Version, Record(id, fmt.Sprint("approved by ", i)))
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					winners = append(winners, i)
				case !errors.Is(err, planstore.ErrConflict):
					t.Errorf("writer %d: %v", i, err)
				}
			})
		}
		close(start)
		wg.Wait()
		if len(winners) != 1 {
			t.Fatalf("%s: writers %v all approved it, want exactly one", id, winners)
		}
		if got := get(t, first, id); !bytes.Equal(got.Data, Record(id, fmt.Sprint("approved by ", winners[0]))) {
			t.Errorf("%s: %s, want the winner's record", id, got.Data)
		}
	}
}

func testRemove(t *testing.T, h Harness) {
	s, _ := open(t, h)
	save(t, s, "plan-a", "done")
	save(t, s, "plan-ab", "pending")
	if err := s.Remove("plan-a"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("plan-a"); !errors.Is(err, planstore.ErrNotFound) {
		t.Errorf("removed record: %v", err)
	}
	if _, err := s.File("plan-a", "plan.json"); !errors.Is(err, planstore.ErrNotFound) {
		t.Errorf("removed plan's file: %v", err)
	}
	if err := s.Remove("plan-a"); err != nil {
		t.Errorf("removing again: %v", err)
	}
	if got := contents(t, s); len(got) != 1+len(Files("")) || got["plan-ab"] == "" {
		t.Errorf("left: %v, want plan-ab whole", got)
	}
}

func testReopen(t *testing.T, h Harness) {
	o := h.Fresh(t)
	s := o(t)
	save(t, s, "plan-a", "pending")
	r := save(t, s, "plan-b", "pending")
	if _, err := s.Update("plan-b", r.Version, Record("plan-b", "approved")); err != nil {
		t.Fatal(err)
	}
	save(t, s, "plan-c", "done")
	if err := s.Remove("plan-c"); err != nil {
		t.Fatal(err)
	}
	before := contents(t, s)
	s = o(t)
	if diff := cmp.Diff(before, contents(t, s)); diff != "" {
		t.Errorf("after reopening (-before +after):\n%s", diff)
	}
	r = get(t, s, "plan-b")
	if _, err := s.Update("plan-b", r.Version, Record("plan-b", "executing")); err != nil {
		t.Errorf("update after reopening: %v", err)
	}
}

func testFenced(t *testing.T, h Harness) {
	if h.Fenced == nil || h.ErrFenced == nil {
		t.Skip("the store has no fence: one process holds it")
	}
	old, depose := h.Fenced(t)
	r := save(t, old, "plan-a", "pending")
	save(t, old, "plan-b", "done")
	before := contents(t, old)
	leader := depose()
	writes := []struct {
		name  string
		write func() error
	}{
		{"save", func() error { _, err := old.Save("plan-c", Files("plan-c"), Record("plan-c", "pending")); return err }},
		{"approve", func() error { _, err := old.Update("plan-a", r.Version, Record("plan-a", "approved")); return err }},
		{"remove", func() error { return old.Remove("plan-b") }},
	}
	for _, w := range writes {
		if err := w.write(); !errors.Is(err, h.ErrFenced) {
			t.Errorf("deposed writer's %s: %v, want it refused by the fence", w.name, err)
		}
	}
	if diff := cmp.Diff(before, contents(t, leader)); diff != "" {
		t.Errorf("the deposed writer changed the store (-before +after):\n%s", diff)
	}
	if _, err := leader.Update("plan-a", r.Version, Record("plan-a", "approved")); err != nil {
		t.Errorf("new leader's approval: %v", err)
	}
}
