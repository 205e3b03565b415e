package powershell

import (
	"encoding/base64"
	"errors"
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
