package catalog

// Parameter binding as PowerShell's binder does it (about_Parameters,
// about_Parameter_Sets): named parameters first, by full name, alias or
// unique prefix; then positional arguments by position within the
// parameter sets still possible; then the parameter set, and its
// mandatory parameters.

import (
	"sort"
	"strings"
)

// Arg is one argument as written: a parameter (Name set) with or without
// an attached value, or a plain value.
type Arg struct {
	Name     string // parameter name without the dash; "" for a plain value
	Text     string // as written, for messages ("-Foo")
	Attached bool   // -Name:value, or a splatted named value
	Value    any    // opaque to the binder
	Switch   bool   // a bare parameter with no value attached
	// ScriptBlock marks a script block value: PowerShell binds it by
	// position to a ScriptBlock parameter before any that would need a
	// conversion, and a plain value never to one.
	ScriptBlock bool
}

// Bound is a successful binding.
type Bound struct {
	Set    string
	Values map[string]Value // by canonical parameter name
}

// Value is one bound parameter.
type Value struct {
	Param *Param
	Value any
	Arg   int  // index of the argument that supplied it
	IsSet bool // a switch given without a value
}

// BindError is a ParameterBindingException: its id (the part of the
// FullyQualifiedErrorId before the comma) and message; Arg is the index
// of the argument it is about, -1 when none.
type BindError struct {
	ID      string
	Message string
	Arg     int
}

func (e *BindError) Error() string { return e.ID + ": " + e.Message }

// resolve finds the parameter name n means: exact name or alias, else the
// unique parameter whose name or alias starts with it.
func (cm *Cmdlet) resolve(n string) (*Param, []string) {
	ps := cm.AllParams()
	for i := range ps {
		if strings.EqualFold(ps[i].Name, n) {
			return &ps[i], nil
		}
		for _, a := range ps[i].Aliases {
			if strings.EqualFold(a, n) {
				return &ps[i], nil
			}
		}
	}
	var hits []int
	for i := range ps {
		match := strings.HasPrefix(lower(ps[i].Name), lower(n))
		for _, a := range ps[i].Aliases {
			match = match || strings.HasPrefix(lower(a), lower(n))
		}
		if match {
			hits = append(hits, i)
		}
	}
	if len(hits) == 1 {
		return &ps[hits[0]], nil
	}
	var names []string
	for _, h := range hits {
		names = append(names, ps[h].Name)
	}
	return nil, names
}

// Param looks a parameter up by its canonical name.
func (cm *Cmdlet) Param(name string) (*Param, bool) {
	p, _ := cm.resolve(name)
	if p == nil || !strings.EqualFold(p.Name, name) {
		return nil, false
	}
	return p, true
}

// Bind binds args to cm's parameters; hasInput says whether pipeline
// input will arrive (the command is not first in its pipeline).
func (cm *Cmdlet) Bind(args []Arg, hasInput bool) (*Bound, *BindError) {
	b := &Bound{Values: make(map[string]Value)}
	var positional []int
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a.Name == "" {
			positional = append(positional, i)
			continue
		}
		p, amb := cm.resolve(a.Name)
		if p == nil {
			if len(amb) > 1 {
				return nil, &BindError{ID: "AmbiguousParameter", Arg: i, Message: "Parameter cannot be processed because the parameter name '" + a.Name + "' is ambiguous. Possible matches include: -" + strings.Join(amb, " -") + "."}
			}
			return nil, &BindError{ID: "NamedParameterNotFound", Arg: i, Message: "A parameter cannot be found that matches parameter name '" + a.Name + "'."}
		}
		if _, dup := b.Values[p.Name]; dup {
			return nil, &BindError{ID: "ParameterAlreadyBound", Arg: i, Message: "Cannot bind parameter because parameter '" + p.Name + "' is specified more than once. To provide multiple values to parameters that can accept multiple values, use the array syntax. For example, \"-parameter value1,value2,value3\"."}
		}
		v := Value{Param: p, Arg: i, Value: a.Value}
		switch {
		case a.Attached:
		case p.Switch():
			v.IsSet = true
		case i+1 < len(args) && args[i+1].Name == "":
			i++
			v.Value = args[i].Value
		default:
			return nil, &BindError{ID: "MissingArgument", Arg: i, Message: "Missing an argument for parameter '" + p.Name + "'. Specify a parameter of type '" + typeName(p.Type) + "' and try again."}
		}
		b.Values[p.Name] = v
	}
	sets := cm.candidateSets(b)
	if len(sets) == 0 {
		return nil, &BindError{ID: "AmbiguousParameterSet", Arg: -1, Message: "Parameter set cannot be resolved using the specified named parameters."}
	}
	sets, err := cm.bindPositional(b, args, positional, sets)
	if err != nil {
		return nil, err
	}
	return cm.chooseSet(b, sets, hasInput)
}

