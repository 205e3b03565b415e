package policy

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// OPA's type checker follows the input schema only through objects with
// fixed properties: it types the values of input.fleet.hosts and
// input.fleet.vms (maps keyed by host name and VM ID) as anything, so
// `h.maintenanse` for a host h would pass silently. This lint finishes the
// job after a successful compile: it follows references from input through
// the maps, through local variables bound to them (`some name, h in
// input.fleet.hosts`, `v := input.fleet.vms[id]`, `every`), and through
// rules whose value is such a reference (`dest := input.fleet.hosts[...]`),
// and reports a field the schema does not have, with file and line.

// shape is a node of the input schema: a closed object with properties, a
// map with values of one shape, an array with items of one shape, or a
// scalar (none of the three).
type shape struct {
	props  map[string]*shape
	values *shape
	items  *shape
}

// schemaJSON is the part of a JSON schema the shapes are built from.
type schemaJSON struct {
	Ref                  string                 `json:"$ref"`
	Type                 string                 `json:"type"`
	Properties           map[string]*schemaJSON `json:"properties"`
	AdditionalProperties json.RawMessage        `json:"additionalProperties"`
	Items                *schemaJSON            `json:"items"`
	Definitions          map[string]*schemaJSON `json:"definitions"`
}

// inputShape builds the shape of the input from the schema.
func inputShape() (*shape, error) {
	var root schemaJSON
	if err := json.Unmarshal(inputSchema, &root); err != nil {
		return nil, fmt.Errorf("read input schema: %w", err)
	}
	var build func(s *schemaJSON, depth int) (*shape, error)
	build = func(s *schemaJSON, depth int) (*shape, error) {
		if depth > 32 {
			return nil, fmt.Errorf("read input schema: nested too deep")
		}
		for s != nil && s.Ref != "" {
			s = root.Definitions[strings.TrimPrefix(s.Ref, "#/definitions/")]
		}
		if s == nil {
			return nil, fmt.Errorf("read input schema: unresolved $ref")
		}
		out := &shape{}
		switch s.Type {
		case "object":
			if len(s.Properties) > 0 {
				out.props = map[string]*shape{}
				for name, p := range s.Properties {
					c, err := build(p, depth+1)
					if err != nil {
						return nil, err
					}
					out.props[name] = c
				}
				return out, nil
			}
			var value schemaJSON
			if err := json.Unmarshal(s.AdditionalProperties, &value); err == nil {
				c, err := build(&value, depth+1)
				if err != nil {
					return nil, err
				}
				out.values = c
			}
		case "array":
			if s.Items != nil {
				c, err := build(s.Items, depth+1)
				if err != nil {
					return nil, err
				}
				out.items = c
			}
		}
		return out, nil
	}
	return build(&root, 0)
}

// linter holds the state of one lint.
type linter struct {
	input    *shape
	rules    map[string]*shape // rule path (data.hvbalancer.dest) → shape of its value
	names    map[ast.Var]ast.Var
	report   bool
	problems []Problem
	seen     map[Problem]bool
}

// lintInputRefs reports references into the input that name a field the
// schema does not have, in the compiled modules.
func lintInputRefs(c *ast.Compiler, input *shape) []Problem {
	l := &linter{input: input, rules: map[string]*shape{}, names: c.RewrittenVars, seen: map[Problem]bool{}}
	modules := slices.Sorted(func(yield func(string) bool) {
		for name := range c.Modules {
			if !yield(name) {
				return
			}
		}
	})
	// Learn which rules hold a part of the input (rules may build on each
	// other, so a few passes), then check every body.
	for pass := range 4 {
		l.report = pass == 3
		for _, name := range modules {
			for _, r := range c.Modules[name].Rules {
				for rule := r; rule != nil; rule = rule.Else {
					vars := l.body(rule.Body, map[ast.Var]*shape{})
					l.learnRule(rule, vars)
				}
			}
		}
	}
	return l.problems
}

// learnRule records the shape of a complete rule whose value is a part of
// the input. Definitions that disagree make it unknown.
func (l *linter) learnRule(r *ast.Rule, vars map[ast.Var]*shape) {
	if len(r.Head.Args) > 0 || r.Head.Key != nil || r.Head.Value == nil || !r.Head.Ref().IsGround() {
		return
	}
	s := l.termShape(r.Head.Value, vars)
	path := r.Ref().GroundPrefix().String()
	if old, ok := l.rules[path]; ok && old != s {
		s = nil
	}
	l.rules[path] = s
}

