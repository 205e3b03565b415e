package eval

// Select-Object (5.1): property names with wildcards, calculated
// properties @{Name/Label=…; Expression=…} whose script block failures
// read as $null (the cmdlet evaluates them with exceptions eaten),
// -ExpandProperty, -First, -Last, -Skip, -Unique and -Index.

import (
	"slices"
	"strings"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/powershell/lang"
)

// selector is one entry of -Property.
type selector struct {
	name  string       // output name, or a wildcard pattern for plain names
	block *ScriptBlock // calculated property's script block
	expr  string       // calculated property naming another property
	plain bool
}

// selectors reads -Property's entries. Without -Property, or with $null
// or an empty list, there are none, and Select-Object passes its input
// objects on as they are.
func (c *Call) selectors(list any) ([]selector, error) {
	if list == nil {
		return nil, nil
	}
	var out []selector
	for _, e := range enumerate(list) {
		h, ok := e.(*Hash)
		if !ok {
			out = append(out, selector{name: toString(e), plain: true})
			continue
		}
		var s selector
		for i, k := range h.Keys {
			key := strings.ToLower(toString(k))
			v := h.Values[i]
			switch {
			case key != "" && (strings.HasPrefix("name", key) || strings.HasPrefix("label", key)):
				s.name = toString(v)
			case key != "" && strings.HasPrefix("expression", key):
				if sb, ok := v.(*ScriptBlock); ok {
					s.block = sb
				} else {
					s.expr = toString(v)
				}
			default:
				return nil, c.Fail(c.Record("InvalidArgument", ":", "NotSupportedException", "DictionaryKeyIllegal", "The "+toString(k)+" key is not valid."))
			}
		}
		if s.block == nil && s.expr == "" {
			return nil, c.Fail(c.Record("InvalidArgument", ":", "NotSupportedException", "DictionaryKeyMandatoryEntry", "The \"expression\" key is missing."))
		}
		if s.name == "" {
			s.name = s.expr
			if s.block != nil {
				s.name = strings.TrimSpace(s.block.String())
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// propsOf lists an object's properties for wildcard selection.
func propsOf(v any) []Prop {
	switch o := v.(type) {
	case *Object:
		return o.Props
	case *Hash:
		var out []Prop
		for i, k := range o.Keys {
			out = append(out, Prop{toString(k), o.Values[i]})
		}
		return out
	}
	return nil
}

func selectObject(c *Call) error {
	// Select-Object ignores $null input: it is neither written nor counted
	// by -First, -Last, -Skip or -Index.
	var items []any
	for _, it := range c.inputs() {
		if it != nil {
			items = append(items, it)
		}
	}
	if idx, ok := c.Params["Index"].([]int64); ok {
		var picked []any
		for _, i := range idx {
			if v, ok := indexArray(items, i); ok {
				picked = append(picked, v)
			}
		}
		items = picked
	}
	first, hasFirst := c.Params["First"].(int64)
	last, hasLast := c.Params["Last"].(int64)
	skip, _ := c.Params["Skip"].(int64)
	skip = max(skip, 0)
	first, last = max(first, 0), max(last, 0)
	if last > 0 && first == 0 {
		// With -Last and no -First, -Skip counts from the end, so
		// -Last 2 -Skip 1 selects the two objects before the last one.
		items = items[:max(len(items)-int(skip), 0)]
	} else {
		items = items[min(int(skip), len(items)):]
	}
	if n, ok := c.Params["SkipLast"].(int64); ok {
		items = items[:max(len(items)-int(max(n, 0)), 0)]
	}
	if hasFirst || hasLast {
		// The first objects are written as they come and -Last takes the
		// last of those that follow, so an object is written once even
		// when -First and -Last together ask for more than there are.
		head := items[:min(int(first), len(items))]
		rest := items[len(head):]
		keep := slices.Clone(head)
		if last > 0 {
			keep = append(keep, rest[max(len(rest)-int(last), 0):]...)
		}
		items = keep
	}
	sels, err := c.selectors(c.Params["Property"])
	if err != nil {
		return err
	}
	expand := c.String("ExpandProperty")
	_, hasExpand := c.Params["ExpandProperty"]
	var seen []any
	var names selectedNames
	for _, it := range items {
		out := it
		if len(sels) > 0 {
			o, err := c.project(it, sels, &names)
			if err != nil {
				return err
			}
			out = o
		}
		if hasExpand {
			v, ok := hasMember(it, expand)
			if !ok {
				if err := c.WriteError(c.Record("InvalidArgument", toString(it)+":PSObject", "PSArgumentException", "ExpandPropertyNotFound", "Property \""+expand+"\" cannot be found.")); err != nil {
					return err
				}
				continue
			}
			for _, x := range enumerate(v) {
				c.Out(x)
			}
			continue
		}
		if c.Has("Unique") {
			dup := false
			for _, s := range seen {
				if toString(s) == toString(out) {
					dup = true
				}
			}
			if dup {
				continue
			}
			seen = append(seen, out)
		}
		c.Out(out)
	}
	return nil
}

// hasMember reads a property that must exist.
func hasMember(v any, name string) (any, bool) {
	switch o := v.(type) {
	case *Object:
		return o.Get(name)
	case *Hash:
		return o.Get(name)
	}
	x := getMember(v, name)
	return x, x != nil
}

// selectedNames are the type names of the last type projected: the
// objects of one type share them (type names are never changed).
type selectedNames struct {
	typ   string
	names []string
}

// project builds the Selected.<type> object for one input.
func (c *Call) project(it any, sels []selector, names *selectedNames) (*Object, error) {
	if typ := typeName(it); names.names == nil || typ != names.typ {
		names.typ, names.names = typ, []string{"Selected." + typ, "System.Management.Automation.PSCustomObject", "System.Object"}
	}
	o := &Object{TypeNames: names.names, Props: make([]Prop, 0, len(sels))}
	for _, s := range sels {
		switch {
		case s.plain && strings.ContainsAny(s.name, "*?["):
			re := wildcard(s.name, false)
			for _, p := range propsOf(it) {
				if re.MatchString(p.Name) {
					o.Set(p.Name, p.Value)
				}
			}
		case s.plain:
			v, _ := hasMember(it, s.name)
			name := s.name
			for _, p := range propsOf(it) {
				if strings.EqualFold(p.Name, s.name) {
					name = p.Name
				}
			}
			o.Set(name, v)
		case s.block != nil:
			if v, ok := c.In.expressionBlock(s.block, it); ok {
				o.Set(s.name, v)
				continue
			}
			c.In.eating++
			out, err := c.Invoke(s.block, it)
			c.In.eating--
			if err != nil {
				if _, ok := err.(*exitSignal); ok {
					return nil, err
				}
				out = nil // Select-Object evaluates calculated properties with exceptions eaten
			}
			o.Set(s.name, collapse(out))
		default:
			o.Set(s.name, getMember(it, s.expr))
		}
	}
	return o, nil
}

// expressionBlock evaluates a script block that is one expression, such
// as a calculated property's {$_.Name}, with $_ set to item: what running
// it would output, collapsed, without the statement and pipeline
// machinery (most of Select-Object's time on a poll's hundreds of
// samples). ok is false for any other block, and when the expression
// fails: the caller then runs the block the usual way, so that the
// failure is handled as it always is.
func (in *Interp) expressionBlock(sb *ScriptBlock, item any) (v any, ok bool) {
	if len(sb.Body.Statements) != 1 {
		return nil, false
	}
	p, isPipe := sb.Body.Statements[0].(*lang.Pipeline)
	if !isPipe || len(p.Elements) != 1 {
		return nil, false
	}
	e, isExpr := p.Elements[0].(*lang.ExprElement)
	if !isExpr || in.Ctx.Err() != nil {
		return nil, false
	}
	scope := in.pushItemScope(item)
	v, err := in.eval(e.X)
	in.popItemScope(scope)
	if err != nil {
		return nil, false
	}
	in.setStatus(true)
	// As the pipeline writes it: an array unrolled, then collapsed.
	if a, isArray := v.([]any); isArray {
		return collapse(slices.Clone(a)), true
	}
	return v, true
}
