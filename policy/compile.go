package policy

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/util"
)

// Problem is one thing wrong with a policy, and where.
type Problem struct {
	File    string // the file as it was named: "examples/policies/deny.rego"
	Line    int    // 1-based; 0 when unknown
	Code    string // OPA's error code (rego_parse_error, rego_type_error, ...) or data_error
	Message string
}

// String formats the problem as "file:line: code: message".
func (p Problem) String() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		if p.Line > 0 {
			b.WriteString(":" + strconv.Itoa(p.Line))
		}
		b.WriteString(": ")
	}
	b.WriteString(p.Code + ": " + p.Message)
	return b.String()
}

// CompileError is a policy that does not load or compile, with every
// problem found, each with its file and line.
type CompileError struct {
	Problems []Problem
}

// Error lists the problems one a line, each as
// "policy: file:line: code: message".
func (e *CompileError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = "policy: " + p.String()
	}
	return strings.Join(lines, "\n")
}

// unavailableBuiltins are the built-in functions policies may not call: they
// reach the network or make a decision depend on something other than the
// input and the policy's data (plans must be reproducible).
func unavailableBuiltins() map[string]bool {
	return map[string]bool{
		"http.send":          true,
		"net.lookup_ip_addr": true,
		"opa.runtime":        true,
		"rand.intn":          true,
		"time.now_ns":        true,
		"uuid.rfc4122":       true,
	}
}

// capabilities are OPA's built-ins less the unavailable ones, with no
// network access for schema references either.
func capabilities() *ast.Capabilities {
	caps := ast.CapabilitiesForThisVersion()
	bad := unavailableBuiltins()
	caps.Builtins = slices.DeleteFunc(caps.Builtins, func(b *ast.Builtin) bool { return bad[b.Name] })
	caps.AllowNet = []string{}
	return caps
}

// newCompiler returns a compiler set up as every hvbalancer policy is
// compiled: Rego v1, the restricted built-ins, type-checked against the
// input schema, with no limit on the errors reported.
func newCompiler(caps *ast.Capabilities, schemas *ast.SchemaSet) *ast.Compiler {
	return ast.NewCompiler().
		SetErrorLimit(0).
		WithDefaultRegoVersion(ast.RegoV1).
		WithCapabilities(caps).
		WithSchemas(schemas).
		WithUseTypeCheckAnnotations(true)
}

func parserOptions(caps *ast.Capabilities) ast.ParserOptions {
	return ast.ParserOptions{RegoVersion: ast.RegoV1, Capabilities: caps, ProcessAnnotation: true}
}

// The queries prepared for every compiled policy. Each rule is collected into
// an array of zero or one values, so that a rule the policy leaves undefined
// does not make the whole query undefined.
const (
	judgeQuery = `deny := [x | x := data.hvbalancer.deny]; ` +
		`penalty := [x | x := data.hvbalancer.penalty]`
	// costsQuery names the parts of a penalty (see Session.Costs).
	costsQuery = `costs := [x | x := data.hvbalancer.costs]`
)

// The decision rules, each with a query of its own: when a decision query
// fails at run time, its rules are evaluated one by one to name the one
// that failed (see RuleError).
var (
	sessionRules = []string{"config", "requests", "frozen", "held"}
	judgeRules   = []string{"deny", "penalty"}
	// sessionParts are the session rules in the two queries a session's
	// start evaluates side by side, one a core: requests are most of the
	// work, and the other part holds the rest. The shipped requests read
	// frozen VM by VM (a running VM that is not frozen): frozen evaluated
	// whole on the other core, as requests start, puts its value in the
	// session's shared values, where requests then find it, and costs no
	// time on the longer part; evaluated in the same query as requests, it
	// added its own time to theirs.
	sessionParts = [2][]string{{"config", "held", "frozen"}, {"requests"}}
)

// partQuery collects several rules in one query, each as ruleQuery does.
func partQuery(rules []string) string {
	qs := make([]string, len(rules))
	for i, rule := range rules {
		qs[i] = ruleQuery(rule)
	}
	return strings.Join(qs, "; ")
}

