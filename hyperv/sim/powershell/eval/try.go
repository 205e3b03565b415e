package eval

// try/catch/finally (§8.7): terminating and statement-terminating errors
// raised in the try block run the first catch, with $_ the error record;
// a bare throw in the catch rethrows it.

import (
	"errors"
	"strings"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/powershell/lang"
)

func (in *Interp) try(s *lang.Try, out func(any)) error {
	in.trying++
	err := in.statements(s.Body.Statements, out)
	in.trying--
	rec, isErr := recordOf(err)
	if isErr && len(s.Catches) > 0 {
		c := s.Catches[0]
		in.scopes = append(in.scopes, map[string]any{"_": errorRecordObject(rec)})
		err = in.statements(c.Body.Statements, out)
		in.scopes = in.scopes[:len(in.scopes)-1]
	}
	if s.Finally != nil {
		if ferr := in.statements(s.Finally.Statements, out); ferr != nil {
			return ferr
		}
	}
	var se *stmtError
	if errors.As(err, &se) && in.trying == 0 && in.errorAction() != "Stop" {
		in.Errors = append(in.Errors, se.rec)
		in.setStatus(false)
		return nil
	}
	return err
}

// errorRecordObject is an ErrorRecord as $_ shows it in a catch block.
func errorRecordObject(r *ErrorRecord) *Object {
	msg := strings.Join(r.Message, "\n")
	exc := NewObject("System.Management.Automation.RuntimeException", Prop{"Message", msg})
	exc.Text = msg
	o := NewObject("System.Management.Automation.ErrorRecord",
		Prop{"Exception", exc},
		Prop{"TargetObject", nil},
		Prop{"CategoryInfo", r.Category},
		Prop{"FullyQualifiedErrorId", r.ErrorID},
	)
	o.Text = msg
	o.record = r
	return o
}
