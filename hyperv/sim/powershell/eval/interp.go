package eval

// Running statements (spec chapter 8) and the exit code.

import (
	"context"
	"errors"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/powershell/catalog"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/powershell/lang"
)

// Host supplies the cmdlets backed by data (Get-VM, Move-VM, …).
type Host interface {
	// Cmdlet returns the implementation of the catalog's cmdlet name on
	// this host; ok is false when the host does not have it (a cluster
	// cmdlet on a host without Failover Clustering).
	Cmdlet(name string) (fn CmdletFunc, ok bool)
}

// CmdletFunc runs one cmdlet invocation.
type CmdletFunc func(c *Call) error

// Interp runs scripts for one command.
type Interp struct {
	Ctx     context.Context
	Host    Host
	Catalog *catalog.Catalog
	// Errors are the records written to the error stream, in order.
	Errors []*ErrorRecord
	// Output is what the script wrote to its output stream.
	Output []any
	// Sleep waits d for Start-Sleep and cmdlets that wait; nil uses real
	// time.
	Sleep func(ctx context.Context, d time.Duration) error
	// Stdin is the process's standard input, which $input and
	// [Console]::In read; nil reads as empty.
	Stdin     io.Reader
	stdinRead []any // $input's lines once read
	// Parse parses the text Invoke-Expression runs; nil is lang.Parse.
	// The tree it returns is only read.
	Parse func(text string) (*lang.Script, error)

	scopes []map[string]any
	// itemScope is a child scope holding only $_, kept for the next
	// script block run on one item (itemScopes): nil while in use.
	itemScope map[string]any
	regexps   map[string]*regexp.Regexp // compiled patterns (see compile)
	eating    int                       // > 0 while a script block runs with its exceptions eaten
	trying    int                       // > 0 inside a try block: statement-terminating errors go to its catch
}

// New returns an interpreter with the automatic variables set.
func New(ctx context.Context, h Host, c *catalog.Catalog) *Interp {
	global := map[string]any{
		"erroractionpreference":    Enum{Type: actionPreferenceType, Name: "Continue", Value: 2},
		"progresspreference":       Enum{Type: actionPreferenceType, Name: "Continue", Value: 2},
		"warningpreference":        Enum{Type: actionPreferenceType, Name: "Continue", Value: 2},
		"verbosepreference":        Enum{Type: actionPreferenceType, Name: "SilentlyContinue", Value: 0},
		"psversiontable":           psVersionTable(),
		"?":                        true,
		"lastexitcode":             nil,
		"informationpreference":    Enum{Type: actionPreferenceType, Name: "SilentlyContinue", Value: 0},
		"confirmpreference":        "High",
		"formatenumerationlimit":   int32(4),
		"maximumhistorycount":      int32(4096),
		"pshome":                   `C:\Windows\System32\WindowsPowerShell\v1.0`,
		"host":                     nil,
		"executioncontext":         nil,
		"debugpreference":          Enum{Type: actionPreferenceType, Name: "SilentlyContinue", Value: 0},
		"errorview":                "NormalView",
		"ofs":                      nil,
		"pscommandpath":            nil,
		"psscriptroot":             "",
		"psculture":                "en-US",
		"psuiculture":              "en-US",
		"nestedpromptlevel":        int32(0),
		"psemailserver":            nil,
		"psdefaultparametervalues": &Hash{},
	}
	return &Interp{Ctx: ctx, Host: h, Catalog: c, scopes: []map[string]any{global}}
}

// SetVariable sets a variable in the script's scope.
func (in *Interp) SetVariable(name string, v any) { in.scopes[0][strings.ToLower(name)] = v }

// Run runs script and returns powershell.exe -Command's exit code: 1 after
// a script-terminating error, the exit statement's value, else 1 when the
// last statement failed ($? false) and 0 otherwise.
func (in *Interp) Run(s *lang.Script) int {
	err := in.statements(s.Statements, func(v any) { in.Output = append(in.Output, v) })
	var ex *exitSignal
	switch {
	case errors.As(err, &ex):
		return ex.code
	case err != nil:
		if rec, ok := recordOf(err); ok {
			in.Errors = append(in.Errors, rec)
		}
		return 1
	}
	if ok, _ := in.lookup("?"); ok == false {
		return 1
	}
	return 0
}

// automationNull is what a variable holds when it was assigned the output
// of a pipeline, subexpression or statement that wrote nothing: PowerShell
// (3.0 and later) keeps AutomationNull in it, which reads as $null but
// enumerates as nothing, so after $x = Get-VM | Where-Object Name -eq 'z'
// @($x) is empty and $x | ForEach-Object runs no block.
type automationNull struct{}

// lookup finds a variable from the innermost scope out. One holding
// nothing reads as $null.
func (in *Interp) lookup(name string) (any, bool) {
	v, ok := in.binding(name)
	if _, none := v.(automationNull); none {
		return nil, true
	}
	return v, ok
}

