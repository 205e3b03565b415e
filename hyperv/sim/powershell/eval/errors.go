package eval

import (
	"errors"
	"fmt"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/powershell/lang"
)

// ErrorRecord is a PowerShell error record as the console host renders it.
type ErrorRecord struct {
	Command  string   // the command that failed, "" for a runtime or parse error
	Message  []string // message lines
	Category string   // CategoryInfo, e.g. "InvalidArgument: (:) [Move-VM], ParameterBindingException"
	ErrorID  string   // FullyQualifiedErrorId
	Pos      lang.Pos // where it points
	Len      int      // characters underlined
	Parse    bool     // a ParseException: position before message
}

// Terminating is a script-terminating error: it ends the script with exit
// code 1.
type Terminating struct{ Rec *ErrorRecord }

func (t *Terminating) Error() string { return "terminating: " + t.Rec.ErrorID }

// stmtError is a statement-terminating error: it ends the statement; the
// script goes on unless $ErrorActionPreference is Stop.
type stmtError struct{ rec *ErrorRecord }

func (s *stmtError) Error() string { return "statement: " + s.rec.ErrorID }

// exitSignal is the exit statement.
type exitSignal struct{ code int }

func (e *exitSignal) Error() string { return fmt.Sprintf("exit %d", e.code) }

// flowSignal is return, break or continue.
type flowSignal struct{ keyword string }

func (f *flowSignal) Error() string { return f.keyword }

// runtimeError is a RuntimeException from the language itself: category
// "<cat>: (:) [], RuntimeException", id errorID.
func runtimeError(at lang.Pos, n int, category, errorID, msg string) error {
	return &stmtError{rec: &ErrorRecord{Message: []string{msg}, Category: category + ": (:) [], RuntimeException", ErrorID: errorID, Pos: at, Len: n}}
}

// recordOf extracts the record of an error raised while evaluating.
func recordOf(err error) (*ErrorRecord, bool) {
	var t *Terminating
	if errors.As(err, &t) {
		return t.Rec, true
	}
	var s *stmtError
	if errors.As(err, &s) {
		return s.rec, true
	}
	return nil, false
}

// CommandNotFound is the CommandNotFoundException for name at pos.
func CommandNotFound(name string, at lang.Pos, n int) *ErrorRecord {
	return &ErrorRecord{
		Command:  name,
		Message:  []string{"The term '" + name + "' is not recognized as the name of a cmdlet, function, script file, or operable program. Check the spelling of the name, or if a path was included, verify that the path is correct and try again."},
		Category: "ObjectNotFound: (" + name + ":String) [], CommandNotFoundException",
		ErrorID:  "CommandNotFoundException",
		Pos:      at,
		Len:      n,
	}
}

// ParseRecord renders a ParseError as the record powershell.exe prints.
func ParseRecord(e *lang.ParseError) *ErrorRecord {
	return &ErrorRecord{Message: []string{e.Message}, Category: "ParserError: (:) [], ParentContainsErrorRecordException", ErrorID: e.ErrorID, Pos: e.Pos, Len: max(e.Len, 1), Parse: true}
}
