package config

import (
	"errors"
	"os"
)

// readable reports why the file at path cannot be read, if it cannot: it
// is opened and closed, nothing is read.
func readable(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return unwrapPathError(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return unwrapPathError(err)
	}
	if st.IsDir() {
		return errors.New("a directory, not a file")
	}
	return nil
}

// unwrapPathError drops the operation and path from a *PathError: the
// field's value already names the path.
func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
