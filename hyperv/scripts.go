package hyperv

import (
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf16"
)

//go:embed scripts/*.ps1 scripts/parts/*.ps1
var scriptFS embed.FS

// Script names: one embedded PowerShell file each, found under scripts/.
const (
	ScriptGetHost       = "get-host"
	ScriptGetVMs        = "get-vms"
	ScriptGetCounters   = "get-counters"
	ScriptLocateVM      = "locate-vm"
	ScriptMoveVM        = "move-vm"
	ScriptMoveClusterVM = "move-cluster-vm"
	ScriptCompareVM     = "compare-vm"
	// ScriptPollHost is one poll in one command: the counter sample,
	// the VMs and, when asked, the facts (sent over stdin).
	ScriptPollHost = "poll-host"
)

// MaxCommandLine is the longest command line cmd.exe accepts; WinRM hands the
// command to it, so every encoded command must stay below this.
const MaxCommandLine = 8191

// ParamPrefix and ParamSuffix surround the base64 JSON parameter blob on the
// first line of every command. Base64 has no quote characters, so the blob
// cannot end the string literal it sits in: parameters are data, never code.
const (
	ParamPrefix = "$a = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('"
	ParamSuffix = "')) | ConvertFrom-Json"
)

// ProgressPrefix keeps PowerShell's progress records off stderr.
const ProgressPrefix = "$ProgressPreference = 'SilentlyContinue';"

var scripts = loadScripts()

func loadScripts() map[string]string {
	entries, err := scriptFS.ReadDir("scripts")
	if err != nil {
		panic(err) // embedded at build time: cannot fail at run time
	}
	parts, err := loadParts(scriptFS)
	if err != nil {
		panic(err)
	}
	m := make(map[string]string, len(entries))
	for _, e := range entries {
		if e.IsDir() {
			continue // scripts/parts: included by the scripts, not run alone
		}
		b, err := scriptFS.ReadFile("scripts/" + e.Name())
		if err != nil {
			panic(err)
		}
		name := strings.TrimSuffix(e.Name(), ".ps1")
		body, err := assembleScript(name, normalizeScript(string(b)), parts)
		if err != nil {
			panic(err) // the scripts and their parts are embedded together
		}
		m[name] = body
	}
	return m
}

// normalizeScript gives a script one canonical form: LF line ends and no
// trailing blank lines, so a checkout with CRLF line ends encodes the same.
func normalizeScript(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.TrimRight(s, "\n")
}

// Scripts returns every embedded script body by name, its parts included
// (a copy): the text that reaches a host.
func Scripts() map[string]string {
	m := make(map[string]string, len(scripts))
	for k, v := range scripts {
		m[k] = v
	}
	return m
}

// EncodeCommand builds the command line that runs script name with params:
// `powershell.exe -NoProfile -NonInteractive -EncodedCommand <base64 UTF-16LE>`.
// params are marshalled to JSON and travel base64-encoded.
func EncodeCommand(name string, params any) (string, error) {
	body, ok := scripts[name]
	if !ok {
		return "", fmt.Errorf("encode command %s: no such script", name)
	}
	if params == nil {
		params = struct{}{}
	}
	js, err := json.Marshal(params)
	if err != nil {
		return "", fmt.Errorf("encode command %s: %w", name, err)
	}
	text := ProgressPrefix + "\n" + ParamPrefix + base64.StdEncoding.EncodeToString(js) + ParamSuffix + "\n" + body
	line := "powershell.exe -NoProfile -NonInteractive -EncodedCommand " + base64.StdEncoding.EncodeToString(utf16le(text))
	if len(line) > MaxCommandLine {
		return "", fmt.Errorf("encode command %s: %d characters, over the %d-character command-line limit", name, len(line), MaxCommandLine)
	}
	return line, nil
}

func utf16le(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, r := range u {
		b[2*i] = byte(r)
		b[2*i+1] = byte(r >> 8)
	}
	return b
}
