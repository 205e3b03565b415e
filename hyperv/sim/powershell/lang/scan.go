package lang

// Lexical structure (spec chapter 2). PowerShell's tokens depend on where
// they stand — command mode and expression mode read `-eq` or `1GB`
// differently (§2.3) — so the parser reads characters through these helpers
// instead of a token stream.

import (
	"sort"
	"unicode"
)

// parser holds the script being read and the reading position.
type parser struct {
	src   []rune
	i     int
	lines []int // rune offset of each line's start
	// noComma is set while reading a method's arguments, where ',' separates
	// arguments instead of building an array.
	noComma int
}

func newParser(src string) *parser {
	p := &parser{src: []rune(src)}
	p.lines = append(p.lines, 0)
	for i, r := range p.src {
		if r == '\n' {
			p.lines = append(p.lines, i+1)
		}
	}
	return p
}

// pos is the position of rune offset i.
func (p *parser) pos(i int) Pos {
	l := sort.Search(len(p.lines), func(k int) bool { return p.lines[k] > i }) - 1
	return Pos{Offset: i, Line: l + 1, Col: i - p.lines[l] + 1}
}

// at returns the rune k places ahead, 0 past the end.
func (p *parser) at(k int) rune {
	if p.i+k < len(p.src) && p.i+k >= 0 {
		return p.src[p.i+k]
	}
	return 0
}

func (p *parser) eof() bool { return p.i >= len(p.src) }

// isDash reports a dash character (§2.2.2: dash includes the en and em
// dashes and the horizontal bar).
func isDash(r rune) bool { return r == '-' || r == '\u2013' || r == '\u2014' || r == '\u2015' }

// isNewline reports a new-line-character (§2.2.2).
func isNewline(r rune) bool { return r == '\n' || r == '\r' }

// isSpace reports whitespace other than a new line (§2.2.4).
func isSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\v' || r == '\f' || r == 0xa0 || r == 0xfeff || (r > 0x7f && unicode.Is(unicode.Zs, r))
}

// isVarChar reports a variable-character (§2.3.6): letters, digits, '_'
// and '?'.
func isVarChar(r rune) bool {
	return r == '_' || r == '?' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

// isNameChar reports a character of a member or parameter name.
func isNameChar(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }

// skip passes whitespace, comments (§2.2.3) and line continuations (a
// backtick before a new line, §2.2.4); with newlines it passes new lines
// too. It reports whether it passed a new line.
func (p *parser) skip(newlines bool) bool {
	sawNewline := false
	for !p.eof() {
		c := p.at(0)
		switch {
		case isSpace(c):
			p.i++
		case c == '`' && isNewline(p.at(1)):
			p.i += 2
			if p.at(-1) == '\r' && p.at(0) == '\n' {
				p.i++
			}
		case c == '#':
			for !p.eof() && !isNewline(p.at(0)) {
				p.i++
			}
		case c == '<' && p.at(1) == '#':
			p.i += 2
			for !p.eof() && (p.at(0) != '#' || p.at(1) != '>') {
				p.i++
			}
			p.i += 2
			if p.i > len(p.src) {
				p.i = len(p.src)
			}
		case isNewline(c) && newlines:
			sawNewline = true
			p.i++
		default:
			return sawNewline
		}
	}
	return sawNewline
}

// isTerminator reports a character that ends a generic token in command
// mode (§2.3.2: generic-token characters exclude these).
func isTerminator(r rune) bool {
	switch r {
	case '{', '}', '(', ')', ';', ',', '|', '&', '\n', '\r':
		return true
	}
	return isSpace(r)
}

// tokenText is the text PowerShell shows for an unexpected token at i: the
// run of characters up to whitespace or a delimiter (at least one).
func (p *parser) tokenText(i int) string {
	j := i
	for j < len(p.src) && !isTerminator(p.src[j]) {
		j++
	}
	if j == i && j < len(p.src) {
		j++
	}
	return string(p.src[i:j])
}

// errAt builds a ParseError at rune offset i, underlining n characters.
func (p *parser) errAt(i, n int, id, msg string) *ParseError {
	if i > len(p.src) {
		i = len(p.src)
	}
	return &ParseError{ErrorID: id, Message: msg, Pos: p.pos(i), Len: n}
}

// unexpected is UnexpectedToken at i.
func (p *parser) unexpected(i int) *ParseError {
	t := p.tokenText(i)
	return p.errAt(i, len([]rune(t)), ErrUnexpectedToken, "Unexpected token '"+t+"' in expression or statement.")
}

// readName reads a run of name characters.
func (p *parser) readName() string {
	s := p.i
	for !p.eof() && isNameChar(p.at(0)) {
		p.i++
	}
	return string(p.src[s:p.i])
}