// holdsNothing reports whether a variable was assigned nothing.
func (in *Interp) holdsNothing(name string) bool {
	// These read as constants whatever is assigned to them.
	if n := strings.ToLower(name); n == "null" || n == "true" || n == "false" || strings.HasPrefix(n, "env:") {
		return false
	}
	v, _ := in.binding(name)
	_, none := v.(automationNull)
	return none
}

// binding finds what a variable holds from the innermost scope out.
func (in *Interp) binding(name string) (any, bool) {
	n := strings.ToLower(name)
	if n == "psitem" {
		n = "_"
	}
	for i := len(in.scopes) - 1; i >= 0; i-- {
		if v, ok := in.scopes[i][n]; ok {
			return v, true
		}
	}
	if n == "input" {
		return in.stdinLines(), true
	}
	return nil, false
}

// assign sets a variable in the innermost scope holding it, else the
// current one.
func (in *Interp) assign(name string, v any) {
	n := strings.ToLower(name)
	in.scopes[len(in.scopes)-1][n] = v
}

// setStatus records $? for the statement just run.
// Most statements succeed where the last one did: the map is written only
// when $? changes.
func (in *Interp) setStatus(ok bool) {
	g := in.scopes[0]
	if cur, found := g["?"]; found && cur == any(ok) {
		return
	}
	g["?"] = ok
}

// pushItemScope enters a child scope with $_ set to item, reusing the
// map of the last one left holding nothing else: a calculated property or
// a ForEach-Object block runs once per item, and a fresh map each time
// was a large part of a poll's allocation.
func (in *Interp) pushItemScope(item any) map[string]any {
	scope := in.itemScope
	in.itemScope = nil
	if scope == nil {
		scope = make(map[string]any, 1)
	}
	scope["_"] = item
	in.scopes = append(in.scopes, scope)
	return scope
}

// popItemScope leaves the scope pushItemScope entered. The map is kept
// for the next item only if the block set no variable in it, so no
// variable of one item is seen by the next.
func (in *Interp) popItemScope(scope map[string]any) {
	in.scopes = in.scopes[:len(in.scopes)-1]
	if len(scope) == 1 {
		scope["_"] = nil
		in.itemScope = scope
	}
}

// errorAction is $ErrorActionPreference's name.
func (in *Interp) errorAction() string {
	v, _ := in.lookup("ErrorActionPreference")
	return preferenceName(v)
}

// statements runs a statement list, writing output through out.
func (in *Interp) statements(list []lang.Statement, out func(any)) error {
	for _, st := range list {
		if err := in.Ctx.Err(); err != nil {
			return err
		}
		err := in.statement(st, out)
		if err == nil {
			continue
		}
		var se *stmtError
		if errors.As(err, &se) {
			if in.eating > 0 || in.trying > 0 {
				return err
			}
			if in.errorAction() == "Stop" {
				return &Terminating{Rec: se.rec}
			}
			in.Errors = append(in.Errors, se.rec)
			in.setStatus(false)
			continue
		}
		return err
	}
	return nil
}

// statement runs one statement.
func (in *Interp) statement(st lang.Statement, out func(any)) error {
	switch s := st.(type) {
	case *lang.Pipeline:
		return in.pipelineStatement(s, out)
	case *lang.Assignment:
		v, none, err := in.assignedValue(s.Value)
		if err != nil {
			return err
		}
		if t, ok := s.Target.(*lang.Variable); ok && s.Op == "=" && none {
			in.assign(t.Name, automationNull{})
			return nil
		}
		return in.assignTo(s.Target, s.Op, v)
	case *lang.If:
		for _, c := range s.Clauses {
			v, err := in.pipelineValue(c.Cond)
			if err != nil {
				return err
			}
			if toBool(v) {
				return in.statements(c.Body.Statements, out)
			}
		}
		if s.Else != nil {
			return in.statements(s.Else.Statements, out)
		}
		return nil
	case *lang.Foreach:
		items, err := in.foreachItems(s.In)
		if err != nil {
			return err
		}
		for _, it := range items {
			in.assign(s.Var, it)
			if err := in.statements(s.Body.Statements, out); err != nil {
				var f *flowSignal
				if errors.As(err, &f) && f.keyword == "break" {
					break
				}
				if errors.As(err, &f) && f.keyword == "continue" {
					continue
				}
				return err
			}
		}
		return nil
	case *lang.While:
		for {
			v, err := in.pipelineValue(s.Cond)
			if err != nil || !toBool(v) {
				return err
			}
			if err := in.statements(s.Body.Statements, out); err != nil {
				var f *flowSignal
				if errors.As(err, &f) && f.keyword == "break" {
					return nil
				}
				if !(errors.As(err, &f) && f.keyword == "continue") {
					return err
				}
			}
			if err := in.Ctx.Err(); err != nil {
				return err
			}
		}
	case *lang.Flow:
		return in.flow(s, out)
	case *lang.Try:
		return in.try(s, out)
	}
	return nil
}

