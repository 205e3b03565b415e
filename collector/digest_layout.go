package collector

// jsonLayout writes the separators of JSON as encoding/json does: compact
// (as json.Marshal writes it), or indented two spaces a level (as
// json.Encoder with SetIndent("", "  ") writes it), so that appendVM can
// write a VM in the snapshot's indented form directly, rather than
// through indentWriter's scan of every byte. It writes no empty object or
// array (encoding/json writes those as {} and [] in both forms): the
// callers leave out what is empty, as omitempty does.
type jsonLayout struct {
	indent bool
	depth  int // the level of the value being written
}

// open appends an opening bracket: what follows is a level down.
func (l *jsonLayout) open(b []byte, c byte) []byte {
	l.depth++
	return append(b, c)
}

// close appends a closing bracket, on a line of its own when indented.
func (l *jsonLayout) close(b []byte, c byte) []byte {
	l.depth--
	return append(l.newline(b), c)
}

// elem starts an element: a comma unless it is the first, then its line.
func (l *jsonLayout) elem(b []byte, first bool) []byte {
	if !first {
		b = append(b, ',')
	}
	return l.newline(b)
}

// key starts a member whose key needs no escaping (the field names).
func (l *jsonLayout) key(b []byte, first bool, k string) []byte {
	b = append(l.elem(b, first), '"')
	b = append(b, k...)
	return l.colon(append(b, '"'))
}

// colon appends the separator between a member's key and its value.
func (l *jsonLayout) colon(b []byte) []byte {
	if l.indent {
		return append(b, ':', ' ')
	}
	return append(b, ':')
}

func (l *jsonLayout) newline(b []byte) []byte {
	if !l.indent {
		return b
	}
	b = append(b, '\n')
	for range l.depth {
		b = append(b, ' ', ' ')
	}
	return b
}
