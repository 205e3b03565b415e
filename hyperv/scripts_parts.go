package hyperv

import (
	"fmt"
	"io/fs"
	"strings"
)

// includePrefix starts a script line that stands for a part: the text of
// scripts/parts/NAME.ps1, each line indented as the include line is. A
// read that several scripts make (the VMs, the host's facts, the counter
// samples) is written once, in its part, and every script that makes it
// includes it, so that poll-host cannot read otherwise than get-vms,
// get-host and get-counters. PowerShell
// takes the line for a comment; the scripts that reach a host never carry
// it, for assembleScript replaces it at init.
const includePrefix = "#include "

// loadParts reads the embedded parts by name, in canonical form.
func loadParts(fsys fs.FS) (map[string]string, error) {
	entries, err := fs.ReadDir(fsys, "scripts/parts")
	if err != nil {
		return nil, fmt.Errorf("load script parts: %w", err)
	}
	m := make(map[string]string, len(entries))
	for _, e := range entries {
		b, err := fs.ReadFile(fsys, "scripts/parts/"+e.Name())
		if err != nil {
			return nil, fmt.Errorf("load script parts: %w", err)
		}
		m[strings.TrimSuffix(e.Name(), ".ps1")] = normalizeScript(string(b))
	}
	return m, nil
}

// assembleScript replaces each include line of script body with its part.
// A part includes no other, so one pass is whole; a name without a part
// is an error, as is a part that includes.
func assembleScript(name, body string, parts map[string]string) (string, error) {
	lines := strings.Split(body, "\n")
	out := make([]string, 0, len(lines))
	for _, line := range lines {
		trimmed := strings.TrimLeft(line, " ")
		part, ok := strings.CutPrefix(trimmed, includePrefix)
		if !ok {
			out = append(out, line)
			continue
		}
		text, ok := parts[part]
		if !ok {
			return "", fmt.Errorf("assemble script %s: no part %q", name, part)
		}
		indent := line[:len(line)-len(trimmed)]
		for _, l := range strings.Split(text, "\n") {
			if strings.HasPrefix(strings.TrimLeft(l, " "), includePrefix) {
				return "", fmt.Errorf("assemble script %s: part %s includes another", name, part)
			}
			if l != "" {
				l = indent + l
			}
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n"), nil
}
