package collector

import (
	"bytes"
	"crypto/sha256"
	"encoding"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"unicode/utf8"
)

// A snapshot's digest hashes its JSON form. The VMs are nearly all of it
// (8,000 on 64 hosts), and encoding/json spends most of the digest's time
// on them, field by field through reflection, into one buffer of the whole
// fleet: digest instead encodes the snapshot without its VMs with
// encoding/json and appends the VMs itself, one at a time, writing exactly
// the bytes encoding/json writes (same field order, omitempty and omitzero,
// sorted map keys, float format and string escapes). It does so only while
// VM and the types it holds are the ones it was written for (vmLayout): a
// field added, removed or retagged, or a JSON method added, makes digest
// encode each VM with encoding/json instead, slower but the same digest.

// digest is Snapshot.Digest's value, or why s has no JSON form.
func digest(s *Snapshot) (string, error) {
	h := sha256.New()
	w := newIndentWriter(h)
	if err := writeCompact(w, s, vmLayoutChange() == ""); err != nil {
		return "", err
	}
	w.flush()
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// writeCompact writes s's compact JSON, as json.Encoder encodes it (the
// newline after it too), to w in pieces; its VMs with appendVMLayout,
// already indented, when fast, else with encoding/json.
func writeCompact(w *indentWriter, s *Snapshot, fast bool) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	whole := func() error {
		if err := enc.Encode(s); err != nil {
			return err
		}
		w.write(buf.Bytes())
		return nil
	}
	if len(s.VMs) == 0 || reflect.PointerTo(reflect.TypeFor[Snapshot]()).Implements(reflect.TypeFor[json.Marshaler]()) {
		return whole() // nothing to gain, or nothing to split
	}
	head := *s
	head.VMs = nil
	if err := enc.Encode(&head); err != nil {
		return err
	}
	top := bytes.Clone(buf.Bytes())
	// "vms":null can only be the snapshot's own key: within a string
	// encoding/json escapes the quotes.
	const key, null = `"vms":`, `null`
	at := bytes.LastIndex(top, []byte(key+null))
	if at < 0 { // the key is no longer there as it was
		buf.Reset()
		return whole()
	}
	w.write(top[:at+len(key)])
	if fast {
		// The VMs are written indented as they are appended, each
		// element a level below the "vms" key, and nothing is left open.
		l := &jsonLayout{indent: true, depth: w.depth}
		w.buf = l.open(w.buf, '[')
		for i := range s.VMs {
			var err error
			if w.buf, err = appendVMLayout(l.elem(w.buf, i == 0), &s.VMs[i], l); err != nil {
				return fmt.Errorf("vm %s: %w", s.VMs[i].ID, err)
			}
			if len(w.buf) >= indentBufSize {
				w.flush()
			}
		}
		w.buf = l.close(w.buf, ']')
	} else {
		w.write([]byte{'['})
		var b []byte
		for i := range s.VMs {
			b = b[:0]
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendJSON(b, &buf, enc, &s.VMs[i]); err != nil {
				return fmt.Errorf("vm %s: %w", s.VMs[i].ID, err)
			}
			w.write(b)
		}
		w.write([]byte{']'})
	}
	w.write(top[at+len(key)+len(null):])
	return nil
}

// appendJSON appends v's compact JSON as enc writes it to buf, without the
// newline.
func appendJSON(b []byte, buf *bytes.Buffer, enc *json.Encoder, v any) ([]byte, error) {
	buf.Reset()
	if err := enc.Encode(v); err != nil {
		return b, err
	}
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte{'\n'})...), nil
}

// appendVM appends v's compact JSON as encoding/json encodes a VM.
func appendVM(b []byte, v *VM) ([]byte, error) {
	return appendVMLayout(b, v, &jsonLayout{})
}

