package hyperv

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
)

// StdinLoader is the whole command text of a script sent over standard
// input: powershell.exe hands its redirected stdin (the client's WinRM
// Send requests, the last one marked End) to the command as $input, line
// by line; Out-String joins the lines and Invoke-Expression runs them in
// the command's own scope, as Ansible's WinRM connection runs its module
// wrapper. A script too long for the 8,191-character command line travels
// this way; only this loader is on the command line.
const StdinLoader = "Invoke-Expression ($input | Out-String)"

// stdinScripts are the scripts sent over standard input: those longer
// than any command line can carry.
var stdinScripts = map[string]bool{ScriptPollHost: true}

// EncodeStdinCommand builds the command line that runs the loader and the
// text to send to its standard input: script name's body after the line
// that sets $a from params, as EncodeCommand puts them. The text is ASCII,
// so the host's console code page cannot change it.
func EncodeStdinCommand(name string, params any) (cmdline string, stdin []byte, err error) {
	body, ok := scripts[name]
	if !ok {
		return "", nil, fmt.Errorf("encode command %s: no such script", name)
	}
	if params == nil {
		params = struct{}{}
	}
	js, err := json.Marshal(params)
	if err != nil {
		return "", nil, fmt.Errorf("encode command %s: %w", name, err)
	}
	text := ParamPrefix + base64.StdEncoding.EncodeToString(js) + ParamSuffix + "\n" + body + "\n"
	if i := strings.IndexFunc(text, func(r rune) bool { return r > 0x7e || r < 0x20 && r != '\n' }); i >= 0 {
		return "", nil, fmt.Errorf("encode command %s: character %q at %d is not printable ASCII", name, text[i], i)
	}
	loader := ProgressPrefix + "\n" + StdinLoader
	cmdline = "powershell.exe -NoProfile -NonInteractive -EncodedCommand " + base64.StdEncoding.EncodeToString(utf16le(loader))
	return cmdline, []byte(text), nil
}

// encodeInvocation is how script name runs: its command line and, for a
// script sent over standard input, the text to send (nil otherwise).
func encodeInvocation(name string, params any) (string, []byte, error) {
	if stdinScripts[name] {
		return EncodeStdinCommand(name, params)
	}
	line, err := EncodeCommand(name, params)
	return line, nil, err
}
