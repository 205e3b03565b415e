package eval

// ConvertTo-Json and ConvertFrom-Json as Windows PowerShell 5.1 does them:
// ConvertToJsonCommand.ProcessValue prepares each value (primitives as
// they are, enums as numbers, objects beyond -Depth as their string form),
// JavaScriptSerializer writes it ("\/Date(ms)\/" dates; <, >, & and '
// escaped), and without -Compress ConvertToPrettyJsonString indents it
// (four spaces, two after each colon, nested values aligned after their
// key).

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// toJSON renders v as ConvertTo-Json -Compress does.
func toJSON(v any, maxDepth int) string {
	var b bytes.Buffer
	writeJSON(&b, v, 0, maxDepth)
	return b.String()
}

func writeJSON(b *bytes.Buffer, v any, depth, maxDepth int) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case int32:
		b.Write(strconv.AppendInt(b.AvailableBuffer(), int64(x), 10))
	case int64:
		b.Write(strconv.AppendInt(b.AvailableBuffer(), x, 10))
	case float64:
		out, _ := json.Marshal(x)
		b.Write(out)
	case string:
		writeJSONString(b, x)
	case Guid:
		writeJSONString(b, string(x))
	case Enum:
		b.WriteString(strconv.FormatInt(x.Value, 10))
	case time.Time:
		b.WriteString(`"\/Date(` + strconv.FormatInt(x.UnixMilli(), 10) + `)\/"`)
	default:
		if depth > maxDepth {
			writeJSONString(b, toString(v))
			return
		}
		switch y := v.(type) {
		case time.Duration:
			writeObject(b, timeSpanObject(y).Props, depth, maxDepth)
		case *Object:
			writeObject(b, y.Props, depth, maxDepth)
		case *Hash:
			props := make([]Prop, len(y.Keys))
			for i, k := range y.Keys {
				props[i] = Prop{Name: toString(k), Value: y.Values[i]}
			}
			writeObject(b, props, depth, maxDepth)
		case []any:
			b.WriteByte('[')
			for i, e := range y {
				if i > 0 {
					b.WriteByte(',')
				}
				writeJSON(b, e, depth+1, maxDepth)
			}
			b.WriteByte(']')
		case []string:
			a := make([]any, len(y))
			for i, s := range y {
				a[i] = s
			}
			writeJSON(b, a, depth, maxDepth)
		default:
			writeJSONString(b, toString(v))
		}
	}
}

func writeObject(b *bytes.Buffer, props []Prop, depth, maxDepth int) {
	b.WriteByte('{')
	for i, p := range props {
		if i > 0 {
			b.WriteByte(',')
		}
		writeJSONString(b, p.Name)
		b.WriteByte(':')
		writeJSON(b, p.Value, depth+1, maxDepth)
	}
	b.WriteByte('}')
}

// writeJSONString escapes as JavaScriptSerializer: encoding/json's
// escaping, plus the apostrophe.
func writeJSONString(b *bytes.Buffer, s string) {
	switch plainJSON(s) {
	case plain: // most names and values: nothing to escape
		b.Grow(len(s) + 2)
		b.WriteByte('"')
		b.WriteString(s)
		b.WriteByte('"')
		return
	case backslashes: // paths: only the backslashes, each doubled
		b.Grow(2*len(s) + 2)
		b.WriteByte('"')
		for i := 0; i < len(s); i++ {
			if s[i] == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(s[i])
		}
		b.WriteByte('"')
		return
	}
	out, _ := json.Marshal(s)
	b.Write(bytes.ReplaceAll(out, []byte("'"), []byte(`\u0027`)))
}

// How much of a string JSON escapes.
const (
	plain       = iota // nothing
	backslashes        // only backslashes, as \\
	escaped            // more: left to encoding/json
)

// plainJSON tells whether s is printable ASCII that neither encoding/json
// nor JavaScriptSerializer escapes (plain), or would be but for its
// backslashes (backslashes), or neither (escaped).
func plainJSON(s string) int {
	kind := plain
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			kind = backslashes
		case c < 0x20 || c > 0x7e, c == '"', c == '<', c == '>', c == '&', c == '\'':
			return escaped
		}
	}
	return kind
}

// timeSpanObject is a TimeSpan as ConvertTo-Json and Select-Object see
// it: every public property, in declaration order.
func timeSpanObject(d time.Duration) *Object {
	ticks := d.Nanoseconds() / 100
	return NewObject("System.TimeSpan",
		Prop{"Ticks", ticks},
		Prop{"Days", int32(d / (24 * time.Hour))},
		Prop{"Hours", int32(int64(d/time.Hour) % 24)},
		Prop{"Milliseconds", int32(int64(d/time.Millisecond) % 1000)},
		Prop{"Minutes", int32(int64(d/time.Minute) % 60)},
		Prop{"Seconds", int32(int64(d/time.Second) % 60)},
		Prop{"TotalDays", d.Hours() / 24},
		Prop{"TotalHours", d.Hours()},
		Prop{"TotalMilliseconds", float64(ticks) / 1e4},
		Prop{"TotalMinutes", d.Minutes()},
		Prop{"TotalSeconds", d.Seconds()},
	)
}

