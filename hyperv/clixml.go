package hyperv

import (
	"bytes"
	"encoding/xml"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// powershell.exe with redirected output writes its error stream to stderr as
// CLIXML: "#< CLIXML" then an <Objs> document holding progress records
// (<Obj S="progress">, skipped) and the error text as <S S="Error"> pieces,
// XML-escaped, with control characters as _xHHHH_ (CR LF = _x000D__x000A_).

const clixmlHeader = "#< CLIXML"

// maxStderr bounds how much stderr is kept.
const maxStderr = 64 << 10

// stderrText returns the readable text of a script's stderr: CLIXML error
// records decoded, anything else passed through as text, bounded in length.
func stderrText(b []byte) string {
	b = trimOutput(b)
	if len(b) > maxStderr {
		b = b[:maxStderr]
	}
	if !bytes.HasPrefix(b, []byte(clixmlHeader)) {
		return strings.TrimSpace(strings.ToValidUTF8(string(b), "\uFFFD"))
	}
	return strings.TrimSpace(decodeCLIXML(b[len(clixmlHeader):]))
}

// decodeCLIXML joins the error strings of a CLIXML document. A document cut
// short or otherwise broken yields what was read before the break.
func decodeCLIXML(b []byte) string {
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = false
	var sb strings.Builder
	inError := false
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			inError = false
			if t.Name.Local == "Obj" {
				// progress, information and other records: skip whole
				if d.Skip() != nil {
					return unescapePS(sb.String())
				}
				continue
			}
			inError = t.Name.Local == "S" && strings.EqualFold(attr(t, "S"), "Error")
		case xml.EndElement:
			inError = false
		case xml.CharData:
			if inError {
				sb.Write(t)
			}
		}
	}
	return unescapePS(sb.String())
}

func attr(t xml.StartElement, name string) string {
	for _, a := range t.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

var psEscapeRE = regexp.MustCompile(`_x[0-9A-Fa-f]{4}_`)

// unescapePS decodes PowerShell's _xHHHH_ escapes: UTF-16 code units,
// surrogate pairs combined, a lone surrogate turned into U+FFFD.
func unescapePS(s string) string {
	if !strings.Contains(s, "_x") {
		return s
	}
	var sb strings.Builder
	last := 0
	locs := psEscapeRE.FindAllStringIndex(s, -1)
	for i := 0; i < len(locs); i++ {
		loc := locs[i]
		if loc[0] < last {
			continue
		}
		sb.WriteString(s[last:loc[0]])
		u := unit(s[loc[0]:loc[1]])
		last = loc[1]
		if utf16.IsSurrogate(rune(u)) {
			if u < 0xDC00 && i+1 < len(locs) && locs[i+1][0] == loc[1] {
				if lo := unit(s[locs[i+1][0]:locs[i+1][1]]); lo >= 0xDC00 && lo <= 0xDFFF {
					sb.WriteRune(utf16.DecodeRune(rune(u), rune(lo)))
					last = locs[i+1][1]
					i++
					continue
				}
			}
			sb.WriteRune(utf8.RuneError)
			continue
		}
		sb.WriteRune(rune(u))
	}
	sb.WriteString(s[last:])
	return sb.String()
}

func unit(esc string) uint16 {
	v, _ := strconv.ParseUint(esc[2:6], 16, 16) // matched [0-9A-Fa-f]{4}
	return uint16(v)
}

// errorRecord is a PowerShell error record as the console host renders it.
type errorRecord struct {
	Message  string
	Category string
	ErrorID  string
}

var positionRE = regexp.MustCompile(`^At (line:\d+|.+:\d+) char:\d+`)

// maxMessage bounds the message kept from an error record.
const maxMessage = 4096

// parseErrorText splits rendered error text into the message (the lines
// before the position lines, joined by spaces), the category of
// CategoryInfo and the FullyQualifiedErrorId. Only the first record's
// message is kept.
func parseErrorText(text string) errorRecord {
	var rec errorRecord
	var msg []string
	inMessage := true
	for _, line := range splitLines(text) {
		t := strings.TrimSpace(line)
		if t == "" {
			continue
		}
		if strings.HasPrefix(t, "+") {
			inMessage = false
			field, value, ok := strings.Cut(strings.TrimSpace(t[1:]), ":")
			if !ok {
				continue
			}
			value = strings.TrimSpace(value)
			switch strings.TrimSpace(field) {
			case "CategoryInfo":
				if rec.Category == "" {
					cat, _, _ := strings.Cut(value, ":")
					rec.Category = strings.TrimSpace(cat)
				}
			case "FullyQualifiedErrorId":
				if rec.ErrorID == "" {
					rec.ErrorID = value
				}
			}
			continue
		}
		if positionRE.MatchString(t) {
			inMessage = false
			continue
		}
		if inMessage {
			msg = append(msg, t)
		}
	}
	rec.Message = truncate(strings.Join(msg, " "), maxMessage)
	return rec
}

func splitLines(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.Split(s, "\n")
}
