package hyperv

import (
	"encoding/json"
	"strconv"
)

// compactSamples is poll-host's Samples array. It decodes the shape
// Windows PowerShell 5.1 prints (flat objects of the seven one-letter
// fields, strings, digits and nulls) in one pass without
// reflection: a host answers a few hundred samples every poll, and
// encoding/json's per-field work on them was a third of a poll's
// decoding. Anything else (another key, a number with a sign, exponent
// or fraction) is decoded by encoding/json, as it was.
type compactSamples []compactSampleJSON

// UnmarshalJSON implements json.Unmarshaler.
func (s *compactSamples) UnmarshalJSON(b []byte) error {
	if list, ok := scanSamples(b); ok {
		*s = list
		return nil
	}
	var list []compactSampleJSON
	if err := json.Unmarshal(b, &list); err != nil {
		return err
	}
	*s = list
	return nil
}

// scanSamples reads b as an array of compact samples in the usual shape;
// ok is false for any other input. b is valid JSON (encoding/json checked
// it before it called UnmarshalJSON).
func scanSamples(b []byte) (list []compactSampleJSON, ok bool) {
	p := jsonScan{b: b}
	if !p.byte('[') {
		return nil, false
	}
	list = make([]compactSampleJSON, 0, 64)
	if p.byte(']') {
		return list, p.end()
	}
	for {
		var s compactSampleJSON
		if !p.byte('{') {
			return nil, false
		}
		for first := true; !p.byte('}'); first = false {
			if !first && !p.byte(',') {
				return nil, false
			}
			key, ok := p.plainString()
			if !ok || !p.byte(':') {
				return nil, false
			}
			switch key {
			case "S":
				s.S, ok = p.stringOrNull()
			case "N":
				s.N, ok = p.stringOrNull() // null for the memory sample
			case "I":
				var n psInt64
				n, ok = p.digits()
				s.I = int(n.v)
			case "V":
				s.V, ok = p.digits()
			case "T":
				s.T, ok = p.digits()
			case "W":
				s.W, ok = p.digits()
			case "D":
				s.D, ok = p.digits()
			default:
				return nil, false
			}
			if !ok {
				return nil, false
			}
		}
		list = append(list, s)
		if p.byte(']') {
			return list, p.end()
		}
		if !p.byte(',') {
			return nil, false
		}
	}
}

// jsonScan reads JSON tokens of a few kinds from b.
type jsonScan struct {
	b []byte
	i int
}

// space skips white space.
func (p *jsonScan) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\r', '\n':
			p.i++
		default:
			return
		}
	}
}

// byte consumes c, after white space, when it comes next.
func (p *jsonScan) byte(c byte) bool {
	p.space()
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// end reports whether only white space is left.
func (p *jsonScan) end() bool {
	p.space()
	return p.i == len(p.b)
}

// null consumes a JSON null when it comes next.
func (p *jsonScan) null() bool {
	p.space()
	if len(p.b)-p.i >= 4 && string(p.b[p.i:p.i+4]) == "null" {
		p.i += 4
		return true
	}
	return false
}

// stringOrNull reads a string without escapes, or null as "" (as
// encoding/json leaves a string it reads null into).
func (p *jsonScan) stringOrNull() (string, bool) {
	if p.null() {
		return "", true
	}
	return p.plainString()
}

// plainString reads a string; one with escapes (a VM named with an
// apostrophe, which PowerShell writes \u0027) is unquoted by
// encoding/json.
func (p *jsonScan) plainString() (string, bool) {
	if !p.byte('"') {
		return "", false
	}
	start, escaped := p.i, false
	for ; p.i < len(p.b); p.i++ {
		switch c := p.b[p.i]; {
		case c == '"':
			p.i++
			if !escaped {
				return string(p.b[start : p.i-1]), true
			}
			var s string
			if json.Unmarshal(p.b[start-1:p.i], &s) != nil {
				return "", false
			}
			return s, true
		case c == '\\':
			escaped = true
			p.i++ // the escaped character, a quote perhaps
		case c < 0x20:
			return "", false
		}
	}
	return "", false
}

// digits reads null or a non-negative integer written as plain digits,
// as psInt64 takes them.
func (p *jsonScan) digits() (psInt64, bool) {
	if p.null() {
		return psInt64{}, true
	}
	start := p.i
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
	}
	if p.i == start || p.i < len(p.b) && (p.b[p.i] == '.' || p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		return psInt64{}, false
	}
	v, err := strconv.ParseInt(string(p.b[start:p.i]), 10, 64)
	if err != nil {
		return psInt64{}, false
	}
	return psInt64{v: v, ok: true}, true
}
