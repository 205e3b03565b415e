package eval

// One cmdlet invocation as its implementation sees it.

import (
	"context"
	"fmt"
	"strings"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/powershell/catalog"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/powershell/lang"
)

// Call is one running cmdlet: its bound parameters, converted to their
// types, its pipeline input, and where it writes.
type Call struct {
	In       *Interp
	Cmd      *catalog.Cmdlet
	Set      string         // the parameter set bound
	Params   map[string]any // by canonical name; switches as bool
	Input    []any          // pipeline input, all of it
	HasInput bool
	Pos      lang.Pos
	NameLen  int

	action string // the effective ErrorAction
	out    func(any)
	pipe   *pipeState
}

// Ctx is the command's context: cancelled when the client stops it.
func (c *Call) Ctx() context.Context { return c.In.Ctx }

// Has reports whether parameter name was bound (a switch: and set).
func (c *Call) Has(name string) bool {
	v, ok := c.Params[name]
	if b, isBool := v.(bool); ok && isBool && c.isSwitch(name) {
		return b
	}
	return ok
}

func (c *Call) isSwitch(name string) bool {
	p, ok := c.Cmd.Param(name)
	return ok && p.Switch()
}

// Param returns a bound parameter's value, nil when unbound.
func (c *Call) Param(name string) any { return c.Params[name] }

// String returns a bound string parameter.
func (c *Call) String(name string) string {
	s, _ := c.Params[name].(string)
	return s
}

// Strings returns a bound string-array parameter.
func (c *Call) Strings(name string) []string {
	s, _ := c.Params[name].([]string)
	return s
}

// Out writes an object to the output stream.
func (c *Call) Out(v any) { c.out(v) }

// Record builds an error record of this cmdlet: category "cat: (target)
// [Cmdlet], exception", FullyQualifiedErrorId "id,Class".
func (c *Call) Record(category, target, exception, id string, msg ...string) *ErrorRecord {
	return &ErrorRecord{
		Command:  c.Cmd.Name,
		Message:  msg,
		Category: fmt.Sprintf("%s: (%s) [%s], %s", category, target, c.Cmd.Name, exception),
		ErrorID:  id + "," + c.Cmd.Class,
		Pos:      c.Pos,
		Len:      c.NameLen,
	}
}

// WriteError writes a non-terminating error as the effective ErrorAction
// says: Stop makes it terminating (the returned error, to be returned);
// Continue writes it; SilentlyContinue and Ignore drop it. Every one marks
// the pipeline failed, as $? then shows.
func (c *Call) WriteError(rec *ErrorRecord) error {
	c.pipe.failed = true
	switch c.action {
	case "Stop":
		return &Terminating{Rec: rec}
	case "SilentlyContinue", "Ignore":
		return nil
	}
	c.In.Errors = append(c.In.Errors, rec)
	return nil
}

// Fail is a statement-terminating error (ThrowTerminatingError).
func (c *Call) Fail(rec *ErrorRecord) error { return &stmtError{rec: rec} }

// Invoke runs a script block with $_ set to item, in a child scope,
// returning its output.
func (c *Call) Invoke(sb *ScriptBlock, item any) ([]any, error) {
	return c.In.invokeBlock(sb, item)
}

// invokeBlock runs a script block in a child scope with $_ set.
func (in *Interp) invokeBlock(sb *ScriptBlock, item any) ([]any, error) {
	scope := in.pushItemScope(item)
	defer in.popItemScope(scope)
	var out []any
	err := in.statements(sb.Body.Statements, func(v any) { out = append(out, v) })
	if f, ok := err.(*flowSignal); ok && f.keyword == "return" {
		err = nil
	}
	return out, err
}

