package daemon

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/durable"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/seal"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
	"github.com/hvbalancer/hvbalancer/collector"
)

// planRecord is what the daemon knows of one stored plan beyond the plan.
type planRecord struct {
	ID         string        `json:"id"`
	State      web.PlanState `json:"state"`
	Created    time.Time     `json:"created"`
	Expires    time.Time     `json:"expires"`
	Moves      int           `json:"moves"`
	Pending    []int         `json:"pending"` // indexes of the moves waiting for approval
	ApprovedBy string        `json:"approved_by,omitempty"`
	ApprovedAt time.Time     `json:"approved_at,omitzero"`
	// MoveIDs are the executor's ids of the moves submitted so far, in
	// the order they were submitted; the journal holds their outcomes.
	MoveIDs []string `json:"move_ids,omitempty"`
	// SupersededBy is the newer plan that replaced this one before it was
	// approved.
	SupersededBy string `json:"superseded_by,omitempty"`
	// Batches are the plan's moves submitted together, by the batch's name
	// ("approved", "auto"): what a restart submits again if the daemon
	// stopped before the executor journaled them.
	Batches map[string]*planBatch `json:"batches,omitempty"`
	// Outcomes counts the submitted moves that ended so far, by journal
	// state; Progress says where the others stand.
	Outcomes map[journal.State]int `json:"outcomes,omitempty"`
	Progress *planProgress         `json:"progress,omitempty"`
	Ended    time.Time             `json:"ended,omitzero"`
}

// planBatch is one batch of a plan's moves.
type planBatch struct {
	Moves []int `json:"moves"` // indexes into the plan's moves, in the order submitted
	// Submitted is set once the executor has journaled them; until then a
	// start submits them again.
	Submitted bool `json:"submitted,omitempty"`
}

// planProgress is where a plan's submitted moves that have not ended
// stand.
type planProgress struct {
	Running int `json:"running,omitempty"` // decided on: being validated, migrated or verified, or located after a stop
	Queued  int `json:"queued,omitempty"`  // waiting for their turn
	// Resumed counts the moves that were queued when the daemon stopped
	// and were queued again when it started.
	Resumed int `json:"resumed,omitempty"`
}

func (p *planProgress) resumed() int {
	if p == nil {
		return 0
	}
	return p.Resumed
}

// errPlanNotFound and errPlanConflict are what the API maps to 404 and 409.
var (
	errPlanNotFound = fmt.Errorf("no such plan: %w", web.ErrNotFound)
	errPlanConflict = fmt.Errorf("plan cannot be approved: %w", web.ErrConflict)
)

// planStore keeps plans in the state directory, one directory per plan with
// plan.json, plan.md, plan.html and record.json, so that a restart loses
// no pending approval.
type planStore struct {
	dir     string
	key     *seal.Key        // signs each plan as it is saved
	trusted []seal.PublicKey // whose signatures a stored plan may carry
	mu      sync.Mutex
	rec     map[string]*planRecord
}

// tornSuffix names a plan directory moved aside because its record could
// not be read: the store skips it, and an administrator may read it.
const tornSuffix = ".torn"

// openPlanStore reads the records of the plans in dir. A record that
// cannot be read (cut short or garbled by a crash, or naming another plan)
// does not stop the daemon: its plan's directory is moved aside, renamed
// with tornSuffix, with a warning naming it, and the other plans are
// served.
func openPlanStore(dir string, key *seal.Key, trusted []seal.PublicKey, log *slog.Logger) (*planStore, error) {
	s := &planStore{dir: dir, key: key, trusted: trusted, rec: map[string]*planRecord{}}
	if err := durable.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("open plan store: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("open plan store: %w", err)
	}
	for _, e := range entries {
		if !e.IsDir() || strings.HasSuffix(e.Name(), tornSuffix) || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name(), "record.json"))
		if err != nil {
			continue // a plan directory being written when the daemon stopped
		}
		var r planRecord
		err = json.Unmarshal(b, &r)
		if err == nil && r.ID != e.Name() {
			err = fmt.Errorf("it names plan %q", r.ID)
		}
		if err != nil {
			aside, merr := s.moveAside(e.Name())
			if merr != nil {
				return nil, fmt.Errorf("open plan store: plan %s has a bad record (%v) and cannot be moved aside: %w", e.Name(), err, merr)
			}
			log.Warn("plan record unreadable; its plan is moved aside and not served", "plan_id", e.Name(), "moved_to", aside, "err", err)
			continue
		}
		s.rec[r.ID] = &r
	}
	return s, nil
}

