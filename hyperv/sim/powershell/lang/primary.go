package lang

// Primary expressions (§7.1): variables, literals, parentheses,
// sub-expressions, hash literals and script blocks.

import (
	"strings"
	"unicode"
)

// primary reads one primary expression.
func (p *parser) primary() Expr {
	start := p.i
	c := p.at(0)
	switch {
	case c == '$':
		return p.variable()
	case c == '\'' || c == '\u2018' || c == '\u2019':
		return p.singleQuoted()
	case c == '"' || c == '\u201c' || c == '\u201d':
		return p.doubleQuoted()
	case c == '@' && (p.at(1) == '\'' || p.at(1) == '"'):
		return p.hereString()
	case c == '@' && p.at(1) == '(':
		p.i += 2
		b := p.nested(')', start, ErrMissingEndParenthesis, "Missing closing ')' in subexpression.")
		return &SubExpr{P: p.pos(start), Body: b, Array: true}
	case c == '@' && p.at(1) == '{':
		return p.hash()
	case c == '(':
		p.i++
		saved := p.noComma
		p.noComma = 0
		defer func() { p.noComma = saved }()
		p.skip(true)
		if p.at(0) == ')' {
			fail(p.errAt(p.i, 1, ErrExpectedExpression, "An expression was expected after '('."))
		}
		st := p.statement()
		p.skip(true)
		if p.at(0) != ')' {
			if p.eof() {
				fail(p.errAt(start, 1, ErrMissingEndParenthesis, "Missing closing ')' in expression."))
			}
			if (p.at(0) == '&' && p.at(1) == '&') || (p.at(0) == '|' && p.at(1) == '|') {
				p.endOfStatement(')')
			}
			fail(p.unexpected(p.i))
		}
		p.i++
		return &Paren{P: p.pos(start), Pipe: st}
	case c == '{':
		p.i++
		b := p.nested('}', start, ErrMissingEndCurlyBrace, "Missing closing '}' in statement block or type definition.")
		return &Block{P: p.pos(start), Body: b}
	case unicode.IsDigit(c) || c == '.' && unicode.IsDigit(p.at(1)):
		if v, ok := p.number(); ok {
			return &Const{P: p.pos(start), Value: v}
		}
		fail(p.unexpected(start))
	}
	fail(p.unexpected(start))
	return nil
}

// nested reads a statement list closed by end, failing with id and msg
// at open when the script ends first.
func (p *parser) nested(end rune, open int, id, msg string) *Script {
	saved := p.noComma
	p.noComma = 0
	defer func() { p.noComma = saved }()
	defer func() {
		if r := recover(); r != nil {
			if pe, ok := r.(*ParseError); ok && (pe.ErrorID == ErrMissingEndCurlyBrace || pe.ErrorID == ErrMissingEndParenSubExpr) && pe.Pos.Offset == open {
				panic(p.errAt(open, 1, id, msg))
			}
			panic(r)
		}
	}()
	b := p.block(end, open)
	p.i++
	return b
}

// variable reads $name, ${name}, $_, $?, $$, $^ and $( ... ) (§2.3.6,
// §7.1.6).
func (p *parser) variable() Expr {
	start := p.i
	p.i++
	c := p.at(0)
	switch {
	case c == '(':
		p.i++
		b := p.nested(')', start, ErrMissingEndParenSubExpr, "Missing closing ')' in subexpression.")
		return &SubExpr{P: p.pos(start), Body: b}
	case c == '{':
		p.i++
		s := p.i
		for !p.eof() && p.at(0) != '}' {
			p.i++
		}
		if p.eof() {
			fail(p.errAt(start, 2, "IncompleteDollarVariableReference", "Missing '}' at end of variable name."))
		}
		name := string(p.src[s:p.i])
		p.i++
		return &Variable{P: p.pos(start), Name: name}
	case c == '$' || c == '^':
		p.i++
		return &Variable{P: p.pos(start), Name: string(c)}
	}
	s := p.i
	for !p.eof() && isVarChar(p.at(0)) {
		p.i++
	}
	// A scope or drive qualifier: $env:PATH, $script:x (§2.3.6).
	if p.at(0) == ':' && isVarChar(p.at(1)) && p.i > s {
		p.i++
		for !p.eof() && isVarChar(p.at(0)) {
			p.i++
		}
	}
	if p.i == s {
		fail(p.errAt(start, 1, ErrInvalidVariableReference, "Variable reference is not valid. '$' was not followed by a valid variable name character. Consider using ${} to delimit the name."))
	}
	return &Variable{P: p.pos(start), Name: string(p.src[s:p.i])}
}

