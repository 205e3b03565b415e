package eval

// Type literals and casts (§7.1.10, §7.2.9): the accelerators and .NET
// types scripts for this host use.

import (
	"strconv"
	"strings"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/powershell/lang"
)

// TypeLiteral is a [type] value.
type TypeLiteral struct {
	Name string // full .NET name
}

// typeAliases maps accelerators and short names to .NET names.
var typeAliases = map[string]string{
	"int": "System.Int32", "int32": "System.Int32", "long": "System.Int64", "int64": "System.Int64",
	"double": "System.Double", "single": "System.Double", "float": "System.Double", "decimal": "System.Double",
	"string": "System.String", "bool": "System.Boolean", "boolean": "System.Boolean", "guid": "System.Guid",
	"datetime": "System.DateTime", "timespan": "System.TimeSpan", "array": "System.Array", "object[]": "System.Object[]",
	"hashtable": "System.Collections.Hashtable", "scriptblock": "System.Management.Automation.ScriptBlock",
	"pscustomobject": "System.Management.Automation.PSObject", "psobject": "System.Management.Automation.PSObject",
	"object": "System.Object", "math": "System.Math", "convert": "System.Convert", "text.encoding": "System.Text.Encoding",
	"system.text.encoding": "System.Text.Encoding", "string[]": "System.String[]", "int[]": "System.Int32[]",
	"uint32": "System.UInt32", "uint64": "System.UInt64", "byte": "System.Byte", "char": "System.Char",
	"ordered": "System.Collections.Specialized.OrderedDictionary", "void": "System.Void",
	"environment": "System.Environment", "console": "System.Console",
}

// resolveType finds a type by name: an accelerator, "System." omitted or
// not, case-insensitive.
func resolveType(name string) (*TypeLiteral, bool) {
	n := strings.ToLower(strings.TrimSpace(name))
	if full, ok := typeAliases[n]; ok {
		return &TypeLiteral{Name: full}, true
	}
	if full, ok := typeAliases[strings.TrimPrefix(n, "system.")]; ok {
		return &TypeLiteral{Name: full}, true
	}
	return nil, false
}

// unknownType is the error for a type PowerShell cannot find.
func unknownType(name string, at lang.Pos) error {
	return runtimeError(at, len(name)+2, "InvalidOperation", "TypeNotFound", "Unable to find type ["+name+"].")
}

// is reports whether v is of the type (-is).
func (t *TypeLiteral) is(v any) bool {
	switch t.Name {
	case "System.Object", "System.Management.Automation.PSObject":
		return v != nil
	case "System.Object[]", "System.Array":
		_, ok := v.([]any)
		return ok
	}
	if o, ok := v.(*Object); ok {
		for _, n := range o.TypeNames {
			if strings.EqualFold(n, t.Name) {
				return true
			}
		}
		return false
	}
	return v != nil && typeName(v) == t.Name
}

// cast converts v to the named type as [type]v does.
func cast(name string, v any, at lang.Pos) (any, error) {
	t, ok := resolveType(name)
	if !ok {
		return nil, unknownType(name, at)
	}
	fail := func(why string) error {
		return runtimeError(at, 1, "InvalidArgument", "InvalidCastParseTargetInvocation", `Cannot convert value "`+toString(v)+`" to type "`+t.Name+`". Error: "`+why+`"`)
	}
	switch t.Name {
	case "System.Int32", "System.Int64", "System.UInt32", "System.UInt64", "System.Byte":
		n, ok := toInt(v)
		if !ok {
			return nil, runtimeError(at, 1, "InvalidArgument", "InvalidCastFromStringToInteger", `Cannot convert value "`+toString(v)+`" to type "`+t.Name+`". Error: "Input string was not in a correct format."`)
		}
		if t.Name == "System.Int32" {
			if n < -1<<31 || n >= 1<<31 {
				return nil, fail("Value was either too large or too small for an Int32.")
			}
			return int32(n), nil
		}
		return n, nil
	case "System.Double":
		_, f, _, ok := toNumber(v)
		if !ok {
			return nil, runtimeError(at, 1, "InvalidArgument", "InvalidCastFromStringToDoubleOrSingle", `Cannot convert value "`+toString(v)+`" to type "System.Double". Error: "Input string was not in a correct format."`)
		}
		return f, nil
	case "System.String":
		if v == nil {
			return "", nil
		}
		return toString(v), nil
	case "System.Boolean":
		return toBool(v), nil
	case "System.Guid":
		g, ok := ParseGUID(toString(v))
		if !ok {
			return nil, fail("Guid should contain 32 digits with 4 dashes (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx).")
		}
		return g, nil
	case "System.TimeSpan":
		if d, ok := v.(time.Duration); ok {
			return d, nil
		}
		if n, ok := toInt(v); ok {
			return time.Duration(n) * 100, nil
		}
		return nil, fail("String was not recognized as a valid TimeSpan.")
	case "System.DateTime":
		if d, ok := v.(time.Time); ok {
			return d, nil
		}
		return nil, fail("String was not recognized as a valid DateTime.")
	case "System.Object[]", "System.Array":
		if v == nil {
			return []any{}, nil
		}
		return append([]any{}, enumerate(v)...), nil
	case "System.String[]":
		var out []any
		for _, e := range enumerate(v) {
			out = append(out, toString(e))
		}
		return out, nil
	case "System.Int32[]":
		var out []any
		for _, e := range enumerate(v) {
			n, ok := toInt(e)
			if !ok {
				return nil, fail("Input string was not in a correct format.")
			}
			out = append(out, int32(n))
		}
		return out, nil
	case "System.Management.Automation.PSObject":
		if h, ok := v.(*Hash); ok {
			o := Custom()
			for i, k := range h.Keys {
				o.Props = append(o.Props, Prop{Name: toString(k), Value: h.Values[i]})
			}
			return o, nil
		}
		return v, nil
	case "System.Collections.Specialized.OrderedDictionary", "System.Collections.Hashtable":
		if h, ok := v.(*Hash); ok {
			return h, nil
		}
		return nil, fail("Only hash literals can be cast.")
	case "System.Void":
		return nil, nil
	}
	return v, nil
}

// parseNumberString reads a JSON-ish number for ConvertFrom-Json.
func parseNumberString(s string) any {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return narrow(n)
	}
	f, _ := strconv.ParseFloat(s, 64)
	return f
}
