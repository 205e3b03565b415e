package policy

import (
	"context"
	"errors"
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// RuleError is a decision rule that failed at run time: a built-in
// function's error (policies are evaluated with strict built-in errors, so
// a division by zero or a failed conversion is an error, not an undefined
// expression), or a rule that produced conflicting values.
//
// A config, requests, frozen or held rule that fails fails the session (Begin
// returns an error wrapping a *RuleError): nothing is planned with the
// configured values in place of the policy's. A deny or penalty rule that
// fails for a candidate vetoes the candidate (see Verdict.Error).
type RuleError struct {
	Rule string // the decision rule: config, requests, frozen, held, deny or penalty
	Err  error  // OPA's error, naming the file and line
}

// Error says which rule failed and why:
// "policy rule deny: deny.rego:5: eval_builtin_error: div: divide by zero".
func (e *RuleError) Error() string { return "policy rule " + e.Rule + ": " + e.Err.Error() }

// Unwrap returns OPA's error.
func (e *RuleError) Unwrap() error { return e.Err }

// ruleFailure returns the *RuleError of a failed evaluation of the rules
// (which a query made of them all evaluated together), or nil when err is
// no rule's failure (the caller gave up, or something other than the policy
// went wrong). It evaluates each rule alone to name the one that failed.
func (c *compiled) ruleFailure(ctx context.Context, err error, rules []string, input ast.Value, opts ...rego.EvalOption) *RuleError {
	var te *topdown.Error
	if ctx.Err() != nil || !errors.As(err, &te) || topdown.IsCancel(err) {
		return nil
	}
	for _, rule := range rules {
		q := c.rules[rule]
		if _, rerr := q.Eval(ctx, append([]rego.EvalOption{rego.EvalParsedInput(input)}, opts...)...); rerr != nil {
			if ctx.Err() != nil {
				return nil
			}
			return &RuleError{Rule: rule, Err: rerr}
		}
	}
	return &RuleError{Rule: joinRules(rules), Err: err}
}

// joinRules names several rules: "deny or penalty".
func joinRules(rules []string) string {
	switch len(rules) {
	case 0:
		return "?"
	case 1:
		return rules[0]
	}
	out := ""
	for i, r := range rules {
		switch {
		case i == 0:
		case i == len(rules)-1:
			out += " or "
		default:
			out += ", "
		}
		out += r
	}
	return out
}

// vetoMessage is the deny message of a candidate one of whose rules
// failed: every caller that honours deny honours the veto.
func vetoMessage(e *RuleError) string {
	return fmt.Sprintf("vetoed: %s", e.Error())
}