// isSingleQuote reports the quote characters of §2.3.5.2 single-quote-character.
func isSingleQuote(r rune) bool {
	return r == '\'' || r == '\u2018' || r == '\u2019' || r == '\u201a' || r == '\u201b'
}

// isDoubleQuote reports double-quote-character (§2.3.5.2).
func isDoubleQuote(r rune) bool { return r == '"' || r == '\u201c' || r == '\u201d' || r == '\u201e' }

// singleQuoted reads a verbatim string; a doubled quote is one quote.
func (p *parser) singleQuoted() Expr {
	start := p.i
	p.i++
	var b strings.Builder
	for {
		if p.eof() {
			fail(p.errAt(start, len(p.src)-start, ErrTerminatorExpectedAtEnd, "The string is missing the terminator: '."))
		}
		c := p.at(0)
		if isSingleQuote(c) {
			if isSingleQuote(p.at(1)) {
				b.WriteRune('\'')
				p.i += 2
				continue
			}
			p.i++
			return &Const{P: p.pos(start), Value: b.String()}
		}
		b.WriteRune(c)
		p.i++
	}
}

// escapes are the backtick escapes of §2.3.7.
var escapes = map[rune]rune{'0': 0, 'a': 7, 'b': 8, 'f': 12, 'n': '\n', 'r': '\r', 't': '\t', 'v': 11}

// doubleQuoted reads an expandable string (§2.3.5.2): `escapes, a doubled
// quote, $name and $( ) expansions.
func (p *parser) doubleQuoted() Expr {
	start := p.i
	p.i++
	parts := p.expandable(func() bool {
		if isDoubleQuote(p.at(0)) && !isDoubleQuote(p.at(1)) {
			p.i++
			return true
		}
		return false
	}, func() {
		fail(p.errAt(start, len(p.src)-start, ErrTerminatorExpectedAtEnd, "The string is missing the terminator: \"."))
	}, true)
	return expandable(p.pos(start), parts)
}

// expandable reads expandable text until done reports its end.
func (p *parser) expandable(done func() bool, unterminated func(), quoteDoubles bool) []Expr {
	var parts []Expr
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			parts = append(parts, &Const{Value: b.String()})
			b.Reset()
		}
	}
	for {
		if p.eof() {
			unterminated()
		}
		if done() {
			flush()
			return parts
		}
		c := p.at(0)
		switch {
		case c == '`' && p.i+1 < len(p.src):
			if r, ok := escapes[p.at(1)]; ok {
				b.WriteRune(r)
			} else {
				b.WriteRune(p.at(1))
			}
			p.i += 2
		case quoteDoubles && isDoubleQuote(c) && isDoubleQuote(p.at(1)):
			b.WriteRune('"')
			p.i += 2
		case c == '$' && (p.at(1) == '(' || p.at(1) == '{' || isVarChar(p.at(1)) || p.at(1) == '$' || p.at(1) == '^'):
			flush()
			parts = append(parts, p.variable())
		default:
			b.WriteRune(c)
			p.i++
		}
	}
}