// convert converts a bound value to its parameter's type, failing as the
// binder does (CannotConvertArgumentNoMessage, argument validation).
func (c *Call) convert(v catalog.Value) (any, error) {
	p := v.Param
	bindErr := func(id, msg string) error {
		return &stmtError{rec: &ErrorRecord{Command: c.Cmd.Name, Message: []string{msg}, Category: "InvalidArgument: (:) [" + c.Cmd.Name + "], ParameterBindingException", ErrorID: id + "," + c.Cmd.Class, Pos: c.Pos, Len: c.NameLen}}
	}
	cannot := func(x any, target, why string) error {
		return bindErr("CannotConvertArgumentNoMessage", fmt.Sprintf(`Cannot bind parameter '%s'. Cannot convert value "%s" to type "%s". Error: "%s"`, p.Name, toString(x), target, why))
	}
	if p.Switch() {
		if v.IsSet {
			return true, nil
		}
		return toBool(v.Value), nil
	}
	x := v.Value
	t := p.Type
	if strings.HasPrefix(t, "System.Nullable[") {
		t = strings.TrimSuffix(strings.TrimPrefix(t, "System.Nullable["), "]")
	}
	switch t {
	case "System.String":
		if x == nil {
			return nil, nil
		}
		return toString(x), nil
	case "System.String[]":
		if x == nil {
			return []string(nil), nil
		}
		var out []string
		for _, e := range enumerate(x) {
			out = append(out, toString(e))
		}
		return out, nil
	case "System.Int32", "System.Int64", "System.UInt32":
		n, ok := toInt(x)
		if !ok {
			return nil, cannot(x, p.Type, "Input string was not in a correct format.")
		}
		return n, nil
	case "System.Int32[]":
		var out []int64
		for _, e := range enumerate(x) {
			n, ok := toInt(e)
			if !ok {
				return nil, cannot(e, "System.Int32", "Input string was not in a correct format.")
			}
			out = append(out, n)
		}
		return out, nil
	case "System.Guid[]":
		var out []Guid
		for _, e := range enumerate(x) {
			g, ok := ParseGUID(toString(e))
			if !ok {
				return nil, cannot(e, "System.Guid", "Guid should contain 32 digits with 4 dashes (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx).")
			}
			out = append(out, g)
		}
		return out, nil
	case "System.Guid":
		if x == nil || toString(x) == "" {
			return nil, &stmtError{rec: &ErrorRecord{Command: c.Cmd.Name, Message: []string{"Cannot validate argument on parameter '" + p.Name + "'. The argument is null or empty. Provide an argument that is not null or empty, and then try the command again."}, Category: "InvalidData: (:) [" + c.Cmd.Name + "], ParameterBindingValidationException", ErrorID: "ParameterArgumentValidationError," + c.Cmd.Class, Pos: c.Pos, Len: c.NameLen}}
		}
		g, ok := ParseGUID(toString(x))
		if !ok {
			return nil, cannot(x, "System.Guid", "Guid should contain 32 digits with 4 dashes (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx).")
		}
		return g, nil
	case "System.Management.Automation.ActionPreference":
		name, ok := parsePreference(x)
		if !ok {
			return nil, bindErr("CannotConvertArgumentNoMessage", fmt.Sprintf(`Cannot bind parameter '%s'. Cannot convert value "%s" to type "System.Management.Automation.ActionPreference". Error: "Unable to match the identifier name %s to a valid enumerator name. Specify one of the following enumerator names and try again:`+"\n"+`SilentlyContinue, Stop, Continue, Inquire, Ignore, Suspend"`, p.Name, toString(x), toString(x)))
		}
		return name, nil
	case "System.Management.Automation.ScriptBlock", "System.Management.Automation.ScriptBlock[]":
		if sb, ok := x.(*ScriptBlock); ok {
			return sb, nil
		}
		if a, ok := x.([]any); ok && len(a) > 0 {
			if sb, ok := a[0].(*ScriptBlock); ok {
				return sb, nil
			}
		}
		return nil, bindErr("CannotConvertArgumentNoMessage", fmt.Sprintf(`Cannot bind parameter '%s'. Cannot convert the "%s" value of type "%s" to type "System.Management.Automation.ScriptBlock".`, p.Name, toString(x), typeName(x)))
	}
	return x, nil
}

const actionPreferenceType = "System.Management.Automation.ActionPreference"

var preferences = []string{"SilentlyContinue", "Stop", "Continue", "Inquire", "Ignore", "Suspend"}

// parsePreference reads an ActionPreference by name (any case) or number.
func parsePreference(x any) (string, bool) {
	if e, ok := x.(Enum); ok && e.Type == actionPreferenceType {
		return e.Name, true
	}
	if n, ok := x.(int32); ok && n >= 0 && int(n) < len(preferences) {
		return preferences[n], true
	}
	s := strings.TrimSpace(toString(x))
	for _, p := range preferences {
		if strings.EqualFold(p, s) {
			return p, true
		}
	}
	return "", false
}

// preferenceName is the name of a preference variable's value; an invalid
// one reads as Continue.
func preferenceName(v any) string {
	if n, ok := parsePreference(v); ok {
		return n
	}
	return "Continue"
}

// ParseGUID accepts the forms System.Guid parses (with or without dashes
// or braces) and returns the lower-case dashed form.
func ParseGUID(s string) (Guid, bool) {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	hex := strings.ReplaceAll(s, "-", "")
	if len(hex) != 32 || (len(s) != 32 && len(s) != 36) {
		return "", false
	}
	if len(s) == 36 && (s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-') {
		return "", false
	}
	for _, c := range hex {
		if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return "", false
		}
	}
	h := strings.ToLower(hex)
	return Guid(h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]), true
}
