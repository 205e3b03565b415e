package lang

// Pipelines and command invocations (§8.2), read in command mode (§2.3).

import "unicode"

// pipeline reads pipeline elements joined by '|' (§8.2).
func (p *parser) pipeline() *Pipeline {
	start := p.i
	pl := &Pipeline{P: p.pos(start)}
	for {
		p.skip(false)
		if p.at(0) == '|' || p.eof() || isNewline(p.at(0)) || p.at(0) == ';' || p.at(0) == ')' || p.at(0) == '}' {
			fail(p.errAt(p.i, 1, ErrEmptyPipeElement, "An empty pipe element is not allowed."))
		}
		if len(pl.Elements) == 0 && p.startsExpression() {
			pl.Elements = append(pl.Elements, &ExprElement{X: p.expression()})
		} else {
			if len(pl.Elements) > 0 && p.startsExpression() && p.at(0) != '{' {
				// §8.2: only the first element of a pipeline may be an expression.
				e := p.errAt(p.i, 1, "ExpressionsMustBeFirstInPipeline", "Expressions are only allowed as the first element of a pipeline.")
				fail(e)
			}
			pl.Elements = append(pl.Elements, p.command())
		}
		p.skip(false)
		if p.at(0) != '|' || p.at(1) == '|' {
			break
		}
		p.i++
		p.skip(true)
	}
	pl.Text = string(p.src[start:p.i])
	return pl
}

// startsExpression reports whether a pipeline element starting here is an
// expression rather than a command (§8.2: a command name is a generic
// token; anything a value can start with is an expression).
func (p *parser) startsExpression() bool {
	c, n := p.at(0), p.at(1)
	switch {
	case c == '$', c == '\'', c == '"', c == '(', c == '[', c == '{', c == '!', c == '+', c == ',', c == '\u2018', c == '\u2019', c == '\u201c', c == '\u201d':
		return true
	case c == '@':
		return n == '(' || n == '{' || n == '\'' || n == '"'
	case c == '.':
		return unicode.IsDigit(n)
	case unicode.IsDigit(c):
		save := p.i
		_, ok := p.number()
		end := isTerminator(p.at(0)) || p.at(0) == '.' || p.at(0) == '[' || p.eof() || isDash(p.at(0)) || p.at(0) == '+' || p.at(0) == '*' || p.at(0) == '/' || p.at(0) == '%' || p.at(0) == '=' || p.at(0) == ','
		p.i = save
		return ok && end
	case isDash(c):
		if unicode.IsDigit(n) || n == '$' || n == '(' || n == '.' {
			return true
		}
		save := p.i
		p.i++
		name := p.readName()
		p.i = save
		_, unary := unaryOps[lower(name)]
		return unary
	}
	return false
}

// command reads one command invocation (§8.2.1).
func (p *parser) command() *Command {
	start := p.i
	cmd := &Command{P: p.pos(start)}
	if p.at(0) == '&' && p.at(1) != '&' {
		cmd.Invoke = true
		p.i++
		p.skip(false)
		if p.at(0) == '\'' || p.at(0) == '"' {
			c, ok := p.primary().(*Const)
			if !ok {
				fail(p.errAt(start, 1, ErrUnsupported, "The simulated host runs '&' only with a command name."))
			}
			cmd.Name, _ = c.Value.(string)
			cmd.NameLen = p.i - start
		}
	}
	if cmd.Name == "" {
		if p.at(0) == '&' {
			fail(p.errAt(p.i, 2, ErrInvalidEndOfLine, "The token '&&' is not a valid statement separator in this version."))
		}
		if p.at(0) == '@' {
			fail(p.unexpected(p.i))
		}
		s := p.i
		for !p.eof() && !isTerminator(p.at(0)) {
			p.i++
		}
		cmd.Name = string(p.src[s:p.i])
		cmd.NameLen = p.i - s
		if cmd.Name == "" {
			fail(p.unexpected(p.i))
		}
	}
	for {
		p.skip(false)
		c := p.at(0)
		switch {
		case p.eof(), isNewline(c), c == ';', c == '|', c == ')', c == '}':
			return cmd
		case c == '&':
			if p.at(1) == '&' {
				fail(p.errAt(p.i, 2, ErrInvalidEndOfLine, "The token '&&' is not a valid statement separator in this version."))
			}
			fail(p.errAt(p.i, 1, ErrAmpersandNotAllowed, "The ampersand (&) character is not allowed. The & operator is reserved for future use; wrap an ampersand in double quotation marks (\"&\") to pass it as part of a string."))
		case isDash(c) && (unicode.IsLetter(p.at(1)) || p.at(1) == '_' || p.at(1) == '?'):
			cmd.Args = append(cmd.Args, p.parameter())
		case c == '@' && (isNameChar(p.at(1)) || p.at(1) == '?'):
			s := p.i
			p.i++
			cmd.Args = append(cmd.Args, CommandArg{P: p.pos(s), Splat: p.readName()})
		case c == ',':
			fail(p.errAt(p.i, 1, "MissingArgument", "Missing argument in parameter list."))
		default:
			s := p.i
			cmd.Args = append(cmd.Args, CommandArg{P: p.pos(s), Value: p.argument()})
		}
	}
}

