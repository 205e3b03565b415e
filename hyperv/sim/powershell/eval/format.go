package eval

// Out-Default: how powershell.exe prints what a script leaves in its
// output stream when no ConvertTo-Json or Out-String shaped it. Strings
// and scalars print as themselves; objects print as Format-Table does for
// up to four properties and as Format-List does for more, consecutive
// objects of one shape sharing a table. The types' own format views
// (Get-VM's "Name State CPUUsage(%) …") are not reproduced.

import (
	"strings"
	"time"
)

// FormatAll renders the output stream.
func FormatAll(items []any) string {
	var b strings.Builder
	var table []*Object
	flush := func() {
		if len(table) > 0 {
			b.WriteString(formatTable(table))
			table = nil
		}
	}
	for _, it := range items {
		for _, x := range enumerate(it) {
			o, ok := x.(*Object)
			if !ok || o.Text != "" && len(o.Props) == 0 {
				flush()
				if x != nil {
					b.WriteString(toString(x) + "\r\n")
				}
				continue
			}
			if len(o.Props) > 4 {
				flush()
				b.WriteString(formatList(o))
				continue
			}
			if len(table) > 0 && !sameShape(table[0], o) {
				flush()
			}
			table = append(table, o)
		}
	}
	flush()
	return b.String()
}

func sameShape(a, b *Object) bool {
	if len(a.Props) != len(b.Props) {
		return false
	}
	for i := range a.Props {
		if a.Props[i].Name != b.Props[i].Name {
			return false
		}
	}
	return true
}

// cell is a value as a table or list shows it.
func cell(v any) string {
	switch x := v.(type) {
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			parts = append(parts, cell(e))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case time.Time:
		return x.Format("1/2/2006 3:04:05 PM")
	}
	return toString(v)
}

func isNumeric(v any) bool {
	switch v.(type) {
	case int32, int64, float64:
		return true
	}
	return false
}

func formatTable(objs []*Object) string {
	cols := objs[0].Props
	width := make([]int, len(cols))
	for i, c := range cols {
		width[i] = len(c.Name)
	}
	for _, o := range objs {
		for i, p := range o.Props {
			width[i] = max(width[i], len(cell(p.Value)))
		}
	}
	pad := func(s string, w int, right bool) string {
		if right {
			return strings.Repeat(" ", w-len(s)) + s
		}
		return s + strings.Repeat(" ", w-len(s))
	}
	var b strings.Builder
	b.WriteString("\r\n")
	var head, dash []string
	for i, c := range cols {
		right := isNumeric(objs[0].Props[i].Value)
		head = append(head, pad(c.Name, width[i], right))
		dash = append(dash, pad(strings.Repeat("-", len(c.Name)), width[i], right))
	}
	b.WriteString(strings.TrimRight(strings.Join(head, " "), " ") + "\r\n")
	b.WriteString(strings.TrimRight(strings.Join(dash, " "), " ") + "\r\n")
	for _, o := range objs {
		var row []string
		for i, p := range o.Props {
			row = append(row, pad(cell(p.Value), width[i], isNumeric(p.Value)))
		}
		b.WriteString(strings.TrimRight(strings.Join(row, " "), " ") + "\r\n")
	}
	b.WriteString("\r\n\r\n")
	return b.String()
}

func formatList(o *Object) string {
	w := 0
	for _, p := range o.Props {
		w = max(w, len(p.Name))
	}
	var b strings.Builder
	b.WriteString("\r\n")
	for _, p := range o.Props {
		b.WriteString(p.Name + strings.Repeat(" ", w-len(p.Name)) + " : " + cell(p.Value) + "\r\n")
	}
	b.WriteString("\r\n\r\n")
	return b.String()
}
