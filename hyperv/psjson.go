package hyperv

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// This file decodes what Windows PowerShell 5.1's ConvertTo-Json prints:
// nothing for an empty pipeline, a bare object for one item, an array for
// more; dates as "\/Date(ms)\/", TimeSpans as objects, enums as numbers.

// decodeList decodes a script's stdout into zero, one or many T.
// script names the script in errors.
func decodeList[T any](script string, out []byte) ([]T, error) {
	b := trimOutput(out)
	if len(b) == 0 {
		return nil, nil
	}
	b = quoteNonFinite(b)
	// Fast path: one pass. On failure the careful path below explains.
	switch b[0] {
	case '{':
		var v T
		if json.Unmarshal(b, &v) == nil {
			return []T{v}, nil
		}
	case '[':
		var ptrs []*T
		if json.Unmarshal(b, &ptrs) == nil {
			list := make([]T, 0, len(ptrs))
			for _, p := range ptrs {
				if p != nil {
					list = append(list, *p)
				}
			}
			return list, nil
		}
	}
	list, err := decodeListSlowly[T](script, b)
	if err == nil && len(list) > 0 {
		// The fast path failed where this one did not: never expected.
		err = outputError(script, -1, errors.New("inconsistent JSON"))
	}
	return list, err
}

// decodeListSlowly decodes item by item, so errors name the item.
func decodeListSlowly[T any](script string, b []byte) ([]T, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return nil, outputError(script, -1, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, outputError(script, -1, errors.New("trailing data after the JSON value"))
	}
	switch raw[0] {
	case 'n':
		return nil, nil
	case '{':
		var v T
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, outputError(script, -1, err)
		}
		return []T{v}, nil
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, outputError(script, -1, err)
		}
		list := make([]T, 0, len(items))
		for i, it := range items {
			if string(it) == "null" {
				continue
			}
			if it[0] != '{' {
				return nil, outputError(script, i, fmt.Errorf("got %s, want a JSON object", jsonKind(it)))
			}
			var v T
			if err := json.Unmarshal(it, &v); err != nil {
				return nil, outputError(script, i, err)
			}
			list = append(list, v)
		}
		return list, nil
	}
	return nil, outputError(script, -1, fmt.Errorf("got %s, want a JSON object or array", jsonKind(raw)))
}

// decodeOne decodes a script's stdout that holds at most one object.
// ok is false when the script printed nothing.
func decodeOne[T any](script string, out []byte) (v T, ok bool, err error) {
	list, err := decodeList[T](script, out)
	if err != nil {
		return v, false, err
	}
	switch len(list) {
	case 0:
		return v, false, nil
	case 1:
		return list[0], true, nil
	}
	return v, false, outputError(script, -1, fmt.Errorf("got %d objects, want one", len(list)))
}

// trimOutput drops a UTF-8 byte order mark and surrounding white space (CRLF).
func trimOutput(b []byte) []byte {
	b = bytes.TrimSpace(b)
	for bytes.HasPrefix(b, []byte("\xef\xbb\xbf")) {
		b = bytes.TrimSpace(b[3:])
	}
	return b
}

// quoteNonFinite turns the bare NaN, Infinity and -Infinity tokens some
// serializers print for doubles into JSON strings, leaving strings alone.
func quoteNonFinite(b []byte) []byte {
	if !bytes.Contains(b, []byte("NaN")) && !bytes.Contains(b, []byte("Infinity")) {
		return b
	}
	var out []byte
	inString, escaped, last := false, false, 0
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		if c == '"' {
			inString = true
			continue
		}
		for _, tok := range []string{"NaN", "Infinity", "-Infinity"} {
			if bytes.HasPrefix(b[i:], []byte(tok)) {
				out = append(out, b[last:i]...)
				out = append(out, '"')
				out = append(out, tok...)
				out = append(out, '"')
				i += len(tok) - 1
				last = i + 1
				break
			}
		}
	}
	if out == nil {
		return b
	}
	return append(out, b[last:]...)
}

func jsonKind(raw []byte) string {
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// outputError explains why a script's output could not be decoded; item is
// the array index, or -1.
func outputError(script string, item int, err error) error {
	where := ""
	if item >= 0 {
		where = fmt.Sprintf("item %d: ", item)
	}
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "(value)"
		}
		return fmt.Errorf("parse %s output: %sfield %s: got %s, want %s: %w",
			script, where, field, te.Value, typeWord(te.Type), ErrUnexpectedOutput)
	case errors.As(err, &se):
		return fmt.Errorf("parse %s output: %sinvalid JSON at offset %d: %s: %w",
			script, where, se.Offset, se.Error(), ErrUnexpectedOutput)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("parse %s output: %struncated JSON: %w", script, where, ErrUnexpectedOutput)
	}
	return fmt.Errorf("parse %s output: %s%s: %w", script, where, err.Error(), ErrUnexpectedOutput)
}