// flow runs return, exit, throw, break and continue (§8.5).
func (in *Interp) flow(s *lang.Flow, out func(any)) error {
	var v any
	if s.Value != nil {
		var err error
		if v, err = in.pipelineValue(s.Value); err != nil {
			return err
		}
	}
	switch s.Keyword {
	case "exit":
		n, _ := toInt(v)
		return &exitSignal{code: int(n)}
	case "throw":
		if cur, ok := in.lookup("_"); ok && v == nil {
			if rec, ok := cur.(*Object); ok && rec.record != nil {
				return &Terminating{Rec: rec.record}
			}
		}
		msg := "ScriptHalted"
		if v != nil {
			msg = toString(v)
		}
		return &Terminating{Rec: &ErrorRecord{Message: []string{msg}, Category: "OperationStopped: (" + msg + ":String) [], RuntimeException", ErrorID: msg, Pos: s.P, Len: len(s.Keyword)}}
	case "return":
		if v != nil {
			out(v)
		}
	}
	return &flowSignal{keyword: s.Keyword}
}

// statementValue runs a statement for its value: one item as itself, more
// as an array, none as $null (§7.1.1).
func (in *Interp) statementValue(st lang.Statement) (any, error) {
	// An expression alone is its own value, not enumerated: $x = @() is an
	// empty array and $x = @(1) an array of one (§7.11).
	if p, ok := st.(*lang.Pipeline); ok && len(p.Elements) == 1 {
		if e, ok := p.Elements[0].(*lang.ExprElement); ok {
			v, err := in.eval(e.X)
			if err != nil {
				in.setStatus(false)
				return nil, err
			}
			in.setStatus(true)
			return v, nil
		}
	}
	v, _, err := in.writtenValue(st)
	return v, err
}

// assignedValue runs the statement on an assignment's right. none
// reports that it wrote nothing (a command pipeline, a statement, or a
// subexpression, parenthesised pipeline or variable that is nothing), so
// that the variable assigned holds nothing too; an expression is otherwise
// its own value, as statementValue reads it.
func (in *Interp) assignedValue(st lang.Statement) (v any, none bool, err error) {
	p, ok := st.(*lang.Pipeline)
	if ok && len(p.Elements) == 1 {
		e, isExpr := p.Elements[0].(*lang.ExprElement)
		if !isExpr {
			return in.writtenValue(st)
		}
		switch e.X.(type) {
		case *lang.SubExpr, *lang.Paren, *lang.Variable:
			v, none, err := in.elementValue(e.X)
			in.setStatus(err == nil)
			return v, none, err
		}
		v, err := in.statementValue(st)
		return v, false, err
	}
	return in.writtenValue(st)
}

// writtenValue runs a statement and collapses what it wrote; none
// reports that it wrote nothing.
func (in *Interp) writtenValue(st lang.Statement) (v any, none bool, err error) {
	var items []any
	if err := in.statement(st, func(v any) { items = append(items, v) }); err != nil {
		return nil, false, err
	}
	return collapse(items), len(items) == 0, nil
}

func collapse(items []any) any {
	switch len(items) {
	case 0:
		return nil
	case 1:
		return items[0]
	}
	return items
}

// pipelineValue runs a pipeline for its value.
func (in *Interp) pipelineValue(p *lang.Pipeline) (any, error) {
	items, err := in.pipelineItems(p)
	return collapse(items), err
}

// pipelineItems runs a pipeline and collects its output.
func (in *Interp) pipelineItems(p *lang.Pipeline) ([]any, error) {
	var items []any
	err := in.pipelineStatement(p, func(v any) { items = append(items, v) })
	return items, err
}

// foreachItems runs the pipeline a foreach statement loops over and
// returns its items. An expression that is $null gives none (PowerShell
// 3.0 and later), where writing it to a pipeline sends one $null:
// foreach ($i in $null) runs no iteration, $null | ForEach-Object runs
// once and foreach ($i in @($null)) runs once, for its array holds $null.
// A command pipeline gives what it wrote.
func (in *Interp) foreachItems(p *lang.Pipeline) ([]any, error) {
	if len(p.Elements) == 1 {
		if e, ok := p.Elements[0].(*lang.ExprElement); ok {
			v, err := in.eval(e.X)
			in.setStatus(err == nil)
			if err != nil || v == nil {
				return nil, err
			}
			return enumerate(v), nil
		}
	}
	return in.pipelineItems(p)
}

// maxRegexps bounds the patterns one command keeps compiled.
const maxRegexps = 64

// compile compiles a regular expression, flags included, once per
// command: a script that matches each of a host's disks against one
// pattern compiled it for every disk. A compiled pattern is only read,
// and a pattern that fails to compile is compiled (and fails) each time.
func (in *Interp) compile(pattern string) (*regexp.Regexp, error) {
	if re, ok := in.regexps[pattern]; ok {
		return re, nil
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, err
	}
	if in.regexps == nil {
		in.regexps = make(map[string]*regexp.Regexp)
	}
	if len(in.regexps) < maxRegexps {
		in.regexps[pattern] = re
	}
	return re, nil
}
