package eval

// Pipelines (§8.2) and command invocation (§8.2.1, §8.14 for splatting).

import (
	"strings"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/powershell/catalog"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/powershell/lang"
)

// pipeState is what one pipeline's commands share: whether any of them
// wrote an error (PowerShell's ExecutionFailed, which becomes $?).
type pipeState struct{ failed bool }

// aliases are Windows PowerShell 5.1's built-in aliases of the cataloged
// cmdlets (Get-Alias on a fresh 5.1 session).
var aliases = map[string]string{
	"?": "Where-Object", "where": "Where-Object", "%": "ForEach-Object", "foreach": "ForEach-Object",
	"select": "Select-Object", "sort": "Sort-Object", "measure": "Measure-Object", "gcm": "Get-Command",
	"gcim": "Get-CimInstance", "echo": "Write-Output", "write": "Write-Output", "sleep": "Start-Sleep",
}

// pipelineStatement runs a pipeline, writing its output through out, and
// sets $? from whether any of its commands failed.
func (in *Interp) pipelineStatement(p *lang.Pipeline, out func(any)) error {
	st := &pipeState{}
	var items []any
	for i, el := range p.Elements {
		last := i == len(p.Elements)-1
		var next []any
		emit := func(v any) { next = append(next, v) }
		if last {
			emit = out
		}
		switch e := el.(type) {
		case *lang.ExprElement:
			v, none, err := in.elementValue(e.X)
			if err != nil {
				in.setStatus(false)
				return err
			}
			if !none {
				for _, x := range enumerate(v) {
					emit(x)
				}
			}
		case *lang.Command:
			if err := in.command(e, items, i > 0, st, emit); err != nil {
				in.setStatus(false)
				return err
			}
		}
		items = next
	}
	in.setStatus(!st.failed)
	return nil
}

// elementValue evaluates an expression written to a pipeline. none
// reports a subexpression or a parenthesised pipeline that wrote nothing:
// its value is PowerShell's AutomationNull, which is $null where a value
// is read but writes nothing to a pipeline, so `$($y = 2)` and
// (Get-VM | Where-Object Name -eq 'z') alone output nothing and
// @($($y = 2)) is empty, while $($null) and ($null) write one $null. A
// variable assigned nothing is nothing too, where one set to $null writes
// its $null.
func (in *Interp) elementValue(e lang.Expr) (v any, none bool, err error) {
	switch x := e.(type) {
	case *lang.Variable:
		if in.holdsNothing(x.Name) {
			return nil, true, nil
		}
	case *lang.SubExpr:
		if x.Array {
			break
		}
		items, err := in.subExprItems(x)
		if err != nil {
			return nil, false, err
		}
		return collapse(items), len(items) == 0, nil
	case *lang.Paren:
		p, ok := x.Pipe.(*lang.Pipeline)
		if !ok {
			break
		}
		// An expression in parentheses is its own value, as statementValue
		// reads it, so ($($y = 2)) is as empty as $($y = 2).
		if len(p.Elements) == 1 {
			if el, ok := p.Elements[0].(*lang.ExprElement); ok {
				return in.elementValue(el.X)
			}
		}
		items, err := in.pipelineItems(p)
		if err != nil {
			return nil, false, err
		}
		return collapse(items), len(items) == 0, nil
	}
	v, err = in.eval(e)
	return v, false, err
}

// enumerate unrolls a value written to a pipeline: an array's elements, or
// the value itself; $null from an expression is written as one $null.
func enumerate(v any) []any {
	if a, ok := v.([]any); ok {
		return a
	}
	return []any{v}
}

// command resolves, binds and runs one command.
func (in *Interp) command(c *lang.Command, input []any, hasInput bool, st *pipeState, out func(any)) error {
	name := c.Name
	if a, ok := aliases[strings.ToLower(name)]; ok {
		name = a
	}
	cm, fn, ok := in.resolve(name)
	if !ok {
		return &stmtError{rec: CommandNotFound(c.Name, c.P, c.NameLen)}
	}
	args, src, err := in.arguments(c)
	if err != nil {
		return err
	}
	b, berr := cm.Bind(args, hasInput)
	if berr != nil {
		at, n := c.P, c.NameLen
		if berr.Arg >= 0 {
			a := c.Args[src[berr.Arg]]
			at, n = a.P, max(len([]rune(a.ParamText)), 1)
			if a.Splat != "" {
				n = len(a.Splat) + 1
			} else if a.Param == "" {
				n = max(len([]rune(args[berr.Arg].Text)), 1)
			}
		}
		return &stmtError{rec: &ErrorRecord{Command: cm.Name, Message: []string{berr.Message}, Category: "InvalidArgument: (:) [" + cm.Name + "], ParameterBindingException", ErrorID: berr.ID + "," + cm.Class, Pos: at, Len: n}}
	}
	call := &Call{In: in, Cmd: cm, Set: b.Set, Params: map[string]any{}, Input: input, HasInput: hasInput, Pos: c.P, NameLen: c.NameLen, out: out, pipe: st}
	for pname, v := range b.Values {
		cv, err := call.convert(v)
		if err != nil {
			return err
		}
		call.Params[pname] = cv
	}
	call.action = in.errorAction()
	if v, ok := call.Params["ErrorAction"]; ok {
		call.action = preferenceName(v)
	}
	return fn(call)
}

// resolve finds a command: the catalog's signature and its implementation,
// built in or from the host.
func (in *Interp) resolve(name string) (*catalog.Cmdlet, CmdletFunc, bool) {
	cm, ok := in.Catalog.Lookup(name)
	if !ok {
		return nil, nil, false
	}
	if fn, ok := builtins[cm.Name]; ok {
		return cm, fn, true
	}
	if in.Host == nil {
		return nil, nil, false
	}
	fn, ok := in.Host.Cmdlet(cm.Name)
	return cm, fn, ok
}

// Has reports whether the host can run the command name, as Get-Command
// finds it.
func (in *Interp) Has(name string) (*catalog.Cmdlet, bool) {
	cm, _, ok := in.resolve(name)
	return cm, ok
}

// arguments evaluates a command's arguments for the binder, expanding
// splatted hashtables (named) and arrays (positional); src maps each to
// the source argument it came from.
func (in *Interp) arguments(c *lang.Command) (out []catalog.Arg, src []int, err error) {
	for i, a := range c.Args {
		for len(src) < len(out) {
			src = append(src, i-1)
		}
		switch {
		case a.Splat != "":
			v, _ := in.lookup(a.Splat)
			switch s := v.(type) {
			case *Hash:
				for i, k := range s.Keys {
					out = append(out, catalog.Arg{Name: toString(k), Text: "-" + toString(k), Attached: true, Value: s.Values[i]})
				}
			case nil:
			default:
				for _, x := range enumerate(s) {
					out = append(out, catalog.Arg{Value: x, Text: toString(x)})
				}
			}
		case a.Param != "":
			arg := catalog.Arg{Name: a.Param, Text: a.ParamText, Attached: a.Colon, Switch: !a.Colon}
			if a.Colon {
				v, err := in.eval(a.Value)
				if err != nil {
					return nil, nil, err
				}
				arg.Value = v
			}
			out = append(out, arg)
		default:
			v, err := in.eval(a.Value)
			if err != nil {
				return nil, nil, err
			}
			_, isBlock := v.(*ScriptBlock)
			out = append(out, catalog.Arg{Value: v, Text: toString(v), ScriptBlock: isBlock})
		}
	}
	for len(src) < len(out) {
		src = append(src, len(c.Args)-1)
	}
	return out, src, nil
}
