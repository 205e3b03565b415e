package eval

// Operators: arithmetic (§7.6, §7.7), range (§7.4), format (§7.7.x),
// comparison, containment, pattern and type operators (§7.8).

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/powershell/lang"
)

// arith applies + - * / %: strings concatenate or repeat, arrays append,
// numbers widen int32 → int64 → double as needed.
func arith(op string, l, r any, at lang.Pos) (any, error) {
	switch a := l.(type) {
	case string:
		switch op {
		case "+":
			return a + toString(r), nil
		case "*":
			n, ok := toInt(r)
			if !ok {
				return nil, convertError(r, "System.Int32", at)
			}
			return strings.Repeat(a, int(max(n, 0))), nil
		}
	case []any:
		if op == "+" {
			return append(append([]any{}, a...), enumerate(r)...), nil
		}
	case *Hash:
		if op == "+" {
			if b, ok := r.(*Hash); ok {
				h := &Hash{Keys: append([]any{}, a.Keys...), Values: append([]any{}, a.Values...)}
				for i, k := range b.Keys {
					h.Set(k, b.Values[i])
				}
				return h, nil
			}
		}
	case time.Time:
		if d, ok := r.(time.Duration); ok {
			if op == "+" {
				return a.Add(d), nil
			}
			if op == "-" {
				return a.Add(-d), nil
			}
		}
		if b, ok := r.(time.Time); ok && op == "-" {
			return a.Sub(b), nil
		}
	}
	if l == nil && op == "+" {
		return r, nil
	}
	li, lf, lInt, ok1 := toNumber(l)
	ri, rf, rInt, ok2 := toNumber(r)
	if !ok1 {
		return nil, convertError(l, "System.Int32", at)
	}
	if !ok2 {
		return nil, convertError(r, "System.Int32", at)
	}
	if lInt && rInt && op != "/" {
		var n int64
		switch op {
		case "+":
			n = li + ri
		case "-":
			n = li - ri
		case "*":
			n = li * ri
		case "%":
			if ri == 0 {
				return nil, divideByZero(at)
			}
			n = li % ri
		}
		_, l64 := l.(int64)
		_, r64 := r.(int64)
		if l64 || r64 {
			return n, nil
		}
		return narrow(n), nil
	}
	if op == "/" && lInt && rInt {
		if ri == 0 {
			return nil, divideByZero(at)
		}
		if li%ri == 0 {
			return narrow(li / ri), nil
		}
	}
	switch op {
	case "+":
		return lf + rf, nil
	case "-":
		return lf - rf, nil
	case "*":
		return lf * rf, nil
	case "/":
		if rf == 0 {
			return nil, divideByZero(at)
		}
		return lf / rf, nil
	}
	return math.Mod(lf, rf), nil
}

func divideByZero(at lang.Pos) error {
	return runtimeError(at, 1, "NotSpecified", "RuntimeException", "Attempted to divide by zero.")
}

// convertError is the RuntimeException of a failed conversion.
func convertError(v any, target string, at lang.Pos) error {
	return runtimeError(at, 1, "InvalidArgument", "InvalidCastFromStringToInteger", fmt.Sprintf(`Cannot convert value "%s" to type "%s". Error: "Input string was not in a correct format."`, toString(v), target))
}

// rangeOf is a..b over integers.
func rangeOf(l, r any, at lang.Pos) (any, error) {
	a, ok1 := toInt(l)
	b, ok2 := toInt(r)
	if !ok1 || !ok2 {
		return nil, convertError(r, "System.Int32", at)
	}
	step := int64(1)
	if b < a {
		step = -1
	}
	var out []any
	for i := a; ; i += step {
		out = append(out, narrow(i))
		if i == b || len(out) > 1<<20 {
			break
		}
	}
	return out, nil
}

var formatItem = regexp.MustCompile(`\{(\d+)(?:,(-?\d+))?(?::([^}]*))?\}`)

