package policy

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"

	"github.com/open-policy-agent/opa/v1/ast"
)

// keyTerms are the object keys of the input, made once per conversion and
// shared by every object that has them, and the values that repeat across
// thousands of hosts and VMs: strings (host names, states, Notes, configuration
// versions, storage kinds, switch names, empty strings), lists of them (a
// VM's switches) and tag sets ({"role": "web"}). OPA never changes a value
// it evaluates, so one term serves every VM that has it.
type keyTerms struct {
	strings map[string]*ast.Term
	lists   map[string]*ast.Term // by listKey
	tags    map[string]*ast.Term // by listKey of key, value, key, value ...
	ints    map[int64]*ast.Term  // sizes and counts: 8 GiB, 4 CPUs
}

func newKeyTerms() keyTerms {
	return keyTerms{strings: map[string]*ast.Term{}, lists: map[string]*ast.Term{}, tags: map[string]*ast.Term{}, ints: map[int64]*ast.Term{}}
}

func (k keyTerms) item(key string, v *ast.Term) [2]*ast.Term {
	return [2]*ast.Term{k.str(key), v}
}

// str returns the string term of s, made once per conversion.
func (k keyTerms) str(s string) *ast.Term {
	t, ok := k.strings[s]
	if !ok {
		t = ast.StringTerm(s)
		k.strings[s] = t
	}
	return t
}

// strs converts a list of strings, made once per conversion.
func (k keyTerms) strs(ss []string) *ast.Term {
	key := listKey(ss)
	if t, ok := k.lists[key]; ok {
		return t
	}
	terms := make([]*ast.Term, len(ss))
	for i, s := range ss {
		terms[i] = k.str(s)
	}
	t := ast.ArrayTerm(terms...)
	k.lists[key] = t
	return t
}

// tagsTerm converts a map of strings (a VM's tags), made once per
// conversion for each content.
func (k keyTerms) tagsTerm(m map[string]string) *ast.Term {
	pairs := make([]string, 0, 2*len(m))
	for _, key := range slices.Sorted(maps.Keys(m)) {
		pairs = append(pairs, key, m[key])
	}
	key := listKey(pairs)
	if t, ok := k.tags[key]; ok {
		return t
	}
	items := make([][2]*ast.Term, 0, len(m))
	for i := 0; i < len(pairs); i += 2 {
		items = append(items, ast.Item(k.str(pairs[i]), k.str(pairs[i+1])))
	}
	t := ast.ObjectTerm(items...)
	k.tags[key] = t
	return t
}

// int converts a whole number, made once per conversion.
func (k keyTerms) int(i int64) *ast.Term {
	t, ok := k.ints[i]
	if !ok {
		t = intTerm(i)
		k.ints[i] = t
	}
	return t
}

// listKey joins strings so that different lists never share a key: each
// length-prefixed.
func listKey(ss []string) string {
	n := 0
	for _, s := range ss {
		n += len(s) + 4
	}
	b := make([]byte, 0, n)
	for _, s := range ss {
		b = strconv.AppendInt(b, int64(len(s)), 10)
		b = append(b, ':')
		b = append(b, s...)
	}
	return string(b)
}

// intTerm converts a whole number.
func intTerm(i int64) *ast.Term {
	return ast.NumberTerm(json.Number(strconv.FormatInt(i, 10)))
}
