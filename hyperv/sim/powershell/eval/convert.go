package eval

// Conversions between values (spec §6: conversions to bool, string and
// numbers) and how values print as strings.

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// toBool converts as §6.2 does: $null, 0, "" and empty arrays are false;
// an array of one is its element's truth; objects are true.
func toBool(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case int32:
		return x != 0
	case int64:
		return x != 0
	case float64:
		return x != 0
	case string:
		return x != ""
	case Enum:
		return x.Value != 0
	case []any:
		switch len(x) {
		case 0:
			return false
		case 1:
			return toBool(x[0])
		}
		return true
	}
	return true
}

// toString converts as §6.8 does, with the invariant culture.
func toString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		if x {
			return "True"
		}
		return "False"
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return formatDouble(x)
	case Guid:
		return string(x)
	case Enum:
		return x.Name
	case time.Time:
		return x.Format("1/2/2006 3:04:05 PM")
	case time.Duration:
		return formatTimeSpan(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = toString(e)
		}
		return strings.Join(parts, " ")
	case []string:
		return strings.Join(x, " ")
	case *ScriptBlock:
		return x.String()
	case *Hash:
		return "System.Collections.Hashtable"
	case *Object:
		return objectString(x)
	}
	return typeName(v)
}

// objectString is an object's ToString(): its text, the "@{a=1; b=2}"
// form of a PSCustomObject, or its type name.
func objectString(o *Object) string {
	if o.Text != "" {
		return o.Text
	}
	if !o.IsCustom() {
		return o.TypeNames[0]
	}
	parts := make([]string, len(o.Props))
	for i, p := range o.Props {
		parts[i] = p.Name + "=" + toString(p.Value)
	}
	return "@{" + strings.Join(parts, "; ") + "}"
}

// formatDouble prints a double as .NET's Double.ToString() does: up to 15
// significant digits, exponent form "1E+20" beyond.
func formatDouble(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	s := strconv.FormatFloat(f, 'G', 15, 64)
	if strings.Contains(s, "E") {
		mant, exp, _ := strings.Cut(s, "E")
		sign := exp[0]
		exp = strings.TrimLeft(exp[1:], "0")
		if strings.Contains(mant, ".") {
			mant = strings.TrimRight(strings.TrimRight(mant, "0"), ".")
		}
		return mant + "E" + string(sign) + exp
	}
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// formatTimeSpan prints [d.]hh:mm:ss[.fffffff] as TimeSpan.ToString().
func formatTimeSpan(d time.Duration) string {
	neg := d < 0
	if neg {
		d = -d
	}
	ticks := int64(d / 100)
	days := ticks / (864000000000)
	rem := ticks % 864000000000
	h, m, s, frac := rem/36000000000, rem/600000000%60, rem/10000000%60, rem%10000000
	out := ""
	if neg {
		out = "-"
	}
	if days > 0 {
		out += strconv.FormatInt(days, 10) + "."
	}
	out += pad2(h) + ":" + pad2(m) + ":" + pad2(s)
	if frac > 0 {
		f := strconv.FormatInt(frac, 10)
		out += "." + strings.Repeat("0", 7-len(f)) + f
	}
	return out
}

func pad2(n int64) string {
	if n < 10 {
		return "0" + strconv.FormatInt(n, 10)
	}
	return strconv.FormatInt(n, 10)
}

// toNumber converts to a number for arithmetic and comparison: ints stay
// int64, everything else a double; ok is false for a string that is not
// a number.
func toNumber(v any) (i int64, f float64, isInt, ok bool) {
	switch x := v.(type) {
	case nil:
		return 0, 0, true, true
	case bool:
		if x {
			return 1, 1, true, true
		}
		return 0, 0, true, true
	case int32:
		return int64(x), float64(x), true, true
	case int64:
		return x, float64(x), true, true
	case float64:
		return 0, x, false, true
	case Enum:
		return x.Value, float64(x.Value), true, true
	case time.Duration:
		return int64(x / 100), float64(x / 100), true, true
	case string:
		s := strings.TrimSpace(x)
		if s == "" {
			return 0, 0, true, true
		}
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n, float64(n), true, true
		}
		if strings.HasPrefix(strings.ToLower(s), "0x") {
			if n, err := strconv.ParseInt(s[2:], 16, 64); err == nil {
				return n, float64(n), true, true
			}
		}
		if n, err := strconv.ParseFloat(s, 64); err == nil {
			return 0, n, false, true
		}
	case []any:
		if len(x) == 1 {
			return toNumber(x[0])
		}
	}
	return 0, 0, false, false
}

// toInt converts to an integer, rounding a double to even as .NET does.
func toInt(v any) (int64, bool) {
	i, f, isInt, ok := toNumber(v)
	if !ok {
		return 0, false
	}
	if isInt {
		return i, true
	}
	return int64(math.RoundToEven(f)), true
}
