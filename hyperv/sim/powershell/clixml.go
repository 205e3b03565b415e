package powershell

import (
	"fmt"
	"strings"
)

// clixmlHeader starts every CLIXML stream powershell.exe writes to a
// redirected stderr.
const clixmlHeader = "#< CLIXML\r\n"

// clixmlProgress is the progress record Windows PowerShell 5.1 emits before
// anything else when a session loads its modules.
const clixmlProgress = `<Obj S="progress" RefId="0"><TN RefId="0"><T>System.Management.Automation.PSCustomObject</T><T>System.Object</T></TN><MS><I64 N="SourceId">1</I64><PR N="Record"><AV>Preparing modules for first use.</AV><AI>0</AI><Nil /><PI>-1</PI><PC>-1</PC><T>Completed</T><SR>-1</SR><SD> </SD></PR></MS></Obj>`

// psError is one PowerShell error record as the console host renders it.
type psError struct {
	Command  string   // cmdlet that failed, e.g. "Move-VM"; empty for a parse-level error
	Message  []string // message lines
	Line     int      // script position
	Char     int
	Source   string // the script line the error points at
	Category string // CategoryInfo
	ErrorID  string // FullyQualifiedErrorId
	Len      int    // characters underlined; 0: the whole trimmed line
	Parse    bool   // a ParseException: PowerShell prints the position first
}

// lines renders the record the way PowerShell 5.1 writes it to stderr.
func (e psError) lines() []string {
	var out []string
	msg := func() {
		for i, m := range e.Message {
			if i == 0 && e.Command != "" {
				m = e.Command + " : " + m
			}
			out = append(out, m)
		}
	}
	if !e.Parse {
		msg()
	}
	if e.Line > 0 {
		out = append(out, fmt.Sprintf("At line:%d char:%d", e.Line, e.Char))
		src := e.Source
		if len(src) > 80 {
			src = src[:76] + " ..."
		}
		out = append(out, "+ "+src)
		under := len(strings.TrimSpace(e.Source))
		if e.Len > 0 {
			under = e.Len
		}
		if under > 78 {
			under = 78
		}
		out = append(out, "+ "+strings.Repeat(" ", e.Char-1)+strings.Repeat("~", max(under, 1)))
	}
	if e.Parse {
		msg()
	}
	out = append(out,
		"    + CategoryInfo          : "+e.Category,
		"    + FullyQualifiedErrorId : "+e.ErrorID,
		" ")
	return out
}

// clixml renders error records as the CLIXML stream powershell.exe writes to
// stderr when it runs an -EncodedCommand with redirected output.
func clixml(errs ...psError) string {
	var b strings.Builder
	b.WriteString(clixmlHeader)
	b.WriteString(`<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">`)
	b.WriteString(clixmlProgress)
	for _, e := range errs {
		for _, l := range e.lines() {
			b.WriteString(`<S S="Error">`)
			b.WriteString(clixmlEscape(l + "\r\n"))
			b.WriteString(`</S>`)
		}
	}
	b.WriteString(`</Objs>`)
	return b.String()
}

// clixmlEscape escapes text as PowerShell's serializer does: XML entities for
// markup characters and _xHHHH_ for control characters and for an underscore
// that would otherwise read as the start of an escape.
func clixmlEscape(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '"':
			b.WriteString("&quot;")
		case r == '_' && strings.HasPrefix(s[i:], "_x"):
			b.WriteString("_x005F_")
		case r < 0x20 || r == 0x7f || (r >= 0xfffe && r <= 0xffff):
			fmt.Fprintf(&b, "_x%04X_", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