// format is -f: composite formatting with {index[,width][:format]}.
func format(f string, args []any, at lang.Pos) (any, error) {
	var ferr error
	out := formatItem.ReplaceAllStringFunc(f, func(m string) string {
		g := formatItem.FindStringSubmatch(m)
		i, _ := strconv.Atoi(g[1])
		if i >= len(args) {
			ferr = runtimeError(at, 1, "InvalidOperation", "FormatError", "Error formatting a string: Index (zero based) must be greater than or equal to zero and less than the size of the argument list..")
			return m
		}
		s := toString(args[i])
		if g[3] != "" {
			if _, fv, _, ok := toNumber(args[i]); ok {
				if strings.HasPrefix(strings.ToUpper(g[3]), "N") || strings.HasPrefix(strings.ToUpper(g[3]), "F") {
					d, _ := strconv.Atoi(g[3][1:])
					if len(g[3]) == 1 {
						d = 2
					}
					s = strconv.FormatFloat(fv, 'f', d, 64)
				}
			}
		}
		if g[2] != "" {
			w, _ := strconv.Atoi(g[2])
			if w < 0 {
				s += strings.Repeat(" ", max(-w-len(s), 0))
			} else {
				s = strings.Repeat(" ", max(w-len(s), 0)) + s
			}
		}
		return s
	})
	return out, ferr
}

// compareOp applies a comparison-family operator. With an array on the
// left, the comparison operators filter it (§7.8.1).
func (in *Interp) compareOp(op string, l, r any, at lang.Pos) (any, error) {
	caseSensitive := len(op) > 2 && op[1] == 'c' && op != "-contains"
	base := op
	if len(op) > 2 && (op[1] == 'c' || op[1] == 'i') && !strings.HasPrefix(op, "-contains") && !strings.HasPrefix(op, "-in") && !strings.HasPrefix(op, "-is") {
		base = "-" + op[2:]
	}
	if op == "-cin" || op == "-iin" || op == "-ccontains" || op == "-icontains" || op == "-cnotin" || op == "-inotin" || op == "-cnotcontains" || op == "-inotcontains" {
		base = "-" + op[2:]
		caseSensitive = op[1] == 'c'
	}
	switch base {
	case "-contains", "-notcontains":
		found := false
		for _, e := range enumerate(l) {
			if eq, _ := equal(e, r, caseSensitive); eq {
				found = true
			}
		}
		return found == (base == "-contains"), nil
	case "-in", "-notin":
		found := false
		for _, e := range enumerate(r) {
			if eq, _ := equal(e, l, caseSensitive); eq {
				found = true
			}
		}
		return found == (base == "-in"), nil
	case "-is", "-isnot", "-as":
		t, ok := resolveType(strings.Trim(toString(r), "[]"))
		if tl, isType := r.(*TypeLiteral); isType {
			t, ok = tl, true
		}
		if !ok {
			return nil, unknownType(toString(r), at)
		}
		if base == "-as" {
			v, err := cast(t.Name, l, at)
			if err != nil {
				return nil, nil
			}
			return v, nil
		}
		return t.is(l) == (base == "-is"), nil
	case "-join":
		return joinValues(l, toString(r)), nil
	case "-split":
		re, err := in.compile(regexFlags(caseSensitive) + toString(r))
		if err != nil {
			return nil, runtimeError(at, 1, "InvalidOperation", "InvalidRegularExpression", err.Error())
		}
		var out []any
		for _, e := range enumerate(l) {
			for _, s := range re.Split(toString(e), -1) {
				out = append(out, s)
			}
		}
		return out, nil
	case "-replace":
		pat, rep := r, any("")
		if a, ok := r.([]any); ok && len(a) > 0 {
			pat = a[0]
			if len(a) > 1 {
				rep = a[1]
			}
		}
		re, err := in.compile(regexFlags(caseSensitive) + toString(pat))
		if err != nil {
			return nil, runtimeError(at, 1, "InvalidOperation", "InvalidRegularExpression", err.Error())
		}
		return re.ReplaceAllString(toString(l), toString(rep)), nil
	}
	if arr, ok := l.([]any); ok {
		out := []any{}
		for _, e := range arr {
			ok, err := in.scalarCompare(base, e, r, caseSensitive, at)
			if err != nil {
				return nil, err
			}
			if ok {
				out = append(out, e)
			}
		}
		return out, nil
	}
	return in.scalarCompare(base, l, r, caseSensitive, at)
}

func regexFlags(caseSensitive bool) string {
	if caseSensitive {
		return ""
	}
	return "(?i)"
}

// joinValues is -join.
func joinValues(v any, sep string) string {
	parts := []string{}
	for _, e := range enumerate(v) {
		parts = append(parts, toString(e))
	}
	return strings.Join(parts, sep)
}

// splitWhite is unary -split: on runs of whitespace.
func splitWhite(s string) []any {
	var out []any
	for _, f := range strings.Fields(s) {
		out = append(out, f)
	}
	return out
}
