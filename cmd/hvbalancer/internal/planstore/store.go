package planstore

import (
	"errors"
	"time"
)

// Store keeps plans: their files and their records.
type Store interface {
	// Save writes a plan's files, then its record, replacing any of the
	// same plan id.
	Save(id string, files []File, record []byte) (Record, error)
	// Records returns every plan's record, in no particular order.
	Records() ([]Record, error)
	// Get returns one plan's record, or ErrNotFound.
	Get(id string) (Record, error)
	// Update replaces plan id's record if it is still at version, the
	// version its writer read, and returns the new record: ErrConflict
	// when another writer updated it first, ErrNotFound when it is gone.
	Update(id string, version int64, record []byte) (Record, error)
	// File returns one of a plan's files: ErrNotFound when the plan has
	// no record, an error wrapping fs.ErrNotExist when it has no such
	// file.
	File(id, name string) ([]byte, error)
	// Remove deletes a plan's record, then its files.
	Remove(id string) error
	// Sweep removes the files of plans that have no record, left by a
	// Save cut short (a crash, a fence), that were written before
	// before, and returns of how many plans. It never removes a file of a
	// plan this store is saving: a Save under way keeps its files
	// whatever before is.
	Sweep(before time.Time) (int, error)
}

// Record is a plan's record as stored.
type Record struct {
	ID      string // the plan id
	Data    []byte // the daemon's JSON
	Version int64  // what Update compares; greater after each write
}

// File is one of a plan's files.
type File struct {
	Name string // "plan.json", "plan.sig", ...
	Data []byte
}

// Errors of a Store.
var (
	ErrNotFound = errors.New("no such plan")
	ErrConflict = errors.New("plan record changed since it was read")
)
