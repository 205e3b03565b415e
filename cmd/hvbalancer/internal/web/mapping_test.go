package web

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
	"github.com/hvbalancer/hvbalancer/collector"
)

// The journal and the collector keep no list of their states, healths and
// causes, so these tests read the constants their source declares: a value
// added there and not mapped here fails, without a hand-kept list to
// forget.

const (
	journalPkg   = "github.com/hvbalancer/hvbalancer/balancer/executor/journal"
	collectorPkg = "github.com/hvbalancer/hvbalancer/collector"
	executorPkg  = "github.com/hvbalancer/hvbalancer/balancer/executor"
	webPkg       = "github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
)

// dirs returns the source directory of each package and, under "", the
// module's root.
func dirs(t *testing.T) map[string]string {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}={{.Dir}}={{.Module.Dir}}", journalPkg, collectorPkg, executorPkg, webPkg).Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	m := map[string]string{}
	for line := range strings.Lines(strings.TrimSpace(string(out))) {
		f := strings.Split(strings.TrimSpace(line), "=")
		if len(f) != 3 {
			t.Fatalf("go list printed %q", line)
		}
		m[f[0]], m[""] = f[1], f[2]
	}
	return m
}

// constsOf returns the values of the string constants of type typ that
// the non-test files in dir declare, by constant name; typ "" stands for
// untyped string constants.
func constsOf(t *testing.T, dir, typ string) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	fset := token.NewFileSet()
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if i >= len(vs.Values) {
						continue
					}
					if v, ok := stringOfType(vs.Type, vs.Values[i], typ); ok {
						out[name.Name] = v
					}
				}
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("no constant of type %s in %s", typ, dir)
	}
	return out
}

// stringOfType recognizes `Name T = "v"` and `Name = T("v")`, or
// `Name = "v"` when typ is "".
func stringOfType(declared ast.Expr, value ast.Expr, typ string) (string, bool) {
	if c, ok := value.(*ast.CallExpr); ok && declared == nil && len(c.Args) == 1 {
		declared, value = c.Fun, c.Args[0]
	}
	if typ == "" {
		if declared != nil {
			return "", false
		}
	} else if id, ok := declared.(*ast.Ident); !ok || id.Name != typ {
		return "", false
	}
	lit, ok := value.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	v, err := strconv.Unquote(lit.Value)
	return v, err == nil
}

// checkMapping fails unless from maps every source value, each to a
// distinct API value, and the API values are exactly the API constants.
func checkMapping[K, V ~string](t *testing.T, source map[string]string, from map[K]V, api map[string]string) {
	t.Helper()
	seen := map[V]K{}
	for name, v := range source {
		got, ok := from[K(v)]
		if !ok {
			t.Errorf("%s (%q) has no API value: map it, and document it in docs/api.md", name, v)
			continue
		}
		if other, dup := seen[got]; dup {
			t.Errorf("%q and %q both show as %q", other, v, got)
		}
		seen[got] = K(v)
	}
	values := map[V]bool{}
	for _, v := range api {
		values[V(v)] = true
	}
	for k, v := range from {
		if !values[v] && v != "" {
			t.Errorf("%q maps to %q, which is no API constant", k, v)
		}
	}
	for name, v := range api {
		if _, ok := seen[V(v)]; !ok {
			t.Errorf("API value %s (%q) is never produced", name, v)
		}
	}
}

func TestEveryJournalStateHasAnAPIValue(t *testing.T) {
	d := dirs(t)
	states := constsOf(t, d[journalPkg], "State")
	checkMapping(t, states, moveStates, constsOf(t, d[webPkg], "MoveState"))
	for name, v := range states {
		s := journal.State(v)
		if got := HistoryEntryOf(journal.Entry{State: s}).Final; got != s.Final() {
			t.Errorf("%s: final %v, the journal says %v", name, got, s.Final())
		}
	}
}

func TestEveryCollectorHealthAndCauseHasAnAPIValue(t *testing.T) {
	d := dirs(t)
	checkMapping(t, constsOf(t, d[collectorPkg], "Health"), hostHealths, constsOf(t, d[webPkg], "HostHealth"))
	causes := constsOf(t, d[collectorPkg], "Cause")
	causes["none"] = ""
	checkMapping(t, causes, hostCauses, constsOf(t, d[webPkg], "HostCause"))
}

// TestUnmappedValues shows what a value the API does not know becomes: the
// safe reading, never the storage's own word.
func TestUnmappedValues(t *testing.T) {
	if got := HistoryEntryOf(journal.Entry{State: "paused"}); got.State != MoveUnknown || got.Final {
		t.Errorf("unmapped journal state: %s final %v, want %s not final", got.State, got.Final, MoveUnknown)
	}
	if got := hostHealth(collector.Health("sleeping")); got != HostUnreachable {
		t.Errorf("unmapped health: %s, want %s", got, HostUnreachable)
	}
	if got := hostCause(collector.Cause("gremlins")); got != HostCauseError {
		t.Errorf("unmapped cause: %s, want %s", got, HostCauseError)
	}
}

// TestAPIValuesAreDocumented checks that docs/api.md names every value of
// the API's enums and every cause the executor journals, so a client can
// rely on the lists.
func TestAPIValuesAreDocumented(t *testing.T) {
	d := dirs(t)
	doc, err := os.ReadFile(filepath.Join(d[""], "docs", "api.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{"MoveState", "HostHealth", "HostCause", "PlanState"} {
		for name, v := range constsOf(t, d[webPkg], typ) {
			if !strings.Contains(string(doc), "`"+v+"`") {
				t.Errorf("docs/api.md does not name %s (`%s`)", name, v)
			}
		}
	}
	for name, v := range constsOf(t, d[executorPkg], "") {
		if strings.HasPrefix(name, "Cause") && !strings.Contains(string(doc), "| `"+v+"` |") {
			t.Errorf("docs/api.md does not name the executor's %s (`%s`) among the history's causes", name, v)
		}
	}
}
