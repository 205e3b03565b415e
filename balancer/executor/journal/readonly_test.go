package journal

import (
	"errors"
	"io/fs"
	"path/filepath"
	"testing"
	"time"
)

// TestOpenReadOnly proves that a reader is kept out while the journal is
// held open, reads it once it is released, cannot write to it, and is
// told when there is no journal at all.
func TestOpenReadOnly(t *testing.T) {
	j, path := open(t)
	if _, _, err := j.Intend(entry("plan-1/1", "vm-a")); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenReadOnly(path, 50*time.Millisecond); !errors.Is(err, ErrLocked) {
		t.Fatalf("held journal: err = %v, want ErrLocked", err)
	}
	j.Close()
	r, err := OpenReadOnly(path, 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if all, err := r.Entries(0, nil); err != nil || len(all) != 1 || all[0].MoveID != "plan-1/1" {
		t.Errorf("read %+v, %v; want the one intent", all, err)
	}
	if _, _, err := r.Intend(entry("plan-1/2", "vm-b")); err == nil {
		t.Error("a read-only journal took a write")
	}
	if _, err := OpenReadOnly(filepath.Join(t.TempDir(), "none.db"), 50*time.Millisecond); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("no journal: err = %v, want fs.ErrNotExist", err)
	}
}
