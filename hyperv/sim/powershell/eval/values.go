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
// form is what its literal reads like). Keys change only by Set or by
// appending to both slices.
type Hash struct {
	Keys   []any
	Values []any

	// index finds an ASCII string key's position by its lower-case form
	// once the hash has hashIndexMin keys: a script that fills a hash per
	// VM and reads it per VM was quadratic. It is in step with Keys while
	// indexed is len(Keys); noIndex is the length at which a key was found
	// that is a non-ASCII string, which lower-casing does not compare as
	// strings.EqualFold does (the hash is then searched key by key).
	index   map[string]int
	indexed int
	noIndex int
}

// hashIndexMin is the size from which a Hash indexes its string keys.
const hashIndexMin = 8

func (h *Hash) find(k any) int {
	ks, isStr := k.(string)
	if isStr && len(h.Keys) >= hashIndexMin {
		if i, ok := h.indexFind(ks); ok {
			return i
		}
	}
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

// indexFind finds string key k through the index; ok is false when the
// index cannot answer (k or a key is not ASCII).
func (h *Hash) indexFind(k string) (i int, ok bool) {
	if !isASCII(k) || h.noIndex == len(h.Keys) {
		return 0, false
	}
	if h.index == nil || h.indexed != len(h.Keys) {
		h.index = make(map[string]int, len(h.Keys))
		h.indexed = 0
		for j, x := range h.Keys {
			xs, isStr := x.(string)
			if !isStr {
				continue
			}
			if !isASCII(xs) {
				h.index, h.noIndex = nil, len(h.Keys)
				return 0, false
			}
			if _, dup := h.index[strings.ToLower(xs)]; !dup {
				h.index[strings.ToLower(xs)] = j
			}
		}
		h.indexed = len(h.Keys)
	}
	if i, found := h.index[strings.ToLower(k)]; found {
		return i, true
	}
	return -1, true
}

// isASCII reports whether s has only ASCII characters.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
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
	if ks, isStr := k.(string); isStr && h.index != nil && h.indexed == len(h.Keys) {
		if isASCII(ks) {
			h.index[strings.ToLower(ks)] = len(h.Keys)
			h.indexed++
		} else {
			h.index = nil
		}
	} else if h.index != nil && h.indexed == len(h.Keys) {
		h.indexed++ // a key that is no string is not indexed
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