func typeWord(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	switch t {
	case reflect.TypeFor[psDate]():
		return `a DateTime ("\/Date(ms)\/")`
	case reflect.TypeFor[psTimeSpan]():
		return "a TimeSpan"
	case reflect.TypeFor[psFloat]():
		return "a number"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer (" + t.Kind().String() + ")"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return t.String()
}

// typeError reports a JSON value of the wrong shape for t, quoting at most
// a short prefix of the value.
func typeError(raw []byte, t reflect.Type) error {
	v := jsonKind(raw)
	if len(raw) > 0 && raw[0] == '"' {
		s := string(raw)
		if len(s) > 48 {
			s = s[:45] + "..."
		}
		v = "string " + s
	}
	return &json.UnmarshalTypeError{Value: v, Type: t}
}

// psDate is a DateTime as ConvertTo-Json prints it: "\/Date(ms)\/",
// optionally with a UTC offset ("\/Date(ms+0100)\/"); the milliseconds are
// always since the Unix epoch in UTC. ISO 8601 text is accepted too.
type psDate time.Time

// UnmarshalJSON implements json.Unmarshaler.
func (d *psDate) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = psDate{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return typeError(b, reflect.TypeFor[psDate]())
	}
	t, ok := parsePSDate(s)
	if !ok {
		return typeError(b, reflect.TypeFor[psDate]())
	}
	*d = psDate(t)
	return nil
}

// parsePSDate parses the decoded text of a PowerShell date.
func parsePSDate(s string) (time.Time, bool) {
	if inner, ok := strings.CutPrefix(s, "/Date("); ok {
		inner, ok = strings.CutSuffix(inner, ")/")
		if !ok {
			return time.Time{}, false
		}
		// An offset (+hhmm / -hhmm) only says which zone the value was
		// printed in; the milliseconds are UTC.
		if n := len(inner); n > 5 && (inner[n-5] == '+' || inner[n-5] == '-') && allDigits(inner[n-4:]) {
			inner = inner[:n-5]
		}
		digits := strings.TrimPrefix(inner, "-")
		if digits == "" || !allDigits(digits) {
			return time.Time{}, false
		}
		ms, err := strconv.ParseInt(inner, 10, 64)
		if err != nil {
			return time.Time{}, false
		}
		return time.UnixMilli(ms).UTC(), true
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// psTimeSpan is a System.TimeSpan: ConvertTo-Json prints an object whose
// Ticks (100 ns) are authoritative. "[-][d.]hh:mm:ss[.fffffff]" text is
// accepted too.
type psTimeSpan time.Duration

// UnmarshalJSON implements json.Unmarshaler.
func (ts *psTimeSpan) UnmarshalJSON(b []byte) error {
	bad := typeError(b, reflect.TypeFor[psTimeSpan]())
	switch {
	case string(b) == "null":
		*ts = 0
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return bad
		}
		d, ok := parseTimeSpanText(s)
		if !ok {
			return bad
		}
		*ts = psTimeSpan(d)
		return nil
	case len(b) > 0 && b[0] == '{':
		var v struct{ Ticks *json.Number }
		if err := json.Unmarshal(b, &v); err != nil || v.Ticks == nil {
			return bad
		}
		ticks, err := v.Ticks.Int64()
		if err != nil || ticks > math.MaxInt64/100 || ticks < math.MinInt64/100 {
			return bad
		}
		*ts = psTimeSpan(time.Duration(ticks) * 100)
		return nil
	}
	return bad
}

var timeSpanRE = regexp.MustCompile(`^(-)?(?:(\d{1,8})\.)?(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,7}))?$`)

// parseTimeSpanText parses TimeSpan.ToString()'s constant format.
func parseTimeSpanText(s string) (time.Duration, bool) {
	m := timeSpanRE.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	num := func(s string) int64 {
		n, _ := strconv.ParseInt(s, 10, 64) // digits only, bounded length
		return n
	}
	h, mi, sec := num(m[3]), num(m[4]), num(m[5])
	if h > 23 || mi > 59 || sec > 59 {
		return 0, false
	}
	d := time.Duration(num(m[2]))*24*time.Hour + time.Duration(h)*time.Hour +
		time.Duration(mi)*time.Minute + time.Duration(sec)*time.Second
	if m[6] != "" {
		frac := m[6] + strings.Repeat("0", 7-len(m[6]))
		d += time.Duration(num(frac)) * 100
	}
	if m[1] == "-" {
		d = -d
	}
	return d, true
}

// psFloat is a double that may arrive as a number, as "NaN"/"Infinity"
// text, or as null (read as NaN).
type psFloat float64

// UnmarshalJSON implements json.Unmarshaler.
func (f *psFloat) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = psFloat(math.NaN())
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err == nil {
			switch s {
			case "NaN":
				*f = psFloat(math.NaN())
				return nil
			case "Infinity":
				*f = psFloat(math.Inf(1))
				return nil
			case "-Infinity":
				*f = psFloat(math.Inf(-1))
				return nil
			}
			if v, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil {
				*f = psFloat(v)
				return nil
			}
		}
		return typeError(b, reflect.TypeFor[psFloat]())
	}
	var v float64
	if err := json.Unmarshal(b, &v); err != nil {
		return typeError(b, reflect.TypeFor[psFloat]())
	}
	*f = psFloat(v)
	return nil
}
