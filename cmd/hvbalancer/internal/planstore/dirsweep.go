package planstore

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/durable"
)

// Sweep removes the plan directories that have no record (a Save cut
// short by a crash) and whose newest file, and the directory itself,
// were last written before before. Directories moved aside (TornSuffix)
// and those of plans this store is saving stay.
func (s *Dir) Sweep(before time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return 0, fmt.Errorf("sweep plan store: %w", err)
	}
	n := 0
	for _, e := range entries {
		id := e.Name()
		if !e.IsDir() || strings.HasSuffix(id, TornSuffix) || strings.HasPrefix(id, ".") || s.saving[id] > 0 {
			continue
		}
		if _, ok := s.rec[id]; ok {
			continue
		}
		dir := filepath.Join(s.dir, id)
		if _, err := os.Lstat(filepath.Join(dir, recordFile)); err == nil {
			continue // a record this store did not read: not its to judge
		}
		newest, err := newestWrite(dir)
		if err != nil {
			return n, fmt.Errorf("sweep plan store: %w", err)
		}
		if !newest.Before(before) {
			continue
		}
		if err := os.RemoveAll(dir); err != nil {
			return n, fmt.Errorf("sweep plan store: %w", err)
		}
		n++
	}
	if n > 0 {
		if err := durable.SyncDir(s.dir); err != nil {
			return n, fmt.Errorf("sweep plan store: %w", err)
		}
	}
	return n, nil
}

// newestWrite is when dir or anything in it was last written.
func newestWrite(dir string) (time.Time, error) {
	var newest time.Time
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if t := info.ModTime(); t.After(newest) {
			newest = t
		}
		return nil
	})
	return newest, err
}
