package lang

// Statements and pipelines (spec chapter 8).

import (
	"strings"
)

// Parse reads a whole script (§8.1: script-block-body) or returns the first
// ParseError Windows PowerShell 5.1 would report.
func Parse(src string) (s *Script, err error) {
	p := newParser(strings.TrimPrefix(src, "\ufeff"))
	defer func() {
		if r := recover(); r != nil {
			pe, ok := r.(*ParseError)
			if !ok {
				panic(r)
			}
			s, err = nil, pe
		}
	}()
	return p.block(0, 0), nil
}

// fail stops the parse with e.
func fail(e *ParseError) { panic(e) }

// block reads a statement list up to the closing character end ('}' or ')',
// 0 for the end of the script); open is where its opening character stood.
func (p *parser) block(end rune, open int) *Script {
	start := p.i
	sc := &Script{Start: p.pos(start)}
	for {
		p.skip(true)
		for p.at(0) == ';' {
			p.i++
			p.skip(true)
		}
		if p.eof() {
			if end == '}' {
				fail(p.errAt(open, 1, ErrMissingEndCurlyBrace, "Missing closing '}' in statement block or type definition."))
			}
			if end == ')' {
				fail(p.errAt(open, 1, ErrMissingEndParenSubExpr, "Missing closing ')' in subexpression."))
			}
			break
		}
		if end != 0 && p.at(0) == end {
			break
		}
		if p.at(0) == '}' || p.at(0) == ')' {
			fail(p.unexpected(p.i))
		}
		sc.Statements = append(sc.Statements, p.statement())
		p.endOfStatement(end)
	}
	sc.Source = string(p.src[start:p.i])
	return sc
}

// endOfStatement checks what follows a statement: a new line, ';', the
// block's end or the end of the script (§8.1: statement-terminator).
func (p *parser) endOfStatement(end rune) {
	p.skip(false)
	c := p.at(0)
	switch {
	case p.eof(), isNewline(c), c == ';', end != 0 && c == end, c == '}' && end == 0, c == ')':
		if (c == '}' || c == ')') && c != end {
			fail(p.unexpected(p.i))
		}
	case c == '&' && p.at(1) == '&', c == '|' && p.at(1) == '|':
		fail(p.errAt(p.i, 2, ErrInvalidEndOfLine, "The token '"+string(p.src[p.i:p.i+2])+"' is not a valid statement separator in this version."))
	default:
		fail(p.unexpected(p.i))
	}
}

// keyword reads the bare word at the position when it is one of words,
// followed by a character that cannot continue it; it returns "" otherwise.
func (p *parser) keyword(words ...string) string {
	j := p.i
	for j < len(p.src) && (isNameChar(p.src[j]) || isDash(p.src[j])) {
		j++
	}
	w := strings.ToLower(string(p.src[p.i:j]))
	for _, k := range words {
		if w == k {
			return w
		}
	}
	return ""
}

// unsupported keywords: statements PowerShell 5.1 has that the simulated
// host does not run. They are refused honestly rather than misread as
// commands.
var unsupported = []string{"function", "filter", "workflow", "for", "do", "switch", "trap", "param", "class", "enum", "using", "data", "configuration", "begin", "process", "end", "dynamicparam", "inlinescript", "parallel", "sequence"}

// statement reads one statement (§8.1).
func (p *parser) statement() Statement {
	start := p.i
	switch k := p.keyword("if", "foreach", "while", "try", "return", "exit", "throw", "break", "continue"); k {
	case "try":
		return p.tryStatement()
	case "if":
		return p.ifStatement()
	case "foreach":
		return p.foreachStatement()
	case "while":
		p.i += len(k)
		cond := p.condition("while")
		return &While{P: p.pos(start), Cond: cond, Body: p.statementBlock("while")}
	case "return", "exit", "throw", "break", "continue":
		p.i += len(k)
		f := &Flow{P: p.pos(start), Keyword: k}
		p.skip(false)
		if c := p.at(0); !p.eof() && !isNewline(c) && c != ';' && c != '}' && c != ')' {
			f.Value = p.pipeline()
		}
		return f
	}
	if k := p.keyword(unsupported...); k != "" {
		fail(p.errAt(start, len(k), ErrUnsupported, "The simulated host does not run '"+k+"' statements."))
	}
	pl := p.pipeline()
	if len(pl.Elements) == 1 {
		if _, ok := pl.Elements[0].(*ExprElement); ok {
			p.skip(false)
			if op := p.assignOp(); op != "" {
				p.i += len(op)
				p.skip(true)
				if p.eof() || isNewline(p.at(0)) || p.at(0) == ';' {
					fail(p.errAt(p.i, 1, ErrExpectedValueExpression, "You must provide a value expression on the right-hand side of the '"+op+"' operator."))
				}
				return &Assignment{P: pl.P, Target: pl.Elements[0].(*ExprElement).X, Op: op, Value: p.statement()}
			}
		}
	}
	return pl
}

