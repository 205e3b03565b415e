package planstoretest

import (
	"errors"
	"io/fs"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/planstore"
)

// testSweep: the files of a Save cut short are never listed; Sweep keeps
// them while younger than its cutoff and then removes them, and only
// them: a plan saved whole keeps every file, and saving the cut plan
// again with fewer files leaves none of the old ones to read.
func testSweep(t *testing.T, h Harness) {
	if h.CutShort == nil {
		t.Skip("the harness cannot cut a Save short")
	}
	s, cut := h.CutShort(t)
	save(t, s, "plan-a", "done")
	whole := contents(t, s)
	cut("plan-b", Files("plan-b"))
	rs, err := s.Records()
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].ID != "plan-a" {
		t.Errorf("records %v, want plan-a's alone", rs)
	}
	if _, err := s.File("plan-b", "plan.json"); !errors.Is(err, planstore.ErrNotFound) {
		t.Errorf("a file of the plan cut short: %v, want ErrNotFound", err)
	}
	if n, err := s.Sweep(time.Now().Add(-time.Hour)); n != 0 || err != nil {
		t.Errorf("a sweep of what is older than an hour: %d removed, %v; want none (the files are new)", n, err)
	}
	swept := 0
	for range 2 { // a store may mark what it finds first and remove it at its next sweep
		n, err := s.Sweep(time.Now().Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		swept += n
	}
	if swept != 1 {
		t.Errorf("sweeps of what is older than an hour from now removed %d plans' files, want 1 (plan-b's)", swept)
	}
	if diff := cmp.Diff(whole, contents(t, s)); diff != "" {
		t.Errorf("the plan saved whole changed (-before +after):\n%s", diff)
	}
	if _, err := s.Save("plan-b", Files("plan-b")[:1], Record("plan-b", "pending")); err != nil {
		t.Fatal(err)
	}
	for _, f := range Files("plan-b")[1:] {
		if b, err := s.File("plan-b", f.Name); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s of the plan cut short, after saving it again without it: %d bytes, %v; want fs.ErrNotExist", f.Name, len(b), err)
		}
	}
	if n, err := s.Sweep(time.Now().Add(time.Hour)); n != 0 || err != nil {
		t.Errorf("a sweep with every plan recorded: %d removed, %v", n, err)
	}
	var ids []string
	for _, r := range must(s.Records())(t) {
		ids = append(ids, r.ID)
	}
	sort.Strings(ids)
	if !slices.Equal(ids, []string{"plan-a", "plan-b"}) {
		t.Errorf("records %v, want plan-a and plan-b", ids)
	}
}

// testSweepSaving: sweeps that would take every plan without a record,
// however new, run while plans are saved, and take nothing of theirs.
func testSweepSaving(t *testing.T, h Harness) {
	s, _ := open(t, h)
	for _, id := range []string{"plan-a", "plan-b", "plan-c"} {
		done := make(chan error, 1)
		go func() { _, err := s.Save(id, Files(id), Record(id, "pending")); done <- err }()
		sweeps := 0
		for saved := false; !saved; sweeps++ {
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
				saved = true
			default:
			}
			if n, err := s.Sweep(time.Now().Add(24 * time.Hour)); n != 0 || err != nil {
				t.Errorf("%s: a sweep while it was saved removed %d plans' files, %v", id, n, err)
			}
		}
		for _, f := range Files(id) {
			if b, err := s.File(id, f.Name); err != nil || !slices.Equal(b, f.Data) {
				t.Errorf("%s: %s after %d sweeps during its Save: %d bytes, %v; want it as saved", id, f.Name, sweeps, len(b), err)
			}
		}
	}
}

func must[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}
