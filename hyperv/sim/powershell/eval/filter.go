package eval

// Where-Object, ForEach-Object and Sort-Object.

import (
	"sort"
	"strings"
)

// whereOps maps Where-Object's operator switches to the language's
// operators.
var whereOps = map[string]string{
	"EQ": "-eq", "CEQ": "-ceq", "NE": "-ne", "CNE": "-cne", "GT": "-gt", "CGT": "-cgt", "LT": "-lt", "CLT": "-clt",
	"GE": "-ge", "CGE": "-cge", "LE": "-le", "CLE": "-cle", "Like": "-like", "CLike": "-clike", "NotLike": "-notlike",
	"CNotLike": "-cnotlike", "Match": "-match", "CMatch": "-cmatch", "NotMatch": "-notmatch", "CNotMatch": "-cnotmatch",
	"Contains": "-contains", "CContains": "-ccontains", "NotContains": "-notcontains", "CNotContains": "-cnotcontains",
	"In": "-in", "CIn": "-cin", "NotIn": "-notin", "CNotIn": "-cnotin", "Is": "-is", "IsNot": "-isnot",
}

func whereObject(c *Call) error {
	if sb, ok := c.Params["FilterScript"].(*ScriptBlock); ok {
		for _, it := range c.inputs() {
			out, err := c.Invoke(sb, it)
			if err != nil {
				return err
			}
			if toBool(collapse(out)) {
				c.Out(it)
			}
		}
		return nil
	}
	prop := c.String("Property")
	op := ""
	for sw, o := range whereOps {
		if c.Has(sw) {
			op = o
		}
	}
	value, hasValue := c.Params["Value"]
	for _, it := range c.inputs() {
		v := getMember(it, prop)
		keep := toBool(v)
		if op != "" || hasValue {
			if op == "" {
				op = "-eq"
			}
			r, err := c.In.compareOp(op, v, value, c.Pos)
			if err != nil {
				return err
			}
			keep = toBool(r)
			if _, isArr := v.([]any); isArr && (op != "-contains" && op != "-notcontains") {
				keep = len(r.([]any)) > 0
			}
		}
		if keep {
			c.Out(it)
		}
	}
	return nil
}

func forEachObject(c *Call) error {
	if name := c.String("MemberName"); name != "" {
		args, _ := c.Params["ArgumentList"].([]any)
		for _, it := range c.inputs() {
			var v any
			var err error
			if _, isProp := hasMember(it, name); isProp || args == nil && !hasMethod(it, name) {
				v = getMember(it, name)
			} else if v, err = callMethod(it, name, args, c.Pos); err != nil {
				return err
			}
			for _, x := range enumerate(v) {
				if x != nil {
					c.Out(x)
				}
			}
		}
		return nil
	}
	run := func(sb *ScriptBlock, it any) error {
		if sb == nil {
			return nil
		}
		out, err := c.Invoke(sb, it)
		for _, x := range out {
			c.Out(x)
		}
		return err
	}
	begin, _ := c.Params["Begin"].(*ScriptBlock)
	process, _ := c.Params["Process"].(*ScriptBlock)
	end, _ := c.Params["End"].(*ScriptBlock)
	if err := run(begin, nil); err != nil {
		return err
	}
	for _, it := range c.inputs() {
		if err := run(process, it); err != nil {
			return err
		}
	}
	return run(end, nil)
}

// hasMethod reports a method callMethod knows for v.
func hasMethod(v any, name string) bool {
	switch strings.ToLower(name) {
	case "tostring", "gettype", "equals":
		return true
	}
	return false
}

// sortKey is one Sort-Object key.
type sortKey struct {
	name       string
	block      *ScriptBlock
	descending bool
}

func sortObject(c *Call) error {
	desc := c.Has("Descending")
	var keys []sortKey
	for _, p := range enumerate(c.Params["Property"]) {
		if p == nil {
			continue
		}
		k := sortKey{descending: desc}
		switch x := p.(type) {
		case *ScriptBlock:
			k.block = x
		case *Hash:
			for i, hk := range x.Keys {
				switch key := strings.ToLower(toString(hk)); {
				case strings.HasPrefix("expression", key):
					if sb, ok := x.Values[i].(*ScriptBlock); ok {
						k.block = sb
					} else {
						k.name = toString(x.Values[i])
					}
				case strings.HasPrefix("descending", key):
					k.descending = toBool(x.Values[i])
				case strings.HasPrefix("ascending", key):
					k.descending = !toBool(x.Values[i])
				}
			}
		default:
			k.name = toString(x)
		}
		keys = append(keys, k)
	}
	items := append([]any{}, c.inputs()...)
	values := make([][]any, len(items))
	for i, it := range items {
		if len(keys) == 0 {
			values[i] = []any{it}
			continue
		}
		for _, k := range keys {
			if k.block != nil {
				out, err := c.Invoke(k.block, it)
				if err != nil {
					return err
				}
				values[i] = append(values[i], collapse(out))
			} else {
				values[i] = append(values[i], getMember(it, k.name))
			}
		}
	}
	idx := make([]int, len(items))
	for i := range idx {
		idx[i] = i
	}
	cs := c.Has("CaseSensitive")
	sort.SliceStable(idx, func(a, b int) bool {
		for k := range values[idx[a]] {
			o, _ := order(values[idx[a]][k], values[idx[b]][k], cs)
			if o == 0 {
				continue
			}
			d := desc
			if k < len(keys) {
				d = keys[k].descending
			}
			return (o < 0) != d
		}
		return false
	})
	var last []any
	for n, i := range idx {
		if c.Has("Unique") && n > 0 {
			same := true
			for k := range values[i] {
				if o, _ := order(values[i][k], last[k], cs); o != 0 {
					same = false
				}
			}
			if same {
				continue
			}
		}
		last = values[i]
		c.Out(items[i])
	}
	return nil
}