func ruleQuery(rule string) string { return rule + ` := [x | x := data.hvbalancer.` + rule + `]` }

// compiled is one version of a policy, compiled and ready to evaluate.
type compiled struct {
	digest  string
	modules int
	session [2]rego.PreparedEvalQuery // sessionParts' queries
	judge   rego.PreparedEvalQuery
	costs   rego.PreparedEvalQuery
	consts  *constTrie // which rules are the same for every candidate
	// rules are the decision rules' own queries, by rule name.
	rules map[string]rego.PreparedEvalQuery
}

// compile parses, type-checks and compiles the sources and prepares the
// decision queries. Any problem with the policy is a *CompileError listing
// every problem found.
func compile(ctx context.Context, src *sources) (*compiled, error) {
	caps := capabilities()
	schemas, err := schemaSet()
	if err != nil {
		return nil, err
	}
	shapes, err := inputShape()
	if err != nil {
		return nil, err
	}
	modules := map[string]*ast.Module{}
	data := map[string]any{}
	var problems []Problem
	for _, f := range src.files {
		if !f.isRego() {
			if err := loadData(data, f); err != nil {
				problems = append(problems, Problem{File: f.name, Code: "data_error", Message: err.Error()})
			}
			continue
		}
		mod, err := ast.ParseModuleWithOpts(f.name, string(f.data), parserOptions(caps))
		if err != nil {
			problems = append(problems, problemsOf(err)...)
			continue
		}
		if mod == nil {
			problems = append(problems, Problem{File: f.name, Code: ast.ParseErr, Message: "empty module"})
			continue
		}
		if p, ok := checkPackage(f.name, mod); !ok {
			problems = append(problems, p)
			continue
		}
		modules[f.name] = mod
	}
	if len(problems) > 0 {
		return nil, &CompileError{Problems: problems}
	}
	if len(modules) == 0 {
		return nil, errors.New("compile policy: no .rego files (tests aside)")
	}

	// The store keeps the data in OPA's value form, so an evaluation reading
	// it does not convert it again.
	store := inmem.NewFromObjectWithOpts(data, inmem.OptReturnASTValuesOnRead(true))
	txn, err := store.NewTransaction(ctx)
	if err != nil {
		return nil, fmt.Errorf("compile policy: %w", err)
	}
	defer store.Abort(ctx, txn)
	compiler := newCompiler(caps, schemas).
		WithEnablePrintStatements(false).
		WithPathConflictsCheck(storage.NonEmpty(ctx, store, txn))
	if compiler.Compile(modules); compiler.Failed() {
		return nil, &CompileError{Problems: problemsOf(compiler.Errors)}
	}
	if problems := lintInputRefs(compiler, shapes); len(problems) > 0 {
		return nil, &CompileError{Problems: problems}
	}

	c := &compiled{digest: src.digest, modules: len(modules), consts: buildConstTrie(compiler),
		rules: make(map[string]rego.PreparedEvalQuery, len(sessionRules)+len(judgeRules))}
	type prepared struct {
		query string
		into  *rego.PreparedEvalQuery
	}
	queries := []prepared{{partQuery(sessionParts[0]), &c.session[0]}, {partQuery(sessionParts[1]), &c.session[1]},
		{judgeQuery, &c.judge}, {costsQuery, &c.costs}}
	rules := make([]rego.PreparedEvalQuery, len(sessionRules)+len(judgeRules))
	for i, rule := range append(append([]string(nil), sessionRules...), judgeRules...) {
		queries = append(queries, prepared{ruleQuery(rule), &rules[i]})
	}
	for _, q := range queries {
		// Strict built-in errors: a built-in that fails (a division by
		// zero, a string that is no number) fails the evaluation instead
		// of leaving its expression undefined, which would silently drop
		// a deny rule's veto or a config rule's settings.
		pq, err := rego.New(
			rego.Query(q.query),
			rego.Compiler(compiler),
			rego.Store(store),
			rego.Capabilities(caps),
			rego.Schemas(schemas),
			rego.SetRegoVersion(ast.RegoV1),
			rego.StrictBuiltinErrors(true),
		).PrepareForEval(ctx)
		if err != nil {
			if ps := problemsOf(err); len(ps) > 0 && ps[0].Code != "" {
				return nil, &CompileError{Problems: ps}
			}
			return nil, fmt.Errorf("compile policy: prepare %s: %w", q.query, err)
		}
		*q.into = pq
	}
	for i, rule := range append(append([]string(nil), sessionRules...), judgeRules...) {
		c.rules[rule] = rules[i]
	}
	return c, nil
}

