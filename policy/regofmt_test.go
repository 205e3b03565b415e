package policy

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/format"
)

// TestShippedRulesAreFormatted keeps every .rego file of the shipped policy
// as `opa fmt` writes it (Rego v1), so that `opa fmt --list` on the
// examples prints nothing. With -update it formats them in place.
func TestShippedRulesAreFormatted(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(examplesDir, "*.rego"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no .rego files in %s: %v", examplesDir, err)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			got, err := format.SourceWithOpts(path, src, format.Opts{RegoVersion: ast.RegoV1})
			if err != nil {
				t.Fatalf("format: %v", err)
			}
			if bytes.Equal(got, src) {
				return
			}
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			t.Errorf("%s is not formatted as opa fmt writes it; run go test ./policy -run TestShippedRulesAreFormatted -update", path)
		})
	}
}
