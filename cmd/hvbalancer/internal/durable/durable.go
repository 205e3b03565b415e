package durable

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
)

// WriteFile writes a file through a synced temporary file and a
// rename, then syncs the directory.
func WriteFile(path string, write func(io.Writer) error) error {
	return writeThrough(path, write, os.Rename)
}

// CreateNew writes a file that must not exist yet, as WriteFile does but
// naming it with a hard link instead of a rename: no reader sees half the
// file, and of two writers one gets an error wrapping fs.ErrExist instead
// of replacing the other's file.
func CreateNew(path string, write func(io.Writer) error) error {
	return writeThrough(path, write, os.Link)
}

// writeThrough writes a synced temporary file beside path, gives it its
// name with place, and syncs the directory, so that a power cut leaves the
// old file or the whole new one, never an empty or torn one.
func writeThrough(path string, write func(io.Writer) error, place func(tmp, path string) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := place(tmp.Name(), path); err != nil {
		return err
	}
	return SyncDir(filepath.Dir(path))
}

// MkdirAll makes dir (and its parents) and syncs the directory that
// holds it, so that the new directory's name is on disk too.
func MkdirAll(dir string, perm os.FileMode) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if err := os.MkdirAll(dir, perm); err != nil {
		return err
	}
	return SyncDir(filepath.Dir(dir))
}

// SyncDir syncs a directory: the names created, renamed or removed in it.
// Windows cannot open a directory to sync it; NTFS journals its renames
// itself.
func SyncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
