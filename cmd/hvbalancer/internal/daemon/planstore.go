package daemon

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/planstore"
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

// planStore keeps the daemon's plans in a planstore.Store: by default
// the state directory, one directory per plan with plan.json, plan.md,
// plan.html, plan.sig, snapshot.json and record.json, so that a restart
// loses no pending approval; or etcd, shared by daemons that take over
// from each other.
type planStore struct {
	st planstore.Store
	// lead is st as its writer reads it, for the reads a leader makes in
	// order to write: in etcd they end with the term as the writes do
	// (planstore.Etcd.Writer); a directory's are st's.
	lead    planstore.Store
	key     *seal.Key        // signs each plan as it is saved
	trusted []seal.PublicKey // whose signatures a stored plan may carry
	log     *slog.Logger
	// mu makes this daemon's writes one at a time, as before the store
	// was shared; writers in other daemons are told apart by the
	// record's version (update reads again and retries).
	mu sync.Mutex
	// decoded are the records read so far, by plan id, at their
	// version: records decodes only what changed.
	decodedMu sync.Mutex
	decoded   map[string]decodedRecord
}

// decodedRecord is a record as decoded at a version.
type decodedRecord struct {
	version int64
	r       planRecord
}

// updateTries is how many times update reads a record again after
// another daemon changed it first.
const updateTries = 8

// openPlanStore reads the records of the plans in dir. A record that
// cannot be read (cut short or garbled by a crash, or naming another plan)
// does not stop the daemon: its plan's directory is moved aside, renamed
// with planstore.TornSuffix, with a warning naming it, and the other plans are
// served (see planstore.OpenDir).
func openPlanStore(dir string, key *seal.Key, trusted []seal.PublicKey, log *slog.Logger) (*planStore, error) {
	st, err := planstore.OpenDir(dir, checkRecord, log)
	if err != nil {
		return nil, err
	}
	return newPlanStore(st, key, trusted, log), nil
}

// newPlanStore keeps plans in st.
func newPlanStore(st planstore.Store, key *seal.Key, trusted []seal.PublicKey, log *slog.Logger) *planStore {
	return &planStore{st: st, lead: st, key: key, trusted: trusted, log: log, decoded: map[string]decodedRecord{}}
}

// checkRecord returns the plan id a stored record names, or why the
// daemon cannot read it.
func checkRecord(b []byte) (string, error) {
	var r planRecord
	err := json.Unmarshal(b, &r)
	return r.ID, err
}

func encodeRecord(r *planRecord) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	err := enc.Encode(r)
	return b.Bytes(), err
}

// planFiles are the plan in its three forms (plan.json, plan.md,
// plan.html), its signature by key (plan.sig) and the snapshot it came
// from (snapshot.json), as WritePlan writes them.
func planFiles(p *balancer.Plan, snap *collector.Snapshot, key *seal.Key) ([]planstore.File, error) {
	forms := []struct {
		name  string
		write func(io.Writer) error
	}{
		{"plan.json", p.WriteJSON},
		{"plan.sig", func(w io.Writer) error { _, err := w.Write(key.Sign(p.ID, p.Digest())); return err }},
		{"plan.md", p.WriteMarkdown},
		{"plan.html", p.WriteHTML},
		{"snapshot.json", snap.Write},
	}
	out := make([]planstore.File, 0, len(forms))
	for _, f := range forms {
		var b bytes.Buffer
		if err := f.write(&b); err != nil {
			return nil, fmt.Errorf("write plan: %w", err)
		}
		out = append(out, planstore.File{Name: f.name, Data: b.Bytes()})
	}
	return out, nil
}

