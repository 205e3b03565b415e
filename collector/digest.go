package collector

import (
	"hash"
)

// indentWriter writes compact JSON (as json.Marshal makes it: no space
// outside strings) to a hash indented exactly as json.Encoder with
// SetIndent("", "  ") writes it, a buffer at a time, so that a snapshot's
// digest needs neither the indented form in memory nor encoding/json's
// general indenter, which scans every byte with its validating state
// machine and cost more than the encoding itself on a fleet of thousands
// of VMs.
type indentWriter struct {
	h     hash.Hash
	buf   []byte
	depth int
	// needIndent: an object or array was opened and is not yet known to
	// be non-empty; kept between writes, so that a value may be written in
	// pieces.
	needIndent bool
}

// indentBufSize is how much indented JSON is gathered before it is hashed.
const indentBufSize = 64 << 10

func newIndentWriter(h hash.Hash) *indentWriter {
	return &indentWriter{h: h, buf: make([]byte, 0, indentBufSize+256)}
}

// write indents src, a piece of one compact JSON value (and the newline
// json.Encoder adds after it) that splits no string and no number or
// literal, and hashes it once the buffer fills; flush hashes the rest.
func (w *indentWriter) write(src []byte) {
	for i := 0; i < len(src); i++ {
		c := src[i]
		if w.needIndent && c != '}' && c != ']' {
			w.needIndent = false
			w.depth++
			w.newline()
		}
		switch c {
		case '"':
			j := stringEnd(src, i)
			w.buf = append(w.buf, src[i:j]...)
			i = j - 1
		case '{', '[':
			w.needIndent = true
			w.buf = append(w.buf, c)
		case ',':
			w.buf = append(w.buf, c)
			w.newline()
		case ':':
			w.buf = append(w.buf, ':', ' ')
		case '}', ']':
			if w.needIndent {
				w.needIndent = false // {} and [] stay as they are
			} else {
				w.depth--
				w.newline()
			}
			w.buf = append(w.buf, c)
		default: // a run of numbers and literals up to the next structural byte
			j := i + 1
			for j < len(src) && !structural[src[j]] {
				j++
			}
			w.buf = append(w.buf, src[i:j]...)
			i = j - 1
		}
		if len(w.buf) >= indentBufSize {
			w.flush()
		}
	}
}

// structural marks the bytes write acts on outside strings.
var structural = [256]bool{'"': true, '{': true, '[': true, '}': true, ']': true, ',': true, ':': true}

// stringEnd returns the index just past the string that starts with the
// quote at src[i].
func stringEnd(src []byte, i int) int {
	for j := i + 1; j < len(src); j++ {
		switch src[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(src)
}

func (w *indentWriter) newline() {
	w.buf = append(w.buf, '\n')
	for range w.depth {
		w.buf = append(w.buf, ' ', ' ')
	}
}

func (w *indentWriter) flush() {
	w.h.Write(w.buf)
	w.buf = w.buf[:0]
}
