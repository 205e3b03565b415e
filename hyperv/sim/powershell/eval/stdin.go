package eval

// Scripts that come over standard input: $input (outside a pipeline) and
// [Console]::In.ReadToEnd() read what the client sent to the process's
// stdin (WinRM Send), Out-String joins lines into one text, and
// Invoke-Expression runs text as a script in the caller's scope. A
// client's short loader on the command line runs a script too long for
// it this way.

import (
	"errors"
	"io"
	"strings"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/powershell/lang"
)

// consoleIn is [Console]::In: a reader of the process's stdin with
// ReadToEnd, which waits for the end of the input.
func (in *Interp) consoleIn() *Object {
	o := NewObject("System.IO.SyncTextReader")
	o.Methods = map[string]func([]any) (any, error){
		"readtoend": func(args []any) (any, error) {
			if len(args) != 0 {
				return nil, errors.New(`Cannot find an overload for "ReadToEnd" and the argument count: "` + string(rune('0'+len(args))) + `".`)
			}
			if in.Stdin == nil {
				return "", nil
			}
			b, err := io.ReadAll(in.Stdin)
			if err != nil {
				return nil, err
			}
			return string(b), nil
		},
	}
	return o
}

// stdinLines is $input where no pipeline binds it: powershell.exe's
// standard input, line by line (without their line ends), read to its end
// the first time it is asked for; none without stdin.
func (in *Interp) stdinLines() []any {
	if in.stdinRead == nil {
		in.stdinRead = []any{}
		if in.Stdin != nil {
			b, _ := io.ReadAll(in.Stdin)
			text := strings.ReplaceAll(string(b), "\r\n", "\n")
			text = strings.TrimSuffix(text, "\n")
			if text != "" {
				for _, l := range strings.Split(text, "\n") {
					in.stdinRead = append(in.stdinRead, l)
				}
			}
		}
	}
	return in.stdinRead
}

// outString joins its input as text, one line each, each line ended by
// CRLF, as Out-String formats strings.
func outString(c *Call) error {
	var b strings.Builder
	for _, v := range c.inputs() {
		b.WriteString(toString(v))
		b.WriteString("\r\n")
	}
	c.Out(b.String())
	return nil
}

// invokeExpression runs its -Command text as a script in the current
// scope; the text's output is the cmdlet's. A parse error is a
// terminating error of the cmdlet, as PowerShell raises it.
func invokeExpression(c *Call) error {
	text := toString(c.Params["Command"])
	parse := c.In.Parse
	if parse == nil {
		parse = lang.Parse
	}
	tree, err := parse(text)
	if err != nil {
		var pe *lang.ParseError
		if errors.As(err, &pe) {
			return &stmtError{rec: ParseRecord(pe)}
		}
		return err
	}
	return c.In.statements(tree.Statements, c.out)
}
