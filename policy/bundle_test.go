package policy

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/bundle"
	"github.com/open-policy-agent/opa/v1/loader"
)

// buildBundle writes the policy directory dir, tests included, as an OPA
// bundle (.tar.gz) with the bundle package's writer, as `opa build` would.
func buildBundle(t testing.TB, dir string) string {
	t.Helper()
	loaded, err := loader.NewFileLoader().
		WithRegoVersion(ast.RegoV1).
		Filtered([]string{dir}, nil)
	if err != nil {
		t.Fatalf("load %s: %v", dir, err)
	}
	b := bundle.Bundle{Data: loaded.Documents, Manifest: bundle.Manifest{Revision: "test"}}
	for _, name := range sortedKeys(loaded.Modules) {
		m := loaded.Modules[name]
		rel, err := filepath.Rel(dir, name)
		if err != nil {
			t.Fatal(err)
		}
		rel = "/" + filepath.ToSlash(rel)
		b.Modules = append(b.Modules, bundle.ModuleFile{URL: rel, Path: rel, Raw: m.Raw, Parsed: m.Parsed})
	}
	path := filepath.Join(t.TempDir(), "policy.tar.gz")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := bundle.NewWriter(f).Write(b); err != nil {
		t.Fatalf("write bundle: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}
