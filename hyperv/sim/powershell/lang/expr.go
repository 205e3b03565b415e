package lang

// Expressions (spec chapter 7), from the loosest operators to the
// tightest: logical (§7.10), bitwise (§7.8), comparison (§7.8), additive
// (§7.7), multiplicative (§7.6), format (§7.7.x -f), range (§7.4), the
// comma list (§7.3), unary (§7.2) and postfix (§7.1).

import (
	"strings"
	"unicode"
)

func lower(s string) string { return strings.ToLower(s) }

// binaryLevels lists the dash operators of each precedence level, loosest
// first; the comparison operators also come as c- and i- forms (§7.8).
var binaryLevels = [][]string{
	{"-and", "-or", "-xor"},
	{"-band", "-bor", "-bxor"},
	{"-eq", "-ne", "-gt", "-ge", "-lt", "-le", "-like", "-notlike", "-match", "-notmatch", "-contains", "-notcontains", "-in", "-notin", "-replace", "-split", "-join", "-is", "-isnot", "-as", "-shl", "-shr"},
	{"+", "-"},
	{"*", "/", "%"},
	{"-f"},
	{".."},
}

// unaryOps are the prefix operators of §7.2 written with a dash.
var unaryOps = map[string]bool{"not": true, "bnot": true, "split": true, "join": true}

// comparisonBase strips the case prefix of a comparison operator:
// -ceq and -ieq are -eq with case-sensitivity chosen.
func comparisonBase(op string) (string, bool) {
	for _, o := range binaryLevels[2] {
		if op == o {
			return op, true
		}
		if op == "-c"+o[1:] || op == "-i"+o[1:] {
			return op, true
		}
	}
	return "", false
}

// expression reads an expression (§7: expression = logical-expression).
func (p *parser) expression() Expr { return p.binary(0) }

// peekOp reads the binary operator at the position for level, without
// consuming it; "" when there is none. An unknown dash word is an
// UnexpectedToken as in 5.1.
func (p *parser) peekOp(level int) (string, int) {
	c := p.at(0)
	if p.assignOp() != "" {
		return "", 0
	}
	if isDash(c) && (unicode.IsLetter(p.at(1))) {
		save := p.i
		p.i++
		op := "-" + lower(p.readName())
		n := p.i - save
		p.i = save
		if level == 2 {
			if _, ok := comparisonBase(op); ok {
				return op, n
			}
		}
		for _, o := range binaryLevels[level] {
			if o == op {
				return op, n
			}
		}
		known := false
		for _, lv := range binaryLevels {
			for _, o := range lv {
				known = known || o == op
			}
		}
		if _, ok := comparisonBase(op); !ok && !known {
			fail(p.unexpected(p.i))
		}
		return "", 0
	}
	for _, o := range binaryLevels[level] {
		if o == "-" && isDash(c) {
			return "-", 1
		}
		if !strings.HasPrefix(o, "-") && strings.HasPrefix(string(p.src[p.i:min(p.i+len(o), len(p.src))]), o) {
			if o == "." {
				continue
			}
			return o, len(o)
		}
	}
	return "", 0
}

// binary reads the operators of level and tighter, left-associative.
func (p *parser) binary(level int) Expr {
	if level == len(binaryLevels) {
		return p.arrayLiteral()
	}
	start := p.i
	l := p.binary(level + 1)
	for {
		p.skip(false)
		op, n := p.peekOp(level)
		if op == "" {
			return l
		}
		opAt := p.i
		p.i += n
		p.skip(true)
		if p.eof() || isTerminator(p.at(0)) && p.at(0) != '(' && p.at(0) != '{' || p.at(0) == '|' {
			fail(p.errAt(p.i, 1, ErrExpectedValueExpression, "You must provide a value expression following the '"+op+"' operator."))
		}
		if !p.startsOperand() {
			fail(p.errAt(opAt+n, 1, ErrExpectedValueExpression, "You must provide a value expression following the '"+op+"' operator."))
		}
		r := p.binary(level + 1)
		l = &Binary{P: p.pos(start), Op: op, L: l, R: r}
	}
}

// startsOperand reports whether a value can start here in expression mode.
func (p *parser) startsOperand() bool {
	c := p.at(0)
	return p.startsExpression() || unicode.IsDigit(c) || isDash(c) || c == '@' || c == ','
}

// arrayLiteral reads `unary , unary , ...` (§7.3); a leading ',' makes a
// one-element array.
func (p *parser) arrayLiteral() Expr {
	start := p.i
	if p.at(0) == ',' {
		p.i++
		p.skip(true)
		return &ArrayLit{P: p.pos(start), Elems: []Expr{p.unary()}}
	}
	first := p.unary()
	p.skip(false)
	if p.at(0) != ',' || p.noComma > 0 {
		return first
	}
	arr := &ArrayLit{P: p.pos(start), Elems: []Expr{first}}
	for p.at(0) == ',' {
		p.i++
		p.skip(true)
		if !p.startsOperand() {
			fail(p.errAt(p.i, 1, "MissingExpressionAfterToken", "Missing expression after ','."))
		}
		arr.Elems = append(arr.Elems, p.unary())
		p.skip(false)
	}
	return arr
}

