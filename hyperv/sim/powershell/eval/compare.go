package eval

// Scalar comparison (§7.8.1): the right operand is converted to the left
// operand's type; strings compare case-insensitively unless the c- form
// is used; -like uses wildcards (§3.15) and -match regular expressions.

import (
	"regexp"
	"strings"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/powershell/lang"
)

// scalarCompare applies one comparison to two scalars.
func (in *Interp) scalarCompare(op string, l, r any, cs bool, at lang.Pos) (bool, error) {
	switch op {
	case "-eq", "-ne":
		eq, err := equal(l, r, cs)
		if err != nil {
			return false, nil
		}
		return eq == (op == "-eq"), nil
	case "-like", "-notlike":
		m := wildcard(toString(r), cs).MatchString(toString(l))
		return m == (op == "-like"), nil
	case "-match", "-notmatch":
		re, err := in.compile(regexFlags(cs) + toString(r))
		if err != nil {
			return false, runtimeError(at, 1, "InvalidOperation", "InvalidRegularExpression", "Invalid regular expression pattern: "+toString(r)+".")
		}
		return re.MatchString(toString(l)) == (op == "-match"), nil
	}
	c, ok := order(l, r, cs)
	if !ok {
		return false, runtimeError(at, 1, "InvalidOperation", "ComparisonFailure", "Cannot compare \""+toString(l)+"\" to \""+toString(r)+"\" because the objects are not the same type or the object \""+toString(l)+"\" does not implement \"IComparable\".")
	}
	switch op {
	case "-gt":
		return c > 0, nil
	case "-ge":
		return c >= 0, nil
	case "-lt":
		return c < 0, nil
	case "-le":
		return c <= 0, nil
	}
	return false, nil
}

// equal compares after converting r to l's type.
func equal(l, r any, cs bool) (bool, error) {
	if l == nil || r == nil {
		return l == nil && r == nil, nil
	}
	switch a := l.(type) {
	case string:
		b := toString(r)
		if cs {
			return a == b, nil
		}
		return strings.EqualFold(a, b), nil
	case bool:
		return a == toBool(r), nil
	case Enum:
		if s, ok := r.(string); ok {
			return strings.EqualFold(a.Name, strings.TrimSpace(s)), nil
		}
	case Guid:
		g, ok := ParseGUID(toString(r))
		return ok && g == a, nil
	case time.Time:
		if b, ok := r.(time.Time); ok {
			return a.Equal(b), nil
		}
		return false, nil
	case *Object, *Hash, *ScriptBlock:
		return l == r, nil
	}
	li, lf, lInt, ok1 := toNumber(l)
	ri, rf, rInt, ok2 := toNumber(r)
	if !ok1 || !ok2 {
		return false, nil
	}
	if lInt && rInt {
		return li == ri, nil
	}
	return lf == rf, nil
}

// order compares l and r: negative, zero or positive; ok is false when
// they cannot be ordered.
func order(l, r any, cs bool) (int, bool) {
	if l == nil || r == nil {
		switch {
		case l == nil && r == nil:
			return 0, true
		case l == nil:
			return -1, true
		}
		return 1, true
	}
	switch a := l.(type) {
	case string:
		b := toString(r)
		if !cs {
			a, b = strings.ToLower(a), strings.ToLower(b)
		}
		return strings.Compare(a, b), true
	case time.Time:
		b, ok := r.(time.Time)
		if !ok {
			return 0, false
		}
		return a.Compare(b), true
	case Enum:
		if s, ok := r.(string); ok {
			return strings.Compare(strings.ToLower(a.Name), strings.ToLower(s)), true
		}
	case Guid:
		return strings.Compare(string(a), toString(r)), true
	}
	li, lf, lInt, ok1 := toNumber(l)
	ri, rf, rInt, ok2 := toNumber(r)
	if !ok1 || !ok2 {
		return 0, false
	}
	if lInt && rInt {
		switch {
		case li < ri:
			return -1, true
		case li > ri:
			return 1, true
		}
		return 0, true
	}
	switch {
	case lf < rf:
		return -1, true
	case lf > rf:
		return 1, true
	}
	return 0, true
}

// wildcard compiles a PowerShell wildcard pattern (* ? [a-z], ` escapes).
func wildcard(p string, cs bool) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(regexFlags(cs) + "^")
	rs := []rune(p)
	for i := 0; i < len(rs); i++ {
		switch c := rs[i]; c {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		case '[':
			j := i + 1
			for j < len(rs) && rs[j] != ']' {
				j++
			}
			if j < len(rs) {
				b.WriteString("[" + regexp.QuoteMeta(string(rs[i+1:j])) + "]")
				i = j
			} else {
				b.WriteString(`\[`)
			}
		case '`':
			if i+1 < len(rs) {
				i++
				b.WriteString(regexp.QuoteMeta(string(rs[i])))
			}
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	if err != nil {
		return regexp.MustCompile("^$.")
	}
	return re
}

// Wildcard reports whether s matches the PowerShell wildcard pattern,
// case-insensitively, as cmdlets match names.
func Wildcard(pattern, s string) bool { return wildcard(pattern, false).MatchString(s) }
