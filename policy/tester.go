package policy

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/tester"
)

// testTimeout bounds one policy test, as `opa test` does by default.
const testTimeout = 5 * time.Second

// RunTests runs the Rego unit tests (test_* rules) of the policy directory
// dir with OPA's tester and writes the results to out as `opa test` does:
// failures (every test when verbose) and a summary such as "PASS: 12/12" or
// "FAIL: 1/12". Every .rego, .json and .yaml file in dir counts, as for
// `opa test`; policies are compiled as Load compiles them (Rego v1,
// type-checked against the input schema, the same built-ins), so the
// results are those of `opa test -s <input schema> DIR`, except that a
// misspelled field inside a host or VM is a compile error here too. Results
// are reported in file order. failed counts failing and erroring tests; err
// is for a directory that cannot be loaded or compiled.
func RunTests(ctx context.Context, dir string, out io.Writer, verbose bool) (passed, failed int, err error) {
	caps := capabilities()
	schemas, err := schemaSet()
	if err != nil {
		return 0, 0, err
	}
	shapes, err := inputShape()
	if err != nil {
		return 0, 0, err
	}
	hidden := func(_ string, info fs.FileInfo, depth int) bool {
		return depth > 0 && strings.HasPrefix(info.Name(), ".")
	}
	modules, store, err := tester.LoadWithParserOptions([]string{dir}, hidden, parserOptions(caps))
	if err != nil {
		return 0, 0, fmt.Errorf("test policy %s: %w", dir, err)
	}
	txn, err := store.NewTransaction(ctx, storage.WriteParams)
	if err != nil {
		return 0, 0, fmt.Errorf("test policy %s: %w", dir, err)
	}
	defer store.Abort(ctx, txn)

	compiler := newCompiler(caps, schemas).
		WithEnablePrintStatements(true).
		WithPathConflictsCheck(storage.NonEmpty(ctx, store, txn))
	runner := tester.NewRunner().
		SetCompiler(compiler).
		SetStore(store).
		SetModules(modules).
		CapturePrintOutput(true).
		EnableTracing(verbose).
		StackTraces(true).
		SetTimeout(testTimeout)
	ch, err := runner.RunTests(ctx, txn)
	if err != nil {
		if ps := problemsOf(err); len(ps) > 0 && ps[0].Code != "" {
			return 0, 0, &CompileError{Problems: ps}
		}
		return 0, 0, fmt.Errorf("test policy %s: %w", dir, err)
	}
	// The runner has compiled the modules: hold them to the same input
	// checks as Load does before counting any result.
	if problems := lintInputRefs(compiler, shapes); len(problems) > 0 {
		for range ch {
		}
		return 0, 0, &CompileError{Problems: problems}
	}

	// OPA runs the tests concurrently; report them in file order so the
	// output is the same every run.
	var results []*tester.Result
	for r := range ch {
		p, f := count(r)
		passed += p
		failed += f
		results = append(results, r)
	}
	slices.SortStableFunc(results, func(a, b *tester.Result) int {
		return a.Location.Compare(b.Location)
	})
	sorted := make(chan *tester.Result, len(results))
	for _, r := range results {
		sorted <- r
	}
	close(sorted)
	rep := tester.PrettyReporter{Output: out, Verbose: verbose}
	if err := rep.Report(sorted); err != nil {
		return passed, failed, fmt.Errorf("test policy %s: report: %w", dir, err)
	}
	return passed, failed, nil
}

// count counts a result as the reporter does: each leaf of a test with
// sub-results, otherwise the test; an error is a failure, a skipped
// test neither.
func count(r *tester.Result) (passed, failed int) {
	switch {
	case r.Skip:
		return 0, 0
	case r.Error != nil:
		return 0, 1
	case len(r.SubResults) > 0:
		for _, sr := range r.SubResults.Iter {
			if len(sr.SubResults) > 0 {
				continue
			}
			if sr.Fail {
				failed++
			} else {
				passed++
			}
		}
		return passed, failed
	case r.Pass():
		return 1, 0
	case r.Fail:
		return 0, 1
	}
	return 0, 0
}
