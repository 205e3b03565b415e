package fleetfile

import (
	"fmt"
	"math"
	"strconv"
)

// FieldError is one problem found in a fleet file, at a path such as
// "hosts[2].memory_gib".
type FieldError struct {
	Path string
	Err  error
}

// Error returns "path: problem".
func (e *FieldError) Error() string { return e.Path + ": " + e.Err.Error() }

// Unwrap returns the problem.
func (e *FieldError) Unwrap() error { return e.Err }

// checker collects the problems of one validation pass.
type checker struct{ errs []error }

func (c *checker) add(path, format string, args ...any) {
	c.errs = append(c.errs, &FieldError{Path: path, Err: fmt.Errorf(format, args...)})
}

// positive, nonNegative and fraction reject NaN and infinities too.
func positive(x float64) bool    { return x > 0 && !math.IsInf(x, 1) }
func nonNegative(x float64) bool { return x >= 0 && !math.IsInf(x, 1) }
func fraction(x float64) bool    { return x >= 0 && x <= 1 }

// formatGiB writes x GiB with at most two decimals.
func formatGiB(x float64) string {
	return strconv.FormatFloat(math.Round(x*100)/100, 'f', -1, 64)
}
