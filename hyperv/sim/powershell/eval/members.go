package eval

// Member access, method calls and indexing (§7.1.2–§7.1.4), with
// PowerShell 3's member enumeration over arrays and the intrinsic Count
// and Length of every scalar.

import (
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/powershell/lang"
)

// utf8Encoding is [System.Text.Encoding]::UTF8.
type utf8Encoding struct{}

// memberName evaluates the name after '.' or '::'.
func (in *Interp) memberName(e lang.Expr) (string, error) {
	v, err := in.eval(e)
	return toString(v), err
}

// member evaluates x.name and [type]::name.
func (in *Interp) member(x *lang.Member) (any, error) {
	obj, err := in.eval(x.X)
	if err != nil {
		return nil, err
	}
	name, err := in.memberName(x.Name)
	if err != nil {
		return nil, err
	}
	if x.Static {
		t, ok := obj.(*TypeLiteral)
		if !ok {
			return nil, nil
		}
		if t.Name == "System.Console" && strings.EqualFold(name, "In") {
			return in.consoleIn(), nil
		}
		return staticMember(t, name)
	}
	return getMember(obj, name), nil
}

// staticMember is [type]::name.
func staticMember(t *TypeLiteral, name string) (any, error) {
	switch strings.ToLower(t.Name + "::" + name) {
	case "system.text.encoding::utf8":
		return utf8Encoding{}, nil
	case "system.int32::maxvalue":
		return int32(1<<31 - 1), nil
	case "system.int32::minvalue":
		return int32(-1 << 31), nil
	case "system.int64::maxvalue":
		return int64(1<<63 - 1), nil
	case "system.string::empty":
		return "", nil
	}
	return nil, nil
}

// getMember reads a property: an object's, a hashtable's key, an array's
// elements' (member enumeration), or the intrinsic Count and Length.
func getMember(obj any, name string) any {
	if o, ok := obj.(*Object); ok { // most reads: found without lower-casing name
		if v, ok := o.Get(name); ok {
			return v
		}
	}
	ln := strings.ToLower(name)
	switch o := obj.(type) {
	case nil:
		if ln == "count" || ln == "length" {
			return int32(0)
		}
		return nil
	case *Hash:
		if v, ok := o.Get(name); ok {
			return v
		}
		switch ln {
		case "count":
			return int32(len(o.Keys))
		case "keys":
			return append([]any{}, o.Keys...)
		case "values":
			return append([]any{}, o.Values...)
		}
		return nil
	case []any:
		if ln == "count" || ln == "length" {
			return int32(len(o))
		}
		var out []any
		for _, e := range o {
			if v := getMember(e, name); v != nil {
				out = append(out, enumerate(v)...)
			}
		}
		return collapse(out)
	case string:
		if ln == "length" {
			return int32(len([]rune(o)))
		}
	case time.Duration:
		if v, ok := timeSpanProps(o)[ln]; ok {
			return v
		}
	case Enum:
		if ln == "value__" {
			return o.Value
		}
	}
	if ln == "count" || ln == "length" {
		return int32(1)
	}
	return nil
}

// timeSpanProps are a TimeSpan's properties by lower-case name.
func timeSpanProps(d time.Duration) map[string]any {
	m := map[string]any{}
	for _, p := range timeSpanObject(d).Props {
		m[strings.ToLower(p.Name)] = p.Value
	}
	return m
}

// invoke evaluates a method call.
func (in *Interp) invoke(x *lang.Invoke) (any, error) {
	obj, err := in.eval(x.X)
	if err != nil {
		return nil, err
	}
	name, err := in.memberName(x.Name)
	if err != nil {
		return nil, err
	}
	args := make([]any, len(x.Args))
	for i, a := range x.Args {
		if args[i], err = in.eval(a); err != nil {
			return nil, err
		}
	}
	if x.Static {
		t, ok := obj.(*TypeLiteral)
		if !ok {
			return nil, runtimeError(x.P, 1, "InvalidOperation", "InvokeMethodOnNull", "You cannot call a method on a null-valued expression.")
		}
		return staticMethod(t, name, args, x.P)
	}
	return callMethod(obj, name, args, x.P)
}

// methodNotFound is PowerShell's error for a method a type lacks.
func methodNotFound(obj any, name string, at lang.Pos) error {
	return runtimeError(at, 1, "InvalidOperation", "MethodNotFound", "Method invocation failed because ["+typeName(obj)+"] does not contain a method named '"+name+"'.")
}

