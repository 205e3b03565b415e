package planstore

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/durable"
)

// TornSuffix names a plan directory moved aside because its record could
// not be read: the store skips it, and an administrator may read it.
const TornSuffix = ".torn"

// recordFile is the name of a plan's record in its directory.
const recordFile = "record.json"

// Dir keeps plans in a directory, one directory per plan holding its
// files and record.json, each written atomically and synced. It is the
// store of a single daemon: records are read once, when it opens, and
// versions count the updates since. It is safe for concurrent use.
type Dir struct {
	dir    string
	mu     sync.Mutex
	rec    map[string]Record
	saving saves // plans whose Save is under way
}

var _ Store = (*Dir)(nil)

// Check returns the plan id a record names, or an error when the daemon
// cannot read the record.
type Check func(record []byte) (id string, err error)

// OpenDir reads the records of the plans in dir. A record that check
// refuses, or that names another plan (cut short or garbled by a crash),
// does not stop the daemon: its plan's directory is moved aside, renamed
// with TornSuffix, with a warning naming it, and the other plans are
// served. A plan directory without a record is skipped.
func OpenDir(dir string, check Check, log *slog.Logger) (*Dir, error) {
	s := &Dir{dir: dir, rec: map[string]Record{}, saving: saves{}}
	if err := durable.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("open plan store: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("open plan store: %w", err)
	}
	for _, e := range entries {
		if !e.IsDir() || strings.HasSuffix(e.Name(), TornSuffix) || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name(), recordFile))
		if err != nil {
			continue // a plan directory being written when the daemon stopped
		}
		id, err := check(b)
		if err == nil && id != e.Name() {
			err = fmt.Errorf("it names plan %q", id)
		}
		if err != nil {
			aside, merr := s.moveAside(e.Name())
			if merr != nil {
				return nil, fmt.Errorf("open plan store: plan %s has a bad record (%v) and cannot be moved aside: %w", e.Name(), err, merr)
			}
			log.Warn("plan record unreadable; its plan is moved aside and not served", "plan_id", e.Name(), "moved_to", aside, "err", err)
			continue
		}
		s.rec[id] = Record{ID: id, Data: b, Version: 1}
	}
	return s, nil
}

// moveAside renames the plan directory name to name+TornSuffix (or, when
// that is taken, with a number before the suffix) and returns the new
// path.
func (s *Dir) moveAside(name string) (string, error) {
	for n := 0; ; n++ {
		to := filepath.Join(s.dir, name+TornSuffix)
		if n > 0 {
			to = filepath.Join(s.dir, fmt.Sprintf("%s.%d%s", name, n, TornSuffix))
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

// Save writes the plan's files, then record.json, each atomically and
// synced.
func (s *Dir) Save(id string, files []File, record []byte) (Record, error) {
	defer s.saving.begin(&s.mu, id)() // Sweep leaves its files
	dir := filepath.Join(s.dir, id)
	if err := durable.MkdirAll(dir, 0o755); err != nil {
		return Record{}, fmt.Errorf("save plan %s: %w", id, err)
	}
	for _, f := range files {
		if err := writeFile(filepath.Join(dir, f.Name), f.Data); err != nil {
			return Record{}, fmt.Errorf("save plan %s: %w", id, err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.putLocked(id, s.rec[id].Version, record)
}

func writeFile(path string, data []byte) error {
	return durable.WriteFile(path, func(w io.Writer) error { _, err := w.Write(data); return err })
}

func (s *Dir) putLocked(id string, version int64, record []byte) (Record, error) {
	if err := writeFile(filepath.Join(s.dir, id, recordFile), record); err != nil {
		return Record{}, fmt.Errorf("save plan record %s: %w", id, err)
	}
	r := Record{ID: id, Data: bytes.Clone(record), Version: version + 1}
	s.rec[id] = r
	return r, nil
}

// Records returns the records read when the store opened and written
// since.
func (s *Dir) Records() ([]Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Record, 0, len(s.rec))
	for _, r := range s.rec {
		out = append(out, r)
	}
	return out, nil
}

// Get returns one plan's record.
func (s *Dir) Get(id string) (Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.rec[id]
	if !ok {
		return Record{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	return r, nil
}

// Update writes plan id's record if it is still at version.
func (s *Dir) Update(id string, version int64, record []byte) (Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.rec[id]
	switch {
	case !ok:
		return Record{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	case r.Version != version:
		return Record{}, fmt.Errorf("update plan record %s: %w", id, ErrConflict)
	}
	return s.putLocked(id, version, record)
}

// File reads one of a plan's files.
func (s *Dir) File(id, name string) ([]byte, error) {
	if _, err := s.Get(id); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(s.dir, id, name))
	if err != nil {
		return nil, fmt.Errorf("read plan %s: %w", id, err)
	}
	return b, nil
}

// Remove deletes a plan's record, then its directory: a crash between the
// two leaves a directory without a record, which OpenDir skips.
func (s *Dir) Remove(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	dir := filepath.Join(s.dir, id)
	if err := os.Remove(filepath.Join(dir, recordFile)); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("remove plan %s: %w", id, err)
	}
	delete(s.rec, id)
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove plan %s: %w", id, err)
	}
	return durable.SyncDir(s.dir)
}