// assignOp reads an assignment operator at the position (§7.11).
func (p *parser) assignOp() string {
	c, n := p.at(0), p.at(1)
	switch {
	case c == '=':
		return "="
	case n == '=' && (c == '+' || isDash(c) || c == '*' || c == '/' || c == '%'):
		return string([]rune{c, n})
	}
	return ""
}

// condition reads `( pipeline )` after if, elseif or while.
func (p *parser) condition(kw string) *Pipeline {
	p.skip(true)
	if p.at(0) != '(' {
		fail(p.errAt(p.i, 1, ErrMissingOpenParenthesisIf, "Missing '(' after '"+kw+"' in "+kw+" statement."))
	}
	open := p.i
	p.i++
	p.skip(true)
	if p.at(0) == ')' {
		fail(p.errAt(p.i, 1, ErrIfMissingCondition, "Missing condition in "+kw+" statement after '"+kw+" ('."))
	}
	pl := p.pipeline()
	p.skip(true)
	if p.at(0) != ')' {
		if p.eof() {
			fail(p.errAt(open, 1, ErrMissingEndParenthesisIf, "Missing closing ')' after expression in '"+kw+"' statement."))
		}
		fail(p.unexpected(p.i))
	}
	p.i++
	return pl
}

// statementBlock reads `{ statements }` after a statement's head.
func (p *parser) statementBlock(kw string) *Script {
	p.skip(true)
	if p.at(0) != '{' {
		fail(p.errAt(p.i, 1, ErrMissingStatementBlock, "Missing statement block after '"+kw+"'."))
	}
	open := p.i
	p.i++
	b := p.block('}', open)
	p.i++
	return b
}

// ifStatement reads if/elseif/else (§8.3).
func (p *parser) ifStatement() Statement {
	st := &If{P: p.pos(p.i)}
	p.i += 2
	kw := "if"
	for {
		cond := p.condition(kw)
		st.Clauses = append(st.Clauses, IfClause{Cond: cond, Body: p.statementBlock(kw + " (" + ")")})
		save := p.i
		p.skip(true)
		switch p.keyword("elseif", "else") {
		case "elseif":
			p.i += 6
			kw = "elseif"
			continue
		case "else":
			p.i += 4
			st.Else = p.statementBlock("else")
			return st
		}
		p.i = save
		return st
	}
}

// foreachStatement reads `foreach ($v in pipeline) { ... }` (§8.4.4).
func (p *parser) foreachStatement() Statement {
	st := &Foreach{P: p.pos(p.i)}
	p.i += 7
	p.skip(true)
	if p.at(0) != '(' {
		fail(p.errAt(p.i, 1, ErrMissingOpenParenthesisIf, "Missing opening '(' after keyword 'foreach'."))
	}
	p.i++
	p.skip(true)
	if p.at(0) != '$' {
		fail(p.errAt(p.i, 1, ErrMissingForeachVariable, "Missing variable name after foreach."))
	}
	v, ok := p.primary().(*Variable)
	if !ok {
		fail(p.errAt(p.i, 1, ErrMissingForeachVariable, "Missing variable name after foreach."))
	}
	st.Var = v.Name
	p.skip(true)
	if p.keyword("in") == "" {
		fail(p.errAt(p.i, 1, ErrMissingInInForeach, "Missing 'in' after variable in foreach loop."))
	}
	p.i += 2
	p.skip(true)
	if p.at(0) == ')' {
		fail(p.errAt(p.i, 1, ErrMissingForeachExpression, "Missing foreach loop pipeline."))
	}
	st.In = p.pipeline()
	p.skip(true)
	if p.at(0) != ')' {
		fail(p.unexpected(p.i))
	}
	p.i++
	st.Body = p.statementBlock("foreach")
	return st
}

// tryStatement reads try/catch/finally (§8.7).
func (p *parser) tryStatement() Statement {
	st := &Try{P: p.pos(p.i)}
	p.i += 3
	st.Body = p.statementBlock("try")
	for {
		save := p.i
		p.skip(true)
		switch p.keyword("catch", "finally") {
		case "catch":
			p.i += 5
			var c Catch
			for {
				p.skip(true)
				if p.at(0) != '[' {
					break
				}
				c.Types = append(c.Types, p.typeName())
				p.skip(true)
				if p.at(0) == ',' {
					p.i++
				}
			}
			c.Body = p.statementBlock("catch")
			st.Catches = append(st.Catches, c)
			continue
		case "finally":
			p.i += 7
			st.Finally = p.statementBlock("finally")
		default:
			p.i = save
		}
		break
	}
	if st.Catches == nil && st.Finally == nil {
		fail(p.errAt(p.i, 1, "MissingCatchOrFinally", "The Try statement is missing its Catch or Finally block."))
	}
	return st
}
