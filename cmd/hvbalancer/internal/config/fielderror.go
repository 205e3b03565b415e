package config

import "fmt"

// FieldError is one problem with one field of the configuration.
type FieldError struct {
	Path  string // e.g. clusters[0].hosts[2].address
	Value any    // the offending value, if any (never a secret)
	Err   error
}

// Error implements error.
func (e *FieldError) Error() string {
	if e.Value != nil {
		return fmt.Sprintf("%s: %v: %v", e.Path, e.Value, e.Err)
	}
	return e.Path + ": " + e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *FieldError) Unwrap() error { return e.Err }

// problems collects FieldErrors.
type problems []error

func (p *problems) add(path string, value any, format string, args ...any) {
	*p = append(*p, &FieldError{Path: path, Value: value, Err: fmt.Errorf(format, args...)})
}
