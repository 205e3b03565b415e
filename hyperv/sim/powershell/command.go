package powershell

import (
	"encoding/base64"
	"errors"
	"regexp"
	"strings"
	"unicode/utf16"
)

// invocation is a decoded powershell.exe command line.
type invocation struct {
	Text string // the script text PowerShell would run
}

// errNotPowerShell means the command line does not start powershell.exe;
// cmd.exe answers it.
var errNotPowerShell = errors.New("not powershell")

// errBadEncoding means -EncodedCommand was not valid base64 UTF-16LE.
var errBadEncoding = errors.New("bad encoding")

// parseCommandLine reads a command line as cmd.exe and powershell.exe would:
// the executable in any case, with or without .exe or a path, and the
// parameters by any unambiguous prefix (-enc, -e, -ec, -EncodedCommand, -c).
func parseCommandLine(line string) (invocation, string, error) {
	fields := strings.Fields(line)
	if len(fields) == 0 {
		return invocation{}, "", errNotPowerShell
	}
	exe := strings.Trim(fields[0], `"`)
	if i := strings.LastIndexAny(exe, `\/`); i >= 0 {
		exe = exe[i+1:]
	}
	if l := strings.ToLower(exe); l != "powershell" && l != "powershell.exe" {
		return invocation{}, strings.Trim(fields[0], `"`), errNotPowerShell
	}
	args := fields[1:]
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "/") {
			return invocation{Text: strings.Join(args[i:], " ")}, "", nil
		}
		name := strings.ToLower(strings.TrimLeft(a, "-/"))
		switch {
		case name == "e" || name == "ec" || (len(name) >= 2 && name != "ex" && strings.HasPrefix("encodedcommand", name)):
			if i+1 >= len(args) {
				return invocation{}, "", errBadEncoding
			}
			text, err := decodeEncodedCommand(args[i+1])
			return invocation{Text: text}, "", err
		case name == "c" || (len(name) >= 2 && strings.HasPrefix("command", name)):
			return invocation{Text: strings.Join(args[i+1:], " ")}, "", nil
		case oneOf(name, "noprofile", "nop", "nologo", "noninteractive", "noni", "noexit", "sta", "mta"):
		case oneOf(name, "executionpolicy", "ep", "ex", "windowstyle", "w", "inputformat", "outputformat", "version", "v"):
			i++ // takes a value
		default:
			return invocation{Text: strings.Join(args[i:], " ")}, "", nil
		}
	}
	return invocation{}, "", nil
}

func oneOf(s string, set ...string) bool {
	for _, x := range set {
		if s == x {
			return true
		}
	}
	return false
}

func decodeEncodedCommand(s string) (string, error) {
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(raw)%2 != 0 {
		return "", errBadEncoding
	}
	u := make([]uint16, len(raw)/2)
	for i := range u {
		u[i] = uint16(raw[2*i]) | uint16(raw[2*i+1])<<8
	}
	return string(utf16.Decode(u)), nil
}

var (
	progressRe = regexp.MustCompile(`(?i)^\s*\$ProgressPreference\s*=\s*['"]SilentlyContinue['"]\s*;?[ \t]*\n?`)
	paramRe    = regexp.MustCompile(`(?i)^\$a\s*=\s*\[Text\.Encoding\]::UTF8\.GetString\(\s*\[Convert\]::FromBase64String\(\s*'([A-Za-z0-9+/=]*)'\s*\)\s*\)\s*\|\s*ConvertFrom-Json[ \t]*\n`)
)

// script is the text of one invocation split into its parts.
type script struct {
	Full      string // normalized full text
	Params    string // base64 parameter blob; empty when absent
	HasParams bool
	Body      string // what follows the prologue
}

// splitScript separates the optional $ProgressPreference prologue and the
// parameter line from the script body.
func splitScript(text string) script {
	text = strings.TrimPrefix(text, "\ufeff")
	text = strings.ReplaceAll(text, "\r\n", "\n")
	s := script{Full: text}
	rest := progressRe.ReplaceAllString(text, "")
	if m := paramRe.FindStringSubmatch(rest); m != nil {
		s.Params, s.HasParams = m[1], true
		rest = rest[len(m[0]):]
	}
	s.Body = strings.TrimRight(rest, " \t\n")
	return s
}

// lineOf finds the 1-based line and column of the first occurrence of needle
// in the full text, as PowerShell's "At line:N char:C" reports it.
func (s script) lineOf(needle string) (line, char int, src string) {
	i := strings.Index(s.Full, needle)
	if i < 0 {
		return 0, 0, ""
	}
	start := strings.LastIndex(s.Full[:i], "\n") + 1
	end := strings.IndexByte(s.Full[i:], '\n')
	if end < 0 {
		end = len(s.Full) - i
	}
	return strings.Count(s.Full[:i], "\n") + 1, i - start + 1, s.Full[start : i+end]
}

// firstWord is the command PowerShell would try to run first: the first word
// of the first line that is not blank or a comment.
func firstWord(body string) string {
	for _, l := range strings.Split(body, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if f := strings.FieldsFunc(l, func(r rune) bool { return r == ' ' || r == '\t' || r == ';' || r == '(' || r == ')' || r == '|' }); len(f) > 0 {
			return f[0]
		}
	}
	return ""
}

// notRecognized is PowerShell's error for a command that does not exist
// (CommandNotFoundException), pointing at name's first use in the script.
func (s script) notRecognized(name string) psError {
	line, char, src := s.lineOf(name)
	return psError{
		Command:  name,
		Message:  []string{"The term '" + name + "' is not recognized as the name of a cmdlet, function, script file, or operable program. Check the spelling of the name, or if a path was included, verify that the path is correct and try again."},
		Line:     line,
		Char:     char,
		Source:   src,
		Category: "ObjectNotFound: (" + name + ":String) [], CommandNotFoundException",
		ErrorID:  "CommandNotFoundException",
	}
}