// unary reads prefix operators and casts (§7.2).
func (p *parser) unary() Expr {
	start := p.i
	c := p.at(0)
	switch {
	case c == '!':
		p.i++
		p.skip(true)
		return &Unary{P: p.pos(start), Op: "-not", X: p.operand("!")}
	case isDash(c) && unicode.IsLetter(p.at(1)):
		p.i++
		name := lower(p.readName())
		if !unaryOps[name] {
			p.i = start
			fail(p.unexpected(start))
		}
		p.skip(true)
		return &Unary{P: p.pos(start), Op: "-" + name, X: p.operand("-" + name)}
	case (isDash(c) || c == '+') && (p.at(1) == c):
		fail(p.errAt(start, 2, ErrUnsupported, "The simulated host does not run the '"+string([]rune{c, c})+"' operator."))
	case isDash(c) || c == '+':
		p.i++
		if isDash(c) && unicode.IsDigit(p.at(0)) {
			if v, ok := p.number(); ok {
				return p.postfix(&Const{P: p.pos(start), Value: negate(v)})
			}
		}
		p.skip(true)
		op := "-"
		if c == '+' {
			op = "+"
		}
		return &Unary{P: p.pos(start), Op: op, X: p.operand(op)}
	case c == '[':
		t := p.typeName()
		p.skip(false)
		if p.at(0) == ':' && p.at(1) == ':' {
			return p.postfix(&TypeLit{P: p.pos(start), Type: t})
		}
		if p.at(0) == '.' && !unicode.IsDigit(p.at(1)) {
			return p.postfix(&TypeLit{P: p.pos(start), Type: t})
		}
		if p.startsOperand() && !isDash(p.at(0)) || p.at(0) == '[' || (isDash(p.at(0)) && unicode.IsDigit(p.at(1))) {
			return &Cast{P: p.pos(start), Type: t, X: p.unary()}
		}
		return &TypeLit{P: p.pos(start), Type: t}
	}
	return p.postfix(p.primary())
}

// operand reads the operand of a prefix operator.
func (p *parser) operand(op string) Expr {
	if p.eof() || !p.startsOperand() {
		fail(p.errAt(p.i, 1, "MissingExpressionAfterOperator", "Missing expression after unary operator '"+op+"'."))
	}
	return p.unary()
}

// typeName reads `[name]` (§7.1.10), nested brackets included.
func (p *parser) typeName() string {
	open := p.i
	p.i++
	depth := 1
	s := p.i
	for !p.eof() && depth > 0 {
		switch p.at(0) {
		case '[':
			depth++
		case ']':
			depth--
		case '\n', '\r':
			fail(p.errAt(open, 1, ErrMissingEndSquareBracket, "Missing ] at end of type token."))
		}
		p.i++
	}
	if depth > 0 {
		fail(p.errAt(open, 1, ErrMissingEndSquareBracket, "Missing ] at end of type token."))
	}
	name := strings.TrimSpace(string(p.src[s : p.i-1]))
	if name == "" {
		fail(p.errAt(open+1, 1, ErrMissingTypename, "Missing type name after '['."))
	}
	return name
}

// postfix reads member access, method calls and indexing after a primary
// (§7.1.2–§7.1.4); they must follow without whitespace.
func (p *parser) postfix(x Expr) Expr {
	for {
		start := p.i
		switch {
		case p.at(0) == ':' && p.at(1) == ':':
			p.i += 2
			x = p.member(x, true, start)
		case p.at(0) == '.' && p.at(1) != '.' && !unicode.IsDigit(p.at(1)):
			p.i++
			x = p.member(x, false, start)
		case p.at(0) == '[':
			p.i++
			p.skip(true)
			idx := p.expression()
			p.skip(true)
			if p.at(0) != ']' {
				fail(p.errAt(start, 1, ErrMissingEndSquareBracket, "Array index expression is missing or not valid."))
			}
			p.i++
			x = &Index{P: x.At(), X: x, Index: idx}
		default:
			return x
		}
	}
}

// member reads the name after '.' or '::' and an argument list if one
// follows at once.
func (p *parser) member(x Expr, static bool, dot int) Expr {
	var name Expr
	c := p.at(0)
	switch {
	case isNameChar(c):
		s := p.i
		name = &Const{P: p.pos(s), Value: p.readName()}
	case c == '$' || c == '\'' || c == '"' || c == '(':
		name = p.primary()
	default:
		fail(p.errAt(p.i, 1, ErrMissingPropertyName, "Missing property name after reference operator."))
	}
	if p.at(0) != '(' {
		return &Member{P: x.At(), X: x, Name: name, Static: static}
	}
	open := p.i
	p.i++
	inv := &Invoke{P: x.At(), X: x, Name: name, Static: static}
	p.skip(true)
	for p.at(0) != ')' {
		if p.eof() {
			fail(p.errAt(open, 1, ErrMissingEndParenMethodCall, "Missing closing ')' in expression."))
		}
		p.noComma++
		inv.Args = append(inv.Args, p.binary(0))
		p.noComma--
		p.skip(true)
		if p.at(0) == ',' {
			p.i++
			p.skip(true)
			continue
		}
		if p.at(0) != ')' {
			if p.eof() {
				fail(p.errAt(open, 1, ErrMissingEndParenMethodCall, "Missing closing ')' in expression."))
			}
			fail(p.unexpected(p.i))
		}
	}
	p.i++
	return inv
}
