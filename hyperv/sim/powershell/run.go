package powershell

// Running a command by meaning: parse it, bind and run it against the
// fleet, print what powershell.exe prints.

import (
	"context"
	"io"
	"strings"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/powershell/catalog"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/powershell/eval"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/powershell/lang"
)

// cmdlets is the catalog every command is checked against.
var cmdlets = catalog.Default()

// migrating reports whether a parsed script invokes a live migration
// (Move-VM or Move-ClusterVirtualMachineRole, by name, module-qualified
// name or any letter case).
func migrating(s *lang.Script) bool {
	found := false
	walkCommands(s, func(c *lang.Command) {
		if cm, ok := cmdlets.Lookup(c.Name); ok && (cm.Name == "Move-VM" || cm.Name == "Move-ClusterVirtualMachineRole") {
			found = true
		}
	})
	return found
}

// runText runs script text (already classified) with stdin as the
// process's standard input and writes its output and errors; it returns
// the exit code.
func (h *Shell) runText(ctx context.Context, text string, tree *lang.Script, perr error, stdin io.Reader, stdout, stderr io.Writer) int {
	if perr != nil {
		pe, _ := perr.(*lang.ParseError)
		return h.fail(stderr, h.record(text, eval.ParseRecord(pe)))
	}
	host := &fleetHost{fleet: h.fleet, host: h.host, shell: h}
	in := eval.New(ctx, host, cmdlets)
	in.Stdin = stdin
	in.Parse = h.parsed.parse
	in.Sleep = func(ctx context.Context, d time.Duration) error {
		select {
		case <-h.fleet.Clock().After(d):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	code := in.Run(tree)
	if ctx.Err() != nil {
		return 1 // the client stopped the pipeline
	}
	io.WriteString(stdout, eval.FormatAll(in.Output))
	if len(in.Errors) > 0 {
		recs := make([]psError, len(in.Errors))
		for i, r := range in.Errors {
			recs[i] = h.record(text, r)
		}
		io.WriteString(stderr, clixml(recs...))
	}
	return code
}

// record renders an evaluator error record against the script text.
func (h *Shell) record(text string, r *eval.ErrorRecord) psError {
	e := psError{Command: r.Command, Message: r.Message, Category: r.Category, ErrorID: r.ErrorID, Parse: r.Parse, Len: r.Len}
	if r.Pos.Line > 0 {
		lines := strings.Split(text, "\n")
		if r.Pos.Line <= len(lines) {
			e.Line, e.Char, e.Source = r.Pos.Line, r.Pos.Col, strings.TrimRight(lines[r.Pos.Line-1], "\r")
		}
	}
	return e
}

// walkCommands calls fn for every command in the script, nested blocks
// included.
func walkCommands(s *lang.Script, fn func(*lang.Command)) {
	if s == nil {
		return
	}
	for _, st := range s.Statements {
		walkStatement(st, fn)
	}
}

func walkStatement(st lang.Statement, fn func(*lang.Command)) {
	switch x := st.(type) {
	case *lang.Pipeline:
		for _, el := range x.Elements {
			switch e := el.(type) {
			case *lang.Command:
				fn(e)
				for _, a := range e.Args {
					if a.Value != nil {
						walkExpr(a.Value, fn)
					}
				}
			case *lang.ExprElement:
				walkExpr(e.X, fn)
			}
		}
	case *lang.Assignment:
		walkExpr(x.Target, fn)
		walkStatement(x.Value, fn)
	case *lang.If:
		for _, c := range x.Clauses {
			walkStatement(c.Cond, fn)
			walkCommands(c.Body, fn)
		}
		walkCommands(x.Else, fn)
	case *lang.Foreach:
		walkStatement(x.In, fn)
		walkCommands(x.Body, fn)
	case *lang.While:
		walkStatement(x.Cond, fn)
		walkCommands(x.Body, fn)
	case *lang.Flow:
		if x.Value != nil {
			walkStatement(x.Value, fn)
		}
	}
}

func walkExpr(e lang.Expr, fn func(*lang.Command)) {
	switch x := e.(type) {
	case *lang.Paren:
		walkStatement(x.Pipe, fn)
	case *lang.SubExpr:
		walkCommands(x.Body, fn)
	case *lang.Block:
		walkCommands(x.Body, fn)
	case *lang.Hash:
		for i := range x.Keys {
			walkExpr(x.Keys[i], fn)
			walkStatement(x.Values[i], fn)
		}
	case *lang.ArrayLit:
		for _, el := range x.Elems {
			walkExpr(el, fn)
		}
	case *lang.Binary:
		walkExpr(x.L, fn)
		walkExpr(x.R, fn)
	case *lang.Unary:
		walkExpr(x.X, fn)
	case *lang.Cast:
		walkExpr(x.X, fn)
	case *lang.Member:
		walkExpr(x.X, fn)
	case *lang.Invoke:
		walkExpr(x.X, fn)
		for _, a := range x.Args {
			walkExpr(a, fn)
		}
	case *lang.Index:
		walkExpr(x.X, fn)
		walkExpr(x.Index, fn)
	case *lang.Expandable:
		for _, p := range x.Parts {
			walkExpr(p, fn)
		}
	}
}