// callMethod calls an instance method.
func callMethod(obj any, name string, args []any, at lang.Pos) (any, error) {
	ln := strings.ToLower(name)
	if obj == nil {
		return nil, runtimeError(at, 1, "InvalidOperation", "InvokeMethodOnNull", "You cannot call a method on a null-valued expression.")
	}
	switch ln {
	case "tostring":
		if len(args) == 0 {
			return toString(obj), nil
		}
	case "gettype":
		return NewObject("System.RuntimeType", Prop{"Name", shortName(typeName(obj))}, Prop{"FullName", typeName(obj)}), nil
	case "equals":
		if len(args) == 1 {
			eq, _ := equal(obj, args[0], true)
			return eq, nil
		}
	}
	if o, ok := obj.(*Object); ok && o.Methods[ln] != nil {
		v, err := o.Methods[ln](args)
		if err != nil {
			return nil, runtimeError(at, 1, "NotSpecified", "ComMethodTargetInvocation", `Exception calling "`+name+`" with "`+fmt.Sprint(len(args))+`" argument(s): "`+err.Error()+`"`)
		}
		return v, nil
	}
	str := func(i int) string { return toString(args[i]) }
	switch o := obj.(type) {
	case string:
		switch {
		case ln == "toupper" && len(args) == 0:
			return strings.ToUpper(o), nil
		case ln == "tolower" && len(args) == 0:
			return strings.ToLower(o), nil
		case ln == "trim" && len(args) == 0:
			return strings.TrimSpace(o), nil
		case ln == "contains" && len(args) == 1:
			return strings.Contains(o, str(0)), nil
		case ln == "startswith" && len(args) == 1:
			return strings.HasPrefix(o, str(0)), nil
		case ln == "endswith" && len(args) == 1:
			return strings.HasSuffix(o, str(0)), nil
		case ln == "replace" && len(args) == 2:
			return strings.ReplaceAll(o, str(0), str(1)), nil
		case ln == "split" && len(args) == 1:
			var out []any
			for _, s := range strings.FieldsFunc(o, func(r rune) bool { return strings.ContainsRune(str(0), r) }) {
				out = append(out, s)
			}
			return out, nil
		case ln == "indexof" && len(args) == 1:
			return int32(strings.Index(o, str(0))), nil
		case ln == "substring" && (len(args) == 1 || len(args) == 2):
			s, _ := toInt(args[0])
			rs := []rune(o)
			e := int64(len(rs))
			if len(args) == 2 {
				n, _ := toInt(args[1])
				e = s + n
			}
			if s < 0 || e > int64(len(rs)) || e < s {
				return nil, runtimeError(at, 1, "NotSpecified", "ArgumentOutOfRangeException", `Exception calling "Substring" with "`+fmt.Sprint(len(args))+`" argument(s): "Index and length must refer to a location within the string."`)
			}
			return string(rs[s:e]), nil
		}
	case *Hash:
		switch {
		case ln == "containskey" && len(args) == 1:
			_, ok := o.Get(args[0])
			return ok, nil
		case ln == "add" && len(args) == 2:
			o.Set(args[0], args[1])
			return nil, nil
		}
	case utf8Encoding:
		if ln == "getstring" && len(args) == 1 {
			b, ok := args[0].([]byte)
			if !ok {
				return nil, runtimeError(at, 1, "NotSpecified", "MethodArgumentConversionInvalidCastArgument", `Cannot convert argument "bytes", with value: "`+toString(args[0])+`", for "GetString" to type "System.Byte[]".`)
			}
			return strings.ToValidUTF8(string(b), "\uFFFD"), nil
		}
	case []any:
		if ln == "contains" && len(args) == 1 {
			for _, e := range o {
				if eq, _ := equal(e, args[0], true); eq {
					return true, nil
				}
			}
			return false, nil
		}
		var out []any
		for _, e := range o {
			v, err := callMethod(e, name, args, at)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return collapse(out), nil
	}
	return nil, methodNotFound(obj, name, at)
}

func shortName(full string) string {
	if i := strings.LastIndexByte(full, '.'); i >= 0 {
		return full[i+1:]
	}
	return full
}

// staticMethod calls [type]::name(args).
func staticMethod(t *TypeLiteral, name string, args []any, at lang.Pos) (any, error) {
	switch strings.ToLower(t.Name + "::" + name) {
	case "system.convert::frombase64string":
		if len(args) == 1 {
			b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(toString(args[0])), ""))
			if err != nil {
				return nil, &stmtError{rec: &ErrorRecord{Message: []string{`Exception calling "FromBase64String" with "1" argument(s): "The input is not a valid Base-64 string as it contains a non-base 64 character, more than two padding characters, or an illegal character among the padding characters. "`}, Category: "NotSpecified: (:) [], MethodInvocationException", ErrorID: "FormatException", Pos: at, Len: 1}}
			}
			return b, nil
		}
	case "system.math::round", "system.math::floor", "system.math::ceiling", "system.math::abs", "system.math::max", "system.math::min":
		return mathCall(strings.ToLower(name), args, at)
	}
	return nil, runtimeError(at, 1, "InvalidOperation", "MethodNotFound", "Method invocation failed because ["+t.Name+"] does not contain a method named '"+name+"'.")
}

// index evaluates x[i] (§7.1.4).
func (in *Interp) index(x *lang.Index) (any, error) {
	obj, err := in.eval(x.X)
	if err != nil {
		return nil, err
	}
	k, err := in.eval(x.Index)
	if err != nil {
		return nil, err
	}
	switch o := obj.(type) {
	case nil:
		return nil, runtimeError(x.P, 1, "InvalidOperation", "NullArray", "Cannot index into a null array.")
	case *Hash:
		v, _ := o.Get(k)
		return v, nil
	case []any:
		if ks, ok := k.([]any); ok {
			var out []any
			for _, e := range ks {
				if v, ok := indexArray(o, e); ok {
					out = append(out, v)
				}
			}
			return out, nil
		}
		v, _ := indexArray(o, k)
		return v, nil
	case string:
		v, ok := indexArray(stringChars(o), k)
		if !ok {
			return nil, nil
		}
		return v, nil
	}
	if n, ok := toInt(k); ok && (n == 0 || n == -1) {
		return obj, nil
	}
	return nil, nil
}

func indexArray(a []any, k any) (any, bool) {
	n, ok := toInt(k)
	if !ok {
		return nil, false
	}
	if n < 0 {
		n += int64(len(a))
	}
	if n < 0 || n >= int64(len(a)) {
		return nil, false
	}
	return a[n], true
}

func stringChars(s string) []any {
	var out []any
	for _, r := range s {
		out = append(out, string(r))
	}
	return out
}