// body walks a body in order, binding variables to the shapes of the input
// parts assigned to them, and checks every reference.
func (l *linter) body(b ast.Body, vars map[ast.Var]*shape) map[ast.Var]*shape {
	for _, expr := range b {
		if every, ok := expr.Terms.(*ast.Every); ok {
			inner := maps.Clone(vars)
			if d := l.termShape(every.Domain, vars); d != nil {
				if v, ok := every.Value.Value.(ast.Var); ok {
					inner[v] = element(d)
				}
			}
			l.checkTerm(every.Domain, vars, expr)
			l.body(every.Body, inner)
			continue
		}
		if expr.IsEquality() || expr.IsAssignment() {
			a, b := expr.Operand(0), expr.Operand(1)
			if v, ok := a.Value.(ast.Var); ok && vars[v] == nil {
				if s := l.termShape(b, vars); s != nil {
					vars[v] = s
				}
			} else if v, ok := b.Value.(ast.Var); ok && vars[v] == nil {
				if s := l.termShape(a, vars); s != nil {
					vars[v] = s
				}
			}
		}
		ast.WalkTerms(expr, func(t *ast.Term) bool {
			switch x := t.Value.(type) {
			case *ast.ArrayComprehension:
				l.checkTerm(x.Term, l.body(x.Body, maps.Clone(vars)), expr)
				return true
			case *ast.SetComprehension:
				l.checkTerm(x.Term, l.body(x.Body, maps.Clone(vars)), expr)
				return true
			case *ast.ObjectComprehension:
				inner := l.body(x.Body, maps.Clone(vars))
				l.checkTerm(x.Key, inner, expr)
				l.checkTerm(x.Value, inner, expr)
				return true
			case ast.Ref:
				l.check(t, x, vars, expr)
			}
			return false
		})
	}
	return vars
}

func (l *linter) checkTerm(t *ast.Term, vars map[ast.Var]*shape, expr *ast.Expr) {
	ast.WalkTerms(t, func(t *ast.Term) bool {
		if r, ok := t.Value.(ast.Ref); ok {
			l.check(t, r, vars, expr)
		}
		return false
	})
}

// termShape is the shape of the input part a term stands for, or nil.
func (l *linter) termShape(t *ast.Term, vars map[ast.Var]*shape) *shape {
	switch x := t.Value.(type) {
	case ast.Var:
		return vars[x]
	case ast.Ref:
		s, _ := l.resolve(x, vars)
		return s
	}
	return nil
}

// resolve follows a reference through the shapes. bad is the index of an
// element naming a property that does not exist, or -1.
func (l *linter) resolve(r ast.Ref, vars map[ast.Var]*shape) (s *shape, bad int) {
	start := 1
	switch head := r[0].Value.(type) {
	case ast.Var:
		if head.Equal(ast.InputRootDocument.Value) {
			s = l.input
		} else {
			s = vars[head]
		}
	}
	if s == nil && r[0].Equal(ast.DefaultRootDocument) {
		for i := len(r); i > 1 && s == nil; i-- {
			if r[:i].IsGround() {
				if rs, ok := l.rules[r[:i].String()]; ok && rs != nil {
					s, start = rs, i
				}
			}
		}
	}
	for i := start; s != nil && i < len(r); i++ {
		switch {
		case s.props != nil:
			key, ok := r[i].Value.(ast.String)
			if !ok {
				return nil, -1 // a computed key: no telling
			}
			next, ok := s.props[string(key)]
			if !ok {
				return nil, i
			}
			s = next
		case s.values != nil:
			s = s.values
		case s.items != nil:
			s = s.items
		default:
			return nil, -1
		}
	}
	return s, -1
}

func (l *linter) check(t *ast.Term, r ast.Ref, vars map[ast.Var]*shape, expr *ast.Expr) {
	if !l.report || len(expr.With) > 0 { // `with input as ...` replaces the input
		return
	}
	_, bad := l.resolve(r, vars)
	if bad < 0 {
		return
	}
	parent, _ := l.resolve(r[:bad], vars)
	want := make([]string, 0, len(parent.props))
	for name := range parent.props {
		want = append(want, fmt.Sprintf("%q", name))
	}
	slices.Sort(want)
	p := Problem{Code: ast.TypeErr,
		Message: fmt.Sprintf("undefined ref: %s (want one of: %s)", l.display(r[:bad+1]), strings.Join(want, ", "))}
	loc := t.Location
	if loc == nil {
		loc = expr.Location
	}
	if loc != nil {
		p.File, p.Line = loc.File, loc.Row
	}
	if !l.seen[p] {
		l.seen[p] = true
		l.problems = append(l.problems, p)
	}
}

// display prints a reference with the variables as the policy named them.
func (l *linter) display(r ast.Ref) string {
	out := r.Copy()
	for i, t := range out {
		if v, ok := t.Value.(ast.Var); ok {
			if orig, ok := l.names[v]; ok {
				out[i] = ast.VarTerm(string(orig))
			} else if v.IsGenerated() || v.IsWildcard() {
				out[i] = ast.VarTerm("_")
			}
		}
	}
	return out.String()
}

// element is the shape of what iterating over s gives.
func element(s *shape) *shape {
	if s.values != nil {
		return s.values
	}
	return s.items
}
