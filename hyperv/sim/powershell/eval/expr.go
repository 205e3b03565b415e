package eval

// Evaluating expressions (spec chapter 7).

import (
	"fmt"
	"strings"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/powershell/lang"
)

// eval evaluates an expression.
func (in *Interp) eval(e lang.Expr) (any, error) {
	switch x := e.(type) {
	case *lang.Const:
		return x.Value, nil
	case *lang.Expandable:
		var b strings.Builder
		for _, p := range x.Parts {
			v, err := in.eval(p)
			if err != nil {
				return nil, err
			}
			b.WriteString(toString(v))
		}
		return b.String(), nil
	case *lang.Variable:
		return in.variable(x.Name), nil
	case *lang.Paren:
		if a, ok := x.Pipe.(*lang.Assignment); ok {
			// An assignment in parentheses passes on the value it assigned
			// (§7.11): ($w = $_) is $_, ([int]$n = '42') is 42. Alone it
			// outputs nothing.
			if err := in.statement(a, nil); err != nil {
				return nil, err
			}
			return in.eval(a.Target)
		}
		return in.statementValue(x.Pipe)
	case *lang.SubExpr:
		items, err := in.subExprItems(x)
		if err != nil {
			return nil, err
		}
		if x.Array {
			var flat []any
			for _, it := range items {
				flat = append(flat, enumerate(it)...)
			}
			if flat == nil {
				flat = []any{}
			}
			return flat, nil
		}
		return collapse(items), nil
	case *lang.ArrayLit:
		out := make([]any, 0, len(x.Elems))
		for _, el := range x.Elems {
			v, err := in.eval(el)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case *lang.Hash:
		h := &Hash{}
		for i, k := range x.Keys {
			kv, err := in.eval(k)
			if err != nil {
				return nil, err
			}
			v, err := in.statementValue(x.Values[i])
			if err != nil {
				return nil, err
			}
			h.Set(kv, v)
		}
		return h, nil
	case *lang.Block:
		return &ScriptBlock{Body: x.Body}, nil
	case *lang.Unary:
		return in.unary(x)
	case *lang.Binary:
		return in.binary(x)
	case *lang.Cast:
		v, err := in.eval(x.X)
		if err != nil {
			return nil, err
		}
		return cast(x.Type, v, x.P)
	case *lang.TypeLit:
		t, ok := resolveType(x.Type)
		if !ok {
			return nil, unknownType(x.Type, x.P)
		}
		return t, nil
	case *lang.Member:
		return in.member(x)
	case *lang.Invoke:
		return in.invoke(x)
	case *lang.Index:
		return in.index(x)
	}
	return nil, fmt.Errorf("eval: unknown expression %T", e)
}

// subExprItems runs the statements of `$( )` or `@( )` and returns what
// they wrote, leaving $? as it was before them.
func (in *Interp) subExprItems(x *lang.SubExpr) ([]any, error) {
	var items []any
	saved := in.scopes[0]["?"]
	err := in.statements(x.Body.Statements, func(v any) { items = append(items, v) })
	in.scopes[0]["?"] = saved
	return items, err
}

// variable reads a variable; an unset one is $null (no strict mode).
func (in *Interp) variable(name string) any {
	switch strings.ToLower(name) {
	case "null":
		return nil
	case "true":
		return true
	case "false":
		return false
	}
	if strings.HasPrefix(strings.ToLower(name), "env:") {
		return nil
	}
	v, _ := in.lookup(name)
	return v
}

// assignTo assigns to a variable, a member or an index (§7.11).
func (in *Interp) assignTo(target lang.Expr, op string, v any) error {
	if op != "=" {
		cur, err := in.eval(target)
		if err != nil {
			return err
		}
		if v, err = arith(op[:1], cur, v, target.At()); err != nil {
			return err
		}
	}
	switch t := target.(type) {
	case *lang.Variable:
		in.assign(t.Name, v)
		return nil
	case *lang.Cast:
		cv, err := cast(t.Type, v, t.P)
		if err != nil {
			return err
		}
		return in.assignTo(t.X, "=", cv)
	case *lang.Member:
		obj, err := in.eval(t.X)
		if err != nil {
			return err
		}
		name, err := in.memberName(t.Name)
		if err != nil {
			return err
		}
		switch o := obj.(type) {
		case *Hash:
			o.Set(name, v)
			return nil
		case *Object:
			if _, ok := o.Get(name); ok || o.IsCustom() {
				o.Set(name, v)
				return nil
			}
		}
		return runtimeError(t.P, 1, "InvalidOperation", "PropertyNotFound", "The property '"+name+"' cannot be found on this object. Verify that the property exists and can be set.")
	case *lang.Index:
		obj, err := in.eval(t.X)
		if err != nil {
			return err
		}
		k, err := in.eval(t.Index)
		if err != nil {
			return err
		}
		if h, ok := obj.(*Hash); ok {
			h.Set(k, v)
			return nil
		}
		if a, ok := obj.([]any); ok {
			i, ok := toInt(k)
			if ok && i >= 0 && int(i) < len(a) {
				a[i] = v
				return nil
			}
			return runtimeError(t.P, 1, "OperationStopped", "System.IndexOutOfRangeException", "Index was outside the bounds of the array.")
		}
		return runtimeError(t.P, 1, "InvalidOperation", "NullArray", "Cannot index into a null array.")
	}
	return &stmtError{rec: &ErrorRecord{Message: []string{"The assignment expression is not valid. The input to an assignment operator must be an object that is able to accept assignments, such as a variable or a property."}, Category: "ParserError: (:) [], ParentContainsErrorRecordException", ErrorID: "InvalidLeftHandSide", Pos: target.At(), Len: 1, Parse: true}}
}

// unary applies a prefix operator (§7.2).
func (in *Interp) unary(x *lang.Unary) (any, error) {
	v, err := in.eval(x.X)
	if err != nil {
		return nil, err
	}
	switch x.Op {
	case "-not":
		return !toBool(v), nil
	case "-":
		return arith("-", int32(0), v, x.P)
	case "+":
		return arith("+", int32(0), v, x.P)
	case "-bnot":
		n, ok := toInt(v)
		if !ok {
			return nil, convertError(v, "System.Int32", x.P)
		}
		return narrow(^n), nil
	case "-join":
		return joinValues(v, ""), nil
	case "-split":
		return splitWhite(toString(v)), nil
	}
	return nil, fmt.Errorf("eval: unary %s", x.Op)
}

// binary applies a binary operator (§7.6–§7.10); -and and -or short-circuit.
func (in *Interp) binary(x *lang.Binary) (any, error) {
	l, err := in.eval(x.L)
	if err != nil {
		return nil, err
	}
	switch x.Op {
	case "-and":
		if !toBool(l) {
			return false, nil
		}
		r, err := in.eval(x.R)
		return toBool(r), err
	case "-or":
		if toBool(l) {
			return true, nil
		}
		r, err := in.eval(x.R)
		return toBool(r), err
	}
	r, err := in.eval(x.R)
	if err != nil {
		return nil, err
	}
	switch x.Op {
	case "-xor":
		return toBool(l) != toBool(r), nil
	case "+", "-", "*", "/", "%":
		return arith(x.Op, l, r, x.P)
	case "..":
		return rangeOf(l, r, x.P)
	case "-f":
		return format(toString(l), enumerate(r), x.P)
	case "-band", "-bor", "-bxor":
		a, ok1 := toInt(l)
		b, ok2 := toInt(r)
		if !ok1 || !ok2 {
			return nil, convertError(r, "System.Int32", x.P)
		}
		switch x.Op {
		case "-band":
			return narrow(a & b), nil
		case "-bor":
			return narrow(a | b), nil
		}
		return narrow(a ^ b), nil
	}
	if x.Op == "-match" || x.Op == "-cmatch" || x.Op == "-imatch" {
		if _, isArr := l.([]any); !isArr {
			return in.match(x, l, r)
		}
	}
	return in.compareOp(x.Op, l, r, x.P)
}

// match is scalar -match: on success $Matches holds the groups by number
// (and name) (§7.8.4.2).
func (in *Interp) match(x *lang.Binary, l, r any) (any, error) {
	re, err := in.compile(regexFlags(x.Op == "-cmatch") + toString(r))
	if err != nil {
		return nil, runtimeError(x.P, 1, "InvalidOperation", "InvalidRegularExpression", "Invalid regular expression pattern: "+toString(r)+".")
	}
	m := re.FindStringSubmatch(toString(l))
	if m == nil {
		return false, nil
	}
	h := &Hash{}
	for i, g := range m {
		if i > 0 && g == "" {
			continue
		}
		if name := re.SubexpNames()[i]; name != "" {
			h.Set(name, g)
		} else {
			h.Set(int32(i), g)
		}
	}
	in.assign("Matches", h)
	return true, nil
}

// narrow returns an int64 as int32 when it fits, as PowerShell's
// arithmetic widens only when needed.
func narrow(n int64) any {
	if n >= -1<<31 && n < 1<<31 {
		return int32(n)
	}
	return n
}