// appendVMLayout appends v's JSON as encoding/json encodes a VM, in l's
// layout.
func appendVMLayout(b []byte, v *VM, l *jsonLayout) ([]byte, error) {
	b = l.open(b, '{')
	b = appendString(l.key(b, true, "id"), v.ID)
	b = appendString(l.key(b, false, "name"), v.Name)
	b = appendString(l.key(b, false, "host"), v.Host)
	b = appendString(l.key(b, false, "state"), v.State)
	b = strconv.AppendInt(l.key(b, false, "cpus"), int64(v.CPUs), 10)
	if v.Clustered {
		b = append(l.key(b, false, "clustered"), "true"...)
	}
	if v.Notes != "" {
		b = appendString(l.key(b, false, "notes"), v.Notes)
	}
	if len(v.Tags) > 0 {
		var small [8]string
		keys := small[:0]
		for k := range v.Tags {
			keys = append(keys, k)
		}
		slices.Sort(keys) // by bytes, as encoding/json sorts map keys
		b = l.open(l.key(b, false, "tags"), '{')
		for i, k := range keys {
			b = l.colon(appendString(l.elem(b, i == 0), k))
			b = appendString(b, v.Tags[k])
		}
		b = l.close(b, '}')
	}
	if len(v.ReportedBy) > 0 {
		b = appendStrings(l.key(b, false, "reported_by"), v.ReportedBy, l)
	}
	b = strconv.AppendInt(l.key(b, false, "memory_assigned"), v.MemoryAssigned, 10)
	b = strconv.AppendInt(l.key(b, false, "memory_startup"), v.MemoryStartup, 10)
	b = strconv.AppendInt(l.key(b, false, "memory_demand"), v.MemoryDemand, 10)
	if v.DynamicMemory {
		b = append(l.key(b, false, "dynamic_memory"), "true"...)
	}
	if v.ConfigVersion != "" {
		b = appendString(l.key(b, false, "config_version"), v.ConfigVersion)
	}
	if v.ProcessorCompatibility {
		b = append(l.key(b, false, "processor_compatibility"), "true"...)
	}
	if len(v.Switches) > 0 {
		b = appendStrings(l.key(b, false, "switches"), v.Switches, l)
	}
	if v.Path != "" {
		b = appendString(l.key(b, false, "path"), v.Path)
	}
	if len(v.Disks) > 0 {
		b = l.open(l.key(b, false, "disks"), '[')
		for i := range v.Disks {
			d := &v.Disks[i]
			b = l.open(l.elem(b, i == 0), '{')
			b = appendString(l.key(b, true, "path"), d.Path)
			b = appendString(l.key(b, false, "kind"), d.Kind)
			b = strconv.AppendInt(l.key(b, false, "file_size"), d.FileSize, 10)
			b = strconv.AppendInt(l.key(b, false, "size"), d.Size, 10)
			b = l.close(b, '}')
		}
		b = l.close(b, ']')
	}
	var err error
	if b, err = appendStat(l.key(b, false, "cpu"), &v.CPU, l); err != nil {
		return b, fmt.Errorf("cpu: %w", err)
	}
	if b, err = appendFloat(l.key(b, false, "uptime_seconds"), v.UptimeSeconds); err != nil {
		return b, fmt.Errorf("uptime_seconds: %w", err)
	}
	b = strconv.AppendInt(l.key(b, false, "samples"), int64(v.Samples), 10)
	return l.close(b, '}'), nil
}

func appendStat(b []byte, s *Stat, l *jsonLayout) ([]byte, error) {
	b, err := appendFloats(l.open(b, '{'), [4]float64{s.Last, s.Mean, s.P95, s.Max}, l)
	if err != nil {
		return b, err
	}
	d := &s.Demand
	// omitzero leaves out a Demand equal to its zero value (by ==: -0 too).
	if *d != (Demand{}) {
		if b, err = appendFloats(l.open(l.key(b, false, "demand"), '{'), [4]float64{d.Last, d.Mean, d.P95, d.Max}, l); err != nil {
			return b, fmt.Errorf("demand: %w", err)
		}
		b = l.close(b, '}')
	}
	return l.close(b, '}'), nil
}

// appendFloats appends the members last, mean, p95 and max of an object
// already opened.
func appendFloats(b []byte, f [4]float64, l *jsonLayout) ([]byte, error) {
	var err error
	for i, key := range [4]string{"last", "mean", "p95", "max"} {
		if b, err = appendFloat(l.key(b, i == 0, key), f[i]); err != nil {
			return b, err
		}
	}
	return b, nil
}