// prettyJSON indents compact JSON as 5.1's ConvertToPrettyJsonString.
func prettyJSON(s string) string {
	if !strings.HasPrefix(s, "{") && !strings.HasPrefix(s, "[") {
		return s
	}
	var b strings.Builder
	b.WriteByte(s[0])
	if s[0] == '{' {
		prettyDict(s, 1, &b, "", 0)
	} else {
		prettyList(s, 1, &b, "", 0)
	}
	return b.String()
}

const prettyIndent = "    "

// quoted copies a JSON string starting after its opening quote and
// returns the index of its closing quote.
func quoted(s string, i int, b *strings.Builder) int {
	for ; i < len(s); i++ {
		b.WriteByte(s[i])
		if s[i] == '"' {
			bs := 0
			for j := i - 1; j >= 0 && s[j] == '\\'; j-- {
				bs++
			}
			if bs%2 == 0 {
				return i
			}
		}
	}
	return len(s)
}

func prettyList(s string, i int, b *strings.Builder, pad string, spaces int) int {
	b.WriteString("\r\n")
	inner := pad + strings.Repeat(" ", spaces) + prettyIndent
	head := true
	for ; i < len(s); i++ {
		switch c := s[i]; c {
		case '{', '[':
			b.WriteString(inner)
			b.WriteByte(c)
			if c == '{' {
				i = prettyDict(s, i+1, b, inner, 0)
			} else {
				i = prettyList(s, i+1, b, inner, 0)
			}
			head = false
		case ']':
			b.WriteString("\r\n" + pad + strings.Repeat(" ", spaces) + "]")
			return i
		case '"':
			if head {
				b.WriteString(inner)
			}
			b.WriteByte(c)
			i = quoted(s, i+1, b)
			head = false
		case ',':
			b.WriteString(",\r\n")
			head = true
		default:
			if head {
				b.WriteString(inner)
			}
			b.WriteByte(c)
			head = false
		}
	}
	return i
}

func prettyDict(s string, i int, b *strings.Builder, pad string, spaces int) int {
	b.WriteString("\r\n")
	inner := pad + strings.Repeat(" ", spaces) + prettyIndent
	head, beforeColon, keyLen := true, true, 0
	for ; i < len(s); i++ {
		switch c := s[i]; c {
		case '{', '[':
			b.WriteByte(c)
			if c == '{' {
				i = prettyDict(s, i+1, b, inner, keyLen)
			} else {
				i = prettyList(s, i+1, b, inner, keyLen)
			}
			head = false
		case '}':
			b.WriteString("\r\n" + pad + strings.Repeat(" ", spaces) + "}")
			return i
		case '"':
			if head {
				b.WriteString(inner)
			}
			b.WriteByte(c)
			end := quoted(s, i+1, b)
			if beforeColon {
				keyLen = end - i + 1
			}
			i = end
			head = false
		case ':':
			b.WriteString(":  ")
			keyLen += 3
			head, beforeColon = false, false
		case ',':
			b.WriteString(",\r\n")
			head, beforeColon, keyLen = true, true, 0
		default:
			if head {
				b.WriteString(inner)
			}
			b.WriteByte(c)
			head = false
		}
	}
	return i
}

// fromJSON parses JSON as ConvertFrom-Json: objects become
// PSCustomObjects with properties in order, numbers Int32, Int64 or
// Double, "\/Date(ms)\/" strings DateTime.
func fromJSON(s string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	v, err := decodeJSON(dec)
	if err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errTrailing
	}
	return v, nil
}

var errTrailing = &json.SyntaxError{}

func decodeJSON(dec *json.Decoder) (any, error) {
	t, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch x := t.(type) {
	case json.Delim:
		switch x {
		case '{':
			o := Custom()
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				v, err := decodeJSON(dec)
				if err != nil {
					return nil, err
				}
				o.Set(kt.(string), v)
			}
			_, err := dec.Token()
			return o, err
		case '[':
			a := []any{}
			for dec.More() {
				v, err := decodeJSON(dec)
				if err != nil {
					return nil, err
				}
				a = append(a, v)
			}
			_, err := dec.Token()
			return a, err
		}
	case json.Number:
		return parseNumberString(string(x)), nil
	case string:
		if strings.HasPrefix(x, "/Date(") && strings.HasSuffix(x, ")/") {
			if ms, err := strconv.ParseInt(x[6:len(x)-2], 10, 64); err == nil {
				return time.UnixMilli(ms).UTC(), nil
			}
		}
		return x, nil
	case bool:
		return x, nil
	}
	return nil, nil
}
