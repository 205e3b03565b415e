// Package lang reads Windows PowerShell 5.1 source: a scanner and a
// recursive-descent parser written from the PowerShell Language
// Specification 3.0 (its chapter 2, lexical structure, and chapters 7–8,
// expressions and statements; sections are cited beside the code that
// follows them), producing the syntax tree in ast.go.
//
// It accepts what 5.1 accepts and refuses what 5.1 refuses, with the
// ParseException ErrorId 5.1 reports (MissingEndCurlyBrace,
// UnexpectedToken, ExpectedExpression, InvalidEndOfLine, …). PowerShell 7
// additions are not special here: `&&` and `||` are refused as 5.1 refuses
// them, `??` and the ternary `?` are unexpected tokens, and `$a?.b` reads
// the variable `a?` — '?' is a variable-name character in 5.1 (§2.3.6).
//
// It knows nothing of commands, values or hosts; the evaluator beside it
// gives the tree its meaning.
package lang