func expandable(at Pos, parts []Expr) Expr {
	if len(parts) == 0 {
		return &Const{P: at, Value: ""}
	}
	if len(parts) == 1 {
		if c, ok := parts[0].(*Const); ok {
			return &Const{P: at, Value: c.Value}
		}
	}
	return &Expandable{P: at, Parts: parts}
}

// hereString reads @' ... '@ and @" ... "@ (§2.3.5.2): the opening quote
// ends its line, the closing one starts a line.
func (p *parser) hereString() Expr {
	start := p.i
	quote := p.at(1)
	p.i += 2
	for isSpace(p.at(0)) {
		p.i++
	}
	if !isNewline(p.at(0)) {
		fail(p.errAt(start, 2, "UnexpectedCharactersAfterHereStringHeader", "No characters are allowed after a here-string header but before the end of the line."))
	}
	if p.at(0) == '\r' {
		p.i++
	}
	p.i++
	missing := func() {
		fail(p.errAt(start, 2, "TerminatorExpectedAtEndOfString", "The string is missing the terminator: "+string(quote)+"@."))
	}
	atEnd := func() bool {
		if isNewline(p.at(0)) {
			j := p.i + 1
			if p.at(0) == '\r' && p.at(1) == '\n' {
				j++
			}
			if j+1 < len(p.src)+1 && j < len(p.src) && p.src[j] == quote && j+1 < len(p.src) && p.src[j+1] == '@' {
				p.i = j + 2
				return true
			}
		}
		return false
	}
	if p.at(0) == quote && p.at(1) == '@' {
		p.i += 2
		return &Const{P: p.pos(start), Value: ""}
	}
	if quote == '\'' {
		s := p.i
		for !atEnd() {
			if p.eof() {
				missing()
			}
			p.i++
		}
		text := string(p.src[s:p.i])
		text = text[:strings.LastIndexAny(text, "\n")]
		return &Const{P: p.pos(start), Value: strings.TrimSuffix(text, "\r")}
	}
	parts := p.expandable(atEnd, missing, false)
	if n := len(parts); n > 0 {
		if c, ok := parts[n-1].(*Const); ok {
			s := c.Value.(string)
			c.Value = strings.TrimSuffix(s, "\r")
		}
	}
	return expandable(p.pos(start), parts)
}

// hash reads a hash literal @{ key = value; ... } (§7.1.9).
func (p *parser) hash() Expr {
	start := p.i
	p.i += 2
	saved := p.noComma
	p.noComma = 0
	defer func() { p.noComma = saved }()
	h := &Hash{P: p.pos(start)}
	for {
		p.skip(true)
		for p.at(0) == ';' {
			p.i++
			p.skip(true)
		}
		if p.eof() {
			fail(p.errAt(start, 2, ErrMissingEndCurlyBrace, "Missing closing '}' in statement block or type definition."))
		}
		if p.at(0) == '}' {
			p.i++
			return h
		}
		var key Expr
		if isNameChar(p.at(0)) || isDash(p.at(0)) {
			s := p.i
			for !p.eof() && !isTerminator(p.at(0)) && p.at(0) != '=' {
				p.i++
			}
			key = &Const{P: p.pos(s), Value: string(p.src[s:p.i])}
		} else {
			key = p.unary()
		}
		p.skip(false)
		if p.at(0) != '=' {
			fail(p.errAt(p.i, 1, ErrMissingEqualsInHashLiteral, "Missing '=' operator after key in hash literal."))
		}
		p.i++
		p.skip(true)
		if p.eof() || p.at(0) == '}' || p.at(0) == ';' {
			fail(p.errAt(p.i, 1, "MissingStatementInHashLiteral", "Missing statement after '=' in hash literal."))
		}
		h.Keys = append(h.Keys, key)
		h.Values = append(h.Values, p.statement())
		p.skip(false)
		if c := p.at(0); !isNewline(c) && c != ';' && c != '}' && !p.eof() {
			fail(p.errAt(p.i, 1, "MissingEndCurlyBrace", "Missing closing '}' in statement block or type definition."))
		}
	}
}