// appendFloat appends f as encoding/json writes a float64.
func appendFloat(b []byte, f float64) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return b, fmt.Errorf("unsupported value: %v", f)
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' { // e-09 → e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}

func appendStrings(b []byte, ss []string, l *jsonLayout) []byte {
	b = l.open(b, '[')
	for i, s := range ss {
		b = appendString(l.elem(b, i == 0), s)
	}
	return l.close(b, ']')
}

// appendString appends s quoted as encoding/json quotes it (HTML
// characters escaped, as json.Encoder does by default): its own escapes,
// \u00XX for other control characters and <, > and &, \ufffd for each
// byte that is not UTF-8, \u2028 and \u2029 escaped.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// vmLayout is the JSON layout appendVM writes: each type's fields as
// "name type `tag`".
func vmLayout() map[reflect.Type][]string {
	return map[reflect.Type][]string{
		reflect.TypeFor[VM](): {
			"ID string `json:\"id\"`", "Name string `json:\"name\"`", "Host string `json:\"host\"`",
			"State string `json:\"state\"`", "CPUs int `json:\"cpus\"`", "Clustered bool `json:\"clustered,omitempty\"`",
			"Notes string `json:\"notes,omitempty\"`", "Tags map[string]string `json:\"tags,omitempty\"`",
			"ReportedBy []string `json:\"reported_by,omitempty\"`", "MemoryAssigned int64 `json:\"memory_assigned\"`",
			"MemoryStartup int64 `json:\"memory_startup\"`", "MemoryDemand int64 `json:\"memory_demand\"`",
			"DynamicMemory bool `json:\"dynamic_memory,omitempty\"`", "ConfigVersion string `json:\"config_version,omitempty\"`",
			"ProcessorCompatibility bool `json:\"processor_compatibility,omitempty\"`",
			"Switches []string `json:\"switches,omitempty\"`", "Path string `json:\"path,omitempty\"`",
			"Disks []collector.Disk `json:\"disks,omitempty\"`", "CPU collector.Stat `json:\"cpu\"`",
			"UptimeSeconds float64 `json:\"uptime_seconds\"`", "Samples int `json:\"samples\"`",
		},
		reflect.TypeFor[Disk](): {
			"Path string `json:\"path\"`", "Kind string `json:\"kind\"`",
			"FileSize int64 `json:\"file_size\"`", "Size int64 `json:\"size\"`",
		},
		reflect.TypeFor[Stat](): {
			"Last float64 `json:\"last\"`", "Mean float64 `json:\"mean\"`", "P95 float64 `json:\"p95\"`",
			"Max float64 `json:\"max\"`", "Demand collector.Demand `json:\"demand,omitzero\"`",
		},
		reflect.TypeFor[Demand](): {
			"Last float64 `json:\"last\"`", "Mean float64 `json:\"mean\"`", "P95 float64 `json:\"p95\"`",
			"Max float64 `json:\"max\"`",
		},
	}
}

// vmLayoutChange says how VM and the types it holds differ from the
// layout appendVM writes (or have a method that changes how encoding/json
// writes them), "" when they do not.
func vmLayoutChange() string {
	marshaler := reflect.TypeFor[json.Marshaler]()
	text := reflect.TypeFor[encoding.TextMarshaler]()
	zero := reflect.TypeFor[interface{ IsZero() bool }]()
	for t, want := range vmLayout() {
		var got []string
		for i := range t.NumField() {
			f := t.Field(i)
			got = append(got, fmt.Sprintf("%s %s `%s`", f.Name, f.Type, f.Tag))
		}
		if !slices.Equal(got, want) {
			return fmt.Sprintf("%s has fields %q, appendVM writes %q", t, got, want)
		}
		for _, m := range []reflect.Type{marshaler, text, zero} {
			if t.Implements(m) || reflect.PointerTo(t).Implements(m) {
				return fmt.Sprintf("%s implements %s", t, m)
			}
		}
	}
	return ""
}