// moveAside renames the plan directory name to name+tornSuffix (or, when
// that is taken, with a number before the suffix) and returns the new
// path.
func (s *planStore) moveAside(name string) (string, error) {
	for n := 0; ; n++ {
		to := filepath.Join(s.dir, name+tornSuffix)
		if n > 0 {
			to = filepath.Join(s.dir, fmt.Sprintf("%s.%d%s", name, n, tornSuffix))
		}
		if _, err := os.Lstat(to); err == nil {
			continue
		}
		if err := os.Rename(filepath.Join(s.dir, name), to); err != nil {
			return "", err
		}
		return to, durable.SyncDir(s.dir)
	}
}

// save writes a new plan, the snapshot it came from, and its record.
func (s *planStore) save(p *balancer.Plan, snap *collector.Snapshot, r planRecord) error {
	if err := WritePlan(filepath.Join(s.dir, p.ID), p, snap, s.key); err != nil {
		return fmt.Errorf("save plan %s: %w", p.ID, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.putLocked(&r)
}

func (s *planStore) putLocked(r *planRecord) error {
	err := durable.WriteFile(filepath.Join(s.dir, r.ID, "record.json"), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	})
	if err != nil {
		return fmt.Errorf("save plan record %s: %w", r.ID, err)
	}
	s.rec[r.ID] = r
	return nil
}

// plan reads a stored plan back, verifying its digest.
func (s *planStore) plan(id string) (*balancer.Plan, error) {
	s.mu.Lock()
	_, ok := s.rec[id]
	s.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("%w: %s", errPlanNotFound, id)
	}
	f, err := os.Open(filepath.Join(s.dir, id, "plan.json"))
	if err != nil {
		return nil, fmt.Errorf("read plan %s: %w", id, err)
	}
	defer f.Close()
	return balancer.ReadPlan(f)
}

// signedPlan reads a stored plan back and checks its signature: the
// plan a human approves is the one this daemon made and signed.
func (s *planStore) signedPlan(id string) (*balancer.Plan, error) {
	p, err := s.plan(id)
	if err != nil {
		return nil, err
	}
	if err := verifyPlan(p, filepath.Join(s.dir, id, "plan.sig"), s.trusted); err != nil {
		return nil, fmt.Errorf("%w: %w", balancer.ErrTamperedPlan, err)
	}
	return p, nil
}

// update changes a record under the store's lock and saves it.
func (s *planStore) update(id string, change func(*planRecord) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.rec[id]
	if !ok {
		return fmt.Errorf("%w: %s", errPlanNotFound, id)
	}
	c := *r
	if err := change(&c); err != nil {
		return err
	}
	return s.putLocked(&c)
}

// records lists the records, newest first.
func (s *planStore) records() []planRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]planRecord, 0, len(s.rec))
	for _, r := range s.rec {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.After(out[j].Created)
		}
		return out[i].ID > out[j].ID
	})
	return out
}

// count is how many plans are in state st.
func (s *planStore) count(st web.PlanState) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.rec {
		if r.State == st {
			n++
		}
	}
	return n
}

// expire marks pending plans past their expiry.
func (s *planStore) expire(now time.Time) {
	for _, r := range s.records() {
		if r.State == web.PlanPending && !now.Before(r.Expires) {
			_ = s.update(r.ID, func(r *planRecord) error { r.State = web.PlanExpired; return nil })
		}
	}
}