// checkPackage accepts package hvbalancer and its subpackages.
func checkPackage(file string, mod *ast.Module) (Problem, bool) {
	want := ast.MustParseRef("data.hvbalancer")
	if mod.Package.Path.HasPrefix(want) {
		return Problem{}, true
	}
	line := 0
	if mod.Package.Location != nil {
		line = mod.Package.Location.Row
	}
	got := strings.TrimPrefix(mod.Package.Path.String(), "data.")
	return Problem{File: file, Line: line, Code: "rego_compile_error",
		Message: fmt.Sprintf("package %s: hvbalancer policies are package hvbalancer (or a subpackage)", got)}, false
}

// loadData parses a data file and merges it into data at the file's
// directory, as OPA does for a bundle.
func loadData(data map[string]any, f sourceFile) error {
	var doc any
	var err error
	if strings.HasSuffix(f.rel, ".json") {
		err = util.UnmarshalJSON(f.data, &doc)
	} else {
		err = util.Unmarshal(f.data, &doc)
	}
	if err != nil {
		return err
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		if doc == nil {
			return nil // an empty file
		}
		return fmt.Errorf("holds a %s, want an object", typeName(doc))
	}
	node := data
	where := "data"
	if dir := path.Dir(f.rel); dir != "." {
		for _, seg := range strings.Split(dir, "/") {
			where += "." + seg
			next, ok := node[seg].(map[string]any)
			if !ok {
				if _, taken := node[seg]; taken {
					return fmt.Errorf("%s is already set by another data file", where)
				}
				next = map[string]any{}
				node[seg] = next
			}
			node = next
		}
	}
	return mergeInto(node, obj, where)
}

// mergeInto merges src into dst; a key both set to something other than an
// object is a conflict.
func mergeInto(dst, src map[string]any, where string) error {
	keys := make([]string, 0, len(src))
	for k := range src {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := src[k]
		old, exists := dst[k]
		if !exists {
			dst[k] = v
			continue
		}
		om, ok1 := old.(map[string]any)
		vm, ok2 := v.(map[string]any)
		if !ok1 || !ok2 {
			return fmt.Errorf("%s.%s is already set by another data file", where, k)
		}
		if err := mergeInto(om, vm, where+"."+k); err != nil {
			return err
		}
	}
	return nil
}

// problemsOf turns OPA's errors into problems with file and line. An error
// that is not OPA's becomes one problem without a location.
func problemsOf(err error) []Problem {
	var errs ast.Errors
	if errors.As(err, &errs) {
		out := make([]Problem, 0, len(errs))
		for _, e := range errs {
			out = append(out, problemOf(e))
		}
		return out
	}
	var one *ast.Error
	if errors.As(err, &one) {
		return []Problem{problemOf(one)}
	}
	return []Problem{{Message: err.Error()}}
}

func problemOf(e *ast.Error) Problem {
	p := Problem{Code: e.Code, Message: e.Message}
	if e.Location != nil {
		p.File, p.Line = e.Location.File, e.Location.Row
	}
	if d, ok := e.Details.(*ast.RefErrInvalidDetail); ok && len(d.OneOf) > 0 {
		want := make([]string, len(d.OneOf))
		for i, v := range d.OneOf {
			want[i] = v.String()
		}
		p.Message += " (want one of: " + strings.Join(want, ", ") + ")"
	}
	if name, ok := strings.CutPrefix(e.Message, "undefined function "); ok && unavailableBuiltins()[name] {
		p.Message += " (not available to hvbalancer policies: decisions depend only on input and data)"
	}
	return p
}

// typeName names the JSON type of a decoded value.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	default:
		return "number"
	}
}