// typeName is a parameter type as the binder's messages print it.
func typeName(t string) string {
	if t == "switch" {
		return "System.Management.Automation.SwitchParameter"
	}
	return t
}

// candidateSets are the sets every bound parameter belongs to.
func (cm *Cmdlet) candidateSets(b *Bound) []string {
	var out []string
	for _, s := range cm.Sets {
		ok := true
		for _, v := range b.Values {
			if _, in := v.Param.in(s); !in {
				ok = false
			}
		}
		if ok {
			out = append(out, s)
		}
	}
	return out
}

// bindPositional binds plain arguments by position, in ascending position
// order over the sets still possible, preferring the default set's
// parameter when two share a position.
func (cm *Cmdlet) bindPositional(b *Bound, args []Arg, positional []int, sets []string) ([]string, *BindError) {
	for len(positional) > 0 {
		type slot struct {
			p   *Param
			pos int
		}
		var slots []slot
		ps := cm.AllParams()
		for i := range ps {
			if _, done := b.Values[ps[i].Name]; done {
				continue
			}
			best := -1
			for _, s := range sets {
				if u, in := ps[i].in(s); in && u.Position >= 0 && (best < 0 || u.Position < best) {
					best = u.Position
				}
			}
			if best >= 0 {
				slots = append(slots, slot{&ps[i], best})
			}
		}
		if len(slots) == 0 {
			i := positional[0]
			return nil, &BindError{ID: "PositionalParameterNotFound", Arg: i, Message: "A positional parameter cannot be found that accepts argument '" + argText(args[i]) + "'."}
		}
		sort.SliceStable(slots, func(i, j int) bool { return slots[i].pos < slots[j].pos })
		isBlock := args[positional[0]].ScriptBlock
		var same []slot
		for _, s := range slots {
			if s.pos == slots[0].pos {
				same = append(same, s)
			}
		}
		pick := same[0]
		score := func(s slot) int {
			n := 0
			if strings.Contains(s.p.Type, "ScriptBlock") == isBlock {
				n += 2
			}
			if _, in := s.p.in(cm.DefaultSet); in {
				n++
			}
			return n
		}
		for _, s := range same[1:] {
			if score(s) > score(pick) {
				pick = s
			}
		}
		if pick.p.Remaining {
			vals := make([]any, 0, len(positional))
			for _, i := range positional {
				vals = append(vals, args[i].Value)
			}
			b.Values[pick.p.Name] = Value{Param: pick.p, Value: vals, Arg: positional[0]}
			positional = nil
		} else {
			b.Values[pick.p.Name] = Value{Param: pick.p, Value: args[positional[0]].Value, Arg: positional[0]}
			positional = positional[1:]
		}
		sets = cm.candidateSets(b)
	}
	return sets, nil
}

// argText is an argument as the binder's messages show it.
func argText(a Arg) string {
	if s, ok := a.Value.(interface{ String() string }); ok {
		return s.String()
	}
	if s, ok := a.Value.(string); ok {
		return s
	}
	return a.Text
}

// chooseSet picks the parameter set among those still possible: the only
// one whose mandatory parameters are all present (pipeline-bound ones
// count when input arrives), else the default set among those, else the
// first declared; when none is complete, the missing mandatory parameters
// of the default (or first) set are the error.
func (cm *Cmdlet) chooseSet(b *Bound, sets []string, hasInput bool) (*Bound, *BindError) {
	missing := func(s string) []string {
		var out []string
		for _, p := range cm.Params {
			u, in := p.in(s)
			if !in || !u.Mandatory {
				continue
			}
			if _, ok := b.Values[p.Name]; ok || (p.Pipeline && hasInput) {
				continue
			}
			out = append(out, p.Name)
		}
		return out
	}
	var complete []string
	for _, s := range sets {
		if len(missing(s)) == 0 {
			complete = append(complete, s)
		}
	}
	switch {
	case len(complete) == 1:
		b.Set = complete[0]
	case len(complete) > 1:
		b.Set = ""
		for _, s := range complete {
			if s == cm.DefaultSet {
				b.Set = s
			}
		}
		if b.Set == "" {
			// Sets that differ only in optional parameters none of which
			// was given (Move-VM's single- and multiple-destination sets):
			// the first declared.
			b.Set = complete[0]
		}
	default:
		s := sets[0]
		for _, c := range sets {
			if c == cm.DefaultSet {
				s = c
			}
		}
		return nil, &BindError{ID: "MissingMandatoryParameter", Arg: -1, Message: "Cannot process command because of one or more missing mandatory parameters: " + strings.Join(missing(s), " ") + "."}
	}
	return b, nil
}