// parameter reads a command-parameter token `-name` or `-name:` (§2.3.4),
// and for the colon form its argument.
func (p *parser) parameter() CommandArg {
	s := p.i
	p.i++
	for !p.eof() && !isTerminator(p.at(0)) && p.at(0) != ':' {
		p.i++
	}
	a := CommandArg{P: p.pos(s), Param: string(p.src[s+1 : p.i])}
	if p.at(0) == ':' {
		p.i++
		a.Colon = true
		p.skip(false)
		a.Value = p.argument()
	}
	a.ParamText = string(p.src[s:p.i])
	return a
}

// argument reads one command argument: primaries joined by commas into an
// array (§8.2: command-argument, array-literal-expression).
func (p *parser) argument() Expr {
	start := p.i
	first := p.argPrimary()
	p.skip(false)
	if p.at(0) != ',' {
		return first
	}
	arr := &ArrayLit{P: p.pos(start), Elems: []Expr{first}}
	for p.at(0) == ',' {
		p.i++
		p.skip(true)
		if p.eof() || isTerminator(p.at(0)) && p.at(0) != '(' && p.at(0) != '{' {
			fail(p.errAt(p.i, 1, "MissingExpressionAfterToken", "Missing expression after ','."))
		}
		arr.Elems = append(arr.Elems, p.argPrimary())
		p.skip(false)
	}
	return arr
}

// argPrimary reads a value in command mode: an expression primary, or a
// bare word taken as a string (§2.3.2: generic-token).
func (p *parser) argPrimary() Expr {
	c := p.at(0)
	switch {
	case c == '$', c == '\'', c == '"', c == '(', c == '{', c == '\u2018', c == '\u2019', c == '\u201c', c == '\u201d',
		c == '@' && (p.at(1) == '(' || p.at(1) == '{' || p.at(1) == '\'' || p.at(1) == '"'):
		return p.postfix(p.primary())
	case unicode.IsDigit(c) || (c == '.' && unicode.IsDigit(p.at(1))) || (isDash(c) && unicode.IsDigit(p.at(1))):
		save := p.i
		if isDash(c) {
			p.i++
		}
		if v, ok := p.number(); ok && (isTerminator(p.at(0)) || p.eof()) {
			if isDash(c) {
				v = negate(v)
			}
			return &Const{P: p.pos(save), Value: v}
		}
		p.i = save
	}
	s := p.i
	for !p.eof() && !isTerminator(p.at(0)) {
		if p.at(0) == '`' && !p.eof() {
			p.i++
		}
		p.i++
	}
	if p.i > len(p.src) {
		p.i = len(p.src)
	}
	if p.i == s {
		fail(p.unexpected(s))
	}
	return &Const{P: p.pos(s), Value: unescapeBare(string(p.src[s:p.i]))}
}

// unescapeBare removes the backtick escapes of a bare word.
func unescapeBare(s string) string {
	out := make([]rune, 0, len(s))
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		if rs[i] == '`' && i+1 < len(rs) {
			i++
		}
		out = append(out, rs[i])
	}
	return string(out)
}
