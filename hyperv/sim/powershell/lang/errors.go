package lang

import "fmt"

// ParseError is a ParseException as Windows PowerShell 5.1 reports it: the
// ErrorId (its FullyQualifiedErrorId), the message and where it points.
type ParseError struct {
	ErrorID string // e.g. "MissingEndCurlyBrace", "UnexpectedToken"
	Message string // e.g. "Unexpected token '??' in expression or statement."
	Pos     Pos    // where the error points
	Len     int    // how many characters the console underlines
}

// Error returns the position, id and message on one line.
func (e *ParseError) Error() string {
	return fmt.Sprintf("parse %d:%d: %s: %s", e.Pos.Line, e.Pos.Col, e.ErrorID, e.Message)
}

// Error ids, as PowerShell's parser names them (ParserStrings).
const (
	ErrMissingEndCurlyBrace       = "MissingEndCurlyBrace"
	ErrMissingEndParenthesis      = "MissingEndParenthesisInExpression"
	ErrMissingEndParenSubExpr     = "MissingEndParenthesisInSubexpression"
	ErrMissingEndParenMethodCall  = "MissingEndParenthesisInMethodCall"
	ErrMissingEndSquareBracket    = "MissingEndSquareBracket"
	ErrMissingTypename            = "MissingTypename"
	ErrUnexpectedToken            = "UnexpectedToken"
	ErrExpectedExpression         = "ExpectedExpression"
	ErrExpectedValueExpression    = "ExpectedValueExpression"
	ErrInvalidEndOfLine           = "InvalidEndOfLine"
	ErrTerminatorExpectedAtEnd    = "TerminatorExpectedAtEndOfString"
	ErrMissingEqualsInHashLiteral = "MissingEqualsInHashLiteral"
	ErrMissingKeyInHashLiteral    = "MissingKey"
	ErrMissingStatementBlock      = "MissingStatementBlock"
	ErrMissingOpenParenthesisIf   = "MissingOpenParenthesisInIfStatement"
	ErrIfMissingCondition         = "IfStatementMissingCondition"
	ErrMissingEndParenthesisIf    = "MissingEndParenthesisAfterStatement"
	ErrMissingForeachVariable     = "MissingVariableNameAfterForeach"
	ErrMissingInInForeach         = "MissingInInForeach"
	ErrMissingForeachExpression   = "MissingForeachExpression"
	ErrEmptyPipeElement           = "EmptyPipeElement"
	ErrMissingExpressionAfterOp   = "MissingExpressionAfterOperator"
	ErrInvalidVariableReference   = "InvalidVariableReference"
	ErrExpectedExpressionAfterTok = "MissingExpression"
	ErrUnsupported                = "NotSupportedBySimulator"
	ErrMissingPropertyName        = "MissingPropertyName"
	ErrAmpersandNotAllowed        = "AmpersandNotAllowed"
)
