package eval

// Values. PowerShell's are .NET objects; here each .NET type the cmdlets
// and the language produce has a Go form:
//
//	$null         nil
//	bool          bool
//	Int32, Int64  int32, int64
//	Double        float64
//	String        string
//	DateTime      time.Time
//	TimeSpan      time.Duration
//	Guid          Guid
//	enums         Enum
//	arrays        []any
//	hashtables    *Hash
//	script blocks *ScriptBlock
//	objects       *Object (PSCustomObject or a typed object)

import (
	"strings"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/powershell/lang"
)

// Guid is a System.Guid in its lower-case dashed form.
type Guid string

// Enum is a value of a .NET enum type.
type Enum struct {
	Type  string // "Microsoft.HyperV.PowerShell.VMState"
	Name  string // "Running"
	Value int64  // 2
}

// String returns the enum's name, as PowerShell converts it to a string.
func (e Enum) String() string { return e.Name }

// Prop is one property of an object.
type Prop struct {
	Name  string
	Value any
}

// Object is a PSObject: its type names (most derived first) and its
// properties in order.
type Object struct {
	TypeNames []string
	Props     []Prop
	// Methods are the object's own methods by lower-case name (a COM
	// object's, say); the common ones (ToString, GetType) need none.
	Methods map[string]func(args []any) (any, error)
	// Text is what ToString() returns; "" uses the PSCustomObject form
	// "@{a=1; b=2}" for custom objects and the type name for others.
	Text string

	record *ErrorRecord // the record an ErrorRecord object stands for
}

// NewObject builds a typed object.
func NewObject(typeName string, props ...Prop) *Object {
	return &Object{TypeNames: []string{typeName, "System.Object"}, Props: props}
}

// Custom builds a PSCustomObject.
func Custom(props ...Prop) *Object {
	return &Object{TypeNames: []string{"System.Management.Automation.PSCustomObject", "System.Object"}, Props: props}
}

// Get returns the property named name, case-insensitively.
func (o *Object) Get(name string) (any, bool) {
	for _, p := range o.Props {
		if strings.EqualFold(p.Name, name) {
			return p.Value, true
		}
	}
	return nil, false
}

// Set sets (or adds) a property.
func (o *Object) Set(name string, v any) {
	for i, p := range o.Props {
		if strings.EqualFold(p.Name, name) {
			o.Props[i].Value = v
			return
		}
	}
	o.Props = append(o.Props, Prop{Name: name, Value: v})
}

// IsCustom reports a PSCustomObject.
func (o *Object) IsCustom() bool {
	return len(o.TypeNames) > 0 && o.TypeNames[0] == "System.Management.Automation.PSCustomObject"
}

// Hash is a System.Collections.Hashtable, keys compared case-insensitively,
// kept in insertion order (PowerShell's own order is by hash; an ordered
// form is what its literal reads like).
type Hash struct {
	Keys   []any
	Values []any
}

func (h *Hash) find(k any) int {
	ks, isStr := k.(string)
	for i, x := range h.Keys {
		if xs, ok := x.(string); ok && isStr {
			if strings.EqualFold(xs, ks) {
				return i
			}
		} else if x == k {
			return i
		}
	}
	return -1
}

// Get returns the value at key k.
func (h *Hash) Get(k any) (any, bool) {
	if i := h.find(k); i >= 0 {
		return h.Values[i], true
	}
	return nil, false
}

// Set sets key k.
func (h *Hash) Set(k, v any) {
	if i := h.find(k); i >= 0 {
		h.Values[i] = v
		return
	}
	h.Keys = append(h.Keys, k)
	h.Values = append(h.Values, v)
}

// ScriptBlock is a script block value.
type ScriptBlock struct {
	Body *lang.Script
}

// String returns the block's text, as ToString() does.
func (s *ScriptBlock) String() string { return s.Body.Source }

// typeName is the .NET type name of a value, as error messages print it.
func typeName(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "System.Boolean"
	case int32:
		return "System.Int32"
	case int64:
		return "System.Int64"
	case float64:
		return "System.Double"
	case string:
		return "System.String"
	case time.Time:
		return "System.DateTime"
	case time.Duration:
		return "System.TimeSpan"
	case Guid:
		return "System.Guid"
	case Enum:
		return x.Type
	case []any:
		return "System.Object[]"
	case []byte:
		return "System.Byte[]"
	case *Hash:
		return "System.Collections.Hashtable"
	case *ScriptBlock:
		return "System.Management.Automation.ScriptBlock"
	case *Object:
		return x.TypeNames[0]
	}
	return "System.Object"
}