// save writes a new plan, the snapshot it came from, and its record.
func (s *planStore) save(p *balancer.Plan, snap *collector.Snapshot, r planRecord) error {
	files, err := planFiles(p, snap, s.key)
	if err != nil {
		return fmt.Errorf("save plan %s: %w", p.ID, err)
	}
	rec, err := encodeRecord(&r)
	if err != nil {
		return fmt.Errorf("save plan record %s: %w", r.ID, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err = s.st.Save(p.ID, files, rec)
	return err
}

// plan reads a stored plan back, verifying its digest.
func (s *planStore) plan(id string) (*balancer.Plan, error) { return s.planIn(s.st, id) }

// leadPlan is plan as the leader reads it to act on it (submit its
// moves): the read ends with the term.
func (s *planStore) leadPlan(id string) (*balancer.Plan, error) { return s.planIn(s.lead, id) }

// planIn reads a stored plan back from st, verifying its digest.
func (s *planStore) planIn(st planstore.Store, id string) (*balancer.Plan, error) {
	b, err := st.File(id, "plan.json")
	if errors.Is(err, planstore.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s", errPlanNotFound, id)
	}
	if err != nil {
		return nil, err
	}
	return balancer.ReadPlan(bytes.NewReader(b))
}

// signedPlan reads a stored plan back and checks its signature: the
// plan a human approves is the one this daemon made and signed. It is
// read to be approved: the reads end with the term.
func (s *planStore) signedPlan(id string) (*balancer.Plan, error) {
	p, err := s.leadPlan(id)
	if err != nil {
		return nil, err
	}
	sig, err := s.lead.File(id, "plan.sig")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read the plan's signature: %w", err)
	}
	if err := verifySignature(p, sig, "plan.sig of "+id, s.trusted); err != nil {
		return nil, fmt.Errorf("%w: %w", balancer.ErrTamperedPlan, err)
	}
	return p, nil
}

// update changes a record and saves it, at the version it read: when
// another daemon changed the record first, it reads it again and changes
// that. The read ends with the term, as the write does; a read that fails
// wrote nothing, and its error wraps errNotRecorded.
func (s *planStore) update(id string, change func(*planRecord) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for try := 1; ; try++ {
		stored, err := s.lead.Get(id)
		if errors.Is(err, planstore.ErrNotFound) {
			return fmt.Errorf("%w: %s", errPlanNotFound, id)
		}
		if err != nil {
			return fmt.Errorf("change to plan %s %w: %w", id, errNotRecorded, err)
		}
		var r planRecord
		if err := json.Unmarshal(stored.Data, &r); err != nil {
			return fmt.Errorf("read plan record %s: %w", id, err)
		}
		if err := change(&r); err != nil {
			return err
		}
		b, err := encodeRecord(&r)
		if err != nil {
			return fmt.Errorf("save plan record %s: %w", id, err)
		}
		_, err = s.st.Update(id, stored.Version, b)
		switch {
		case errors.Is(err, planstore.ErrConflict) && try < updateTries:
			continue
		case errors.Is(err, planstore.ErrNotFound):
			return fmt.Errorf("%w: %s", errPlanNotFound, id)
		}
		return err
	}
}

// records lists the records, newest first. A store that cannot be read
// (etcd out of reach) lists none, with an error logged; a record that
// cannot be read is left out, with a warning.
func (s *planStore) records() []planRecord { return s.recordsIn(s.st) }

// leadRecords is records as the leader lists them to act on them (expire,
// supersede, settle, prune): the read ends with the term.
func (s *planStore) leadRecords() []planRecord { return s.recordsIn(s.lead) }

// recordsIn lists the records of st, newest first.
func (s *planStore) recordsIn(st planstore.Store) []planRecord {
	stored, err := st.Records()
	if err != nil {
		s.log.Error("list plans", "err", err)
		return nil
	}
	out := make([]planRecord, 0, len(stored))
	s.decodedMu.Lock()
	seen := make(map[string]bool, len(stored))
	for _, st := range stored {
		seen[st.ID] = true
		if d, ok := s.decoded[st.ID]; ok && d.version == st.Version {
			out = append(out, d.r)
			continue
		}
		var r planRecord
		if err := json.Unmarshal(st.Data, &r); err != nil {
			s.log.Warn("plan record unreadable; not served", "plan_id", st.ID, "err", err)
			continue
		}
		s.decoded[st.ID] = decodedRecord{version: st.Version, r: r}
		out = append(out, r)
	}
	for id := range s.decoded {
		if !seen[id] {
			delete(s.decoded, id)
		}
	}
	s.decodedMu.Unlock()
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
	n := 0
	for _, r := range s.records() {
		if r.State == st {
			n++
		}
	}
	return n
}

// expire marks pending plans past their expiry.
func (s *planStore) expire(now time.Time) {
	for _, r := range s.leadRecords() {
		if r.State == web.PlanPending && !now.Before(r.Expires) {
			_ = s.update(r.ID, func(r *planRecord) error {
				if r.State == web.PlanPending { // not approved meanwhile by another daemon
					r.State = web.PlanExpired
				}
				return nil
			})
		}
	}
}
