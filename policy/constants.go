package policy

import (
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// Most of a policy does not depend on the candidate being judged: settings,
// business hours, the config, lookup tables built from the fleet. OPA
// evaluates them again for every query; a session instead shares their values
// between all its evaluations. A rule is session-constant if neither it nor
// any rule it depends on refers to input.move, input.projected, or the whole
// input; only such rules' values are shared, and only outside `with`
// modifiers.

// constTrie holds the rule paths of a compiled policy by path element,
// marking where rules depend on the candidate.
type constTrie struct {
	children       map[string]*constTrie
	dependentHere  bool // a rule at exactly this path depends on the candidate
	dependentBelow bool // ... at this path or below it
}

// buildConstTrie analyses the compiled policy's rules.
func buildConstTrie(c *ast.Compiler) *constTrie {
	memo := map[*ast.Rule]bool{}
	var dependent func(r *ast.Rule) bool
	dependent = func(r *ast.Rule) bool {
		if d, ok := memo[r]; ok {
			return d
		}
		memo[r] = true // a cycle (not possible after compile) stays dependent
		d := false
		for x := r; x != nil && !d; x = x.Else {
			d = refersToCandidate(x.Head) || refersToCandidate(x.Body)
			for dep := range c.Graph.Dependencies(x) {
				if dr, ok := dep.(*ast.Rule); ok && dependent(dr) {
					d = true
					break
				}
			}
		}
		memo[r] = d
		return d
	}
	root := &constTrie{}
	for _, m := range c.Modules {
		for _, r := range m.Rules {
			d := dependent(r)
			node := root
			path := r.Ref().GroundPrefix()
			ok := true
			for _, t := range path {
				key, isStr := keyOf(t)
				if !isStr {
					ok = false
					break
				}
				if d {
					node.dependentBelow = true
				}
				next := node.children[key]
				if next == nil {
					next = &constTrie{}
					if node.children == nil {
						node.children = map[string]*constTrie{}
					}
					node.children[key] = next
				}
				node = next
			}
			if !ok { // not a plain path: keep the whole tree out of sharing
				root.dependentHere, root.dependentBelow = true, true
				continue
			}
			if d {
				node.dependentHere, node.dependentBelow = true, true
			}
		}
	}
	return root
}

// keyOf is a path element's key: the root document's name or a string.
func keyOf(t *ast.Term) (string, bool) {
	switch v := t.Value.(type) {
	case ast.Var:
		return string(v), true
	case ast.String:
		return string(v), true
	}
	return "", false
}

// refersToCandidate reports whether x refers to input.move, input.projected
// or the input as a whole.
func refersToCandidate(x any) bool {
	found := false
	ast.WalkRefs(x, func(r ast.Ref) bool {
		if found || !r[0].Equal(ast.InputRootDocument) {
			return found
		}
		if len(r) < 2 {
			found = true
			return true
		}
		switch k := r[1].Value.(type) {
		case ast.String:
			found = k == "move" || k == "projected"
		default:
			found = true
		}
		return found
	})
	return found
}

// constant reports whether the value at ref (a virtual document, or a
// function's result for its arguments) is the same for every candidate.
// OPA keys a function's result by a ref whose first term is the function's
// own ref, its arguments after it: the function's path decides.
func (t *constTrie) constant(ref ast.Ref) bool {
	if len(ref) > 0 {
		if fn, ok := ref[0].Value.(ast.Ref); ok {
			return t.constantPath(fn, ref[1:])
		}
	}
	return t.constantPath(ref, nil)
}

// constantPath is constant for the ref path followed by args, without
// joining them (it runs for every cached value an evaluation asks for).
func (t *constTrie) constantPath(path ast.Ref, args []*ast.Term) bool {
	node := t
	for i := range len(path) + len(args) {
		var term *ast.Term
		if i < len(path) {
			term = path[i]
		} else {
			term = args[i-len(path)]
		}
		if node.dependentHere {
			return false
		}
		key, ok := keyOf(term)
		if !ok {
			return true // indexing into the value of the (constant) rules passed
		}
		next := node.children[key]
		if next == nil {
			return true // past the rules: a part of a constant value, or base data
		}
		node = next
	}
	return !node.dependentBelow
}

// sharedValues are the session-constant values of one session.
type sharedValues struct {
	mu sync.RWMutex
	vc topdown.VirtualCache
}

func newSharedValues() *sharedValues {
	return &sharedValues{vc: topdown.NewVirtualCache()}
}

// evalCache is the virtual document cache of one evaluation: its own, with
// session-constant values kept in and taken from the session's shared values.
type evalCache struct {
	local  topdown.VirtualCache
	shared *sharedValues
	consts *constTrie
	depth  int // frames pushed by `with` modifiers
}

var _ topdown.VirtualCache = (*evalCache)(nil)

func newEvalCache(shared *sharedValues, consts *constTrie) topdown.VirtualCache {
	if shared == nil || consts == nil {
		return topdown.NewVirtualCache()
	}
	return &evalCache{local: topdown.NewVirtualCache(), shared: shared, consts: consts}
}

// Push starts a frame for a `with` modifier; shared values are not used in it.
func (c *evalCache) Push() {
	c.depth++
	c.local.Push()
}

// Pop ends a frame.
func (c *evalCache) Pop() {
	c.depth--
	c.local.Pop()
}

// Get returns a cached value (nil, true: cached as undefined).
func (c *evalCache) Get(ref ast.Ref) (*ast.Term, bool) {
	if c.depth == 0 && c.consts.constant(ref) {
		c.shared.mu.RLock()
		defer c.shared.mu.RUnlock()
		return c.shared.vc.Get(ref)
	}
	return c.local.Get(ref)
}

// Put caches a value (nil: undefined).
func (c *evalCache) Put(ref ast.Ref, value *ast.Term) {
	if c.depth == 0 && c.consts.constant(ref) {
		c.shared.mu.Lock()
		defer c.shared.mu.Unlock()
		c.shared.vc.Put(ref, value)
		return
	}
	c.local.Put(ref, value)
}

// Keys lists the keys cached by this evaluation's current frame.
func (c *evalCache) Keys() []ast.Ref {
	return c.local.Keys()
}
