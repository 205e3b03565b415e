package lang

// Numeric literals (§2.3.5.1): decimal and hexadecimal integers, reals,
// the l and d type suffixes and the kb, mb, gb, tb and pb multipliers.

import (
	"math"
	"strconv"
	"strings"
	"unicode"
)

var multipliers = map[string]float64{"kb": 1 << 10, "mb": 1 << 20, "gb": 1 << 30, "tb": 1 << 40, "pb": 1 << 50}

// number reads a numeric literal; ok is false (position unchanged) when the
// characters here are not one.
func (p *parser) number() (any, bool) {
	start := p.i
	isHex := p.at(0) == '0' && (p.at(1) == 'x' || p.at(1) == 'X')
	var digits string
	real := false
	if isHex {
		p.i += 2
		s := p.i
		for strings.ContainsRune("0123456789abcdefABCDEF", p.at(0)) && !p.eof() {
			p.i++
		}
		digits = string(p.src[s:p.i])
		if digits == "" {
			p.i = start
			return nil, false
		}
	} else {
		s := p.i
		for unicode.IsDigit(p.at(0)) {
			p.i++
		}
		if p.at(0) == '.' && unicode.IsDigit(p.at(1)) {
			real = true
			p.i++
			for unicode.IsDigit(p.at(0)) {
				p.i++
			}
		}
		if (p.at(0) == 'e' || p.at(0) == 'E') && (unicode.IsDigit(p.at(1)) || (p.at(1) == '+' || isDash(p.at(1))) && unicode.IsDigit(p.at(2))) {
			real = true
			p.i += 2
			for unicode.IsDigit(p.at(0)) {
				p.i++
			}
		}
		digits = strings.ReplaceAll(string(p.src[s:p.i]), "\u2013", "-")
	}
	suffix := ""
	if c := p.at(0); c == 'l' || c == 'L' || c == 'd' || c == 'D' {
		if !isNameChar(p.at(1)) || multipliers[lower(string(p.src[p.i+1:min(p.i+3, len(p.src))]))] != 0 {
			suffix = lower(string(c))
			p.i++
		}
	}
	mult := 1.0
	if p.i+2 <= len(p.src) {
		if m, ok := multipliers[lower(string(p.src[p.i:p.i+2]))]; ok && !isNameChar(p.at(2)) {
			mult = m
			p.i += 2
		}
	}
	if isNameChar(p.at(0)) {
		p.i = start
		return nil, false
	}
	if isHex {
		u, err := strconv.ParseUint(digits, 16, 64)
		if err != nil {
			p.i = start
			return nil, false
		}
		return scaleInt(int64(u), mult, suffix, len(digits) <= 8), true
	}
	f, err := strconv.ParseFloat(digits, 64)
	if err != nil {
		p.i = start
		return nil, false
	}
	if suffix == "d" {
		return f * mult, true // decimal, carried as a double
	}
	if real {
		return f * mult, true
	}
	if f > math.MaxInt64 {
		return f * mult, true
	}
	return scaleInt(int64(f), mult, suffix, false), true
}

// scaleInt applies a multiplier and picks the narrowest type: int (32-bit)
// when it fits, else long, else double (§2.3.5.1.1).
func scaleInt(v int64, mult float64, suffix string, hex32 bool) any {
	if hex32 && v > math.MaxInt32 && suffix != "l" {
		v = int64(int32(uint32(v)))
	}
	f := float64(v) * mult
	if f > math.MaxInt64 || f < math.MinInt64 {
		return f
	}
	n := v * int64(mult)
	if suffix == "l" || n > math.MaxInt32 || n < math.MinInt32 {
		return n
	}
	return int32(n)
}

// negate negates a literal for a leading dash.
func negate(v any) any {
	switch n := v.(type) {
	case int32:
		return -n
	case int64:
		return -n
	case float64:
		return -n
	}
	return v
}
