package powershell

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/model"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/powershell/lang"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/wsman"
)

// Shell answers the command lines sent to one simulated host as
// powershell.exe on Windows Server with Hyper-V would; it is the host's
// wsman.Runner.
type Shell struct {
	fleet   *model.Fleet
	host    string
	scripts map[string]string // normalized script body -> script name

	mu         sync.Mutex
	migrating  map[string]bool          // command ids running a live migration
	classified map[string]chan struct{} // closed once Run knows what a command runs

	perf perfState // the host's raw performance counters, integrated over simulated time
}

var _ wsman.Runner = (*Shell)(nil)

// NewShell answers for host of f: the scripts it knows are hvbalancer's own.
func NewShell(f *model.Fleet, host string) *Shell {
	known := make(map[string]string)
	for name, body := range hyperv.Scripts() {
		known[strings.TrimRight(strings.ReplaceAll(body, "\r\n", "\n"), " \t\n")] = name
	}
	return &Shell{fleet: f, host: host, scripts: known, migrating: make(map[string]bool), classified: make(map[string]chan struct{})}
}

// isMigrating reports whether command id is running a live migration.
func (h *Shell) isMigrating(commandID string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.migrating[commandID]
}

// classifiedChan returns the channel Run closes once it knows whether
// command id runs a migration, making it if need be.
func (h *Shell) classifiedChan(commandID string) chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	ch, ok := h.classified[commandID]
	if !ok {
		ch = make(chan struct{})
		h.classified[commandID] = ch
	}
	return ch
}

// WillMigrate waits (up to wait) until Run has classified command id, and
// reports whether it runs a live migration. A Receive can reach the host
// before the command's goroutine has read its script.
func (h *Shell) WillMigrate(commandID string, wait time.Duration) bool {
	ch := h.classifiedChan(commandID)
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ch:
		return h.isMigrating(commandID)
	case <-t.C:
		h.mu.Lock()
		if h.classified[commandID] == ch {
			delete(h.classified, commandID) // the command had ended: nothing will close it
		}
		h.mu.Unlock()
		return false
	}
}

// classify records what command id runs and wakes WillMigrate.
func (h *Shell) classify(commandID string, migrating bool) {
	ch := h.classifiedChan(commandID)
	h.mu.Lock()
	if migrating {
		h.migrating[commandID] = true
	}
	h.mu.Unlock()
	close(ch)
}

// forget drops what Run recorded about command id.
func (h *Shell) forget(commandID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.migrating, commandID)
	delete(h.classified, commandID)
}

// Run implements wsman.Runner. It still answers with the text matcher:
// runMeaning, which parses and runs the script, differs from it where
// Windows does (a silenced error fails its pipeline, so main's locate-vm
// exits 1 for an absent VM) and replaces it once the client reads that.
func (h *Shell) Run(ctx context.Context, cmd wsman.Command, stdout, stderr io.Writer) int {
	defer h.forget(cmd.CommandID)
	name, s, code, done := h.identify(cmd.Line, stderr)
	h.classify(cmd.CommandID, name == hyperv.ScriptMoveVM || name == hyperv.ScriptMoveClusterVM)
	if done {
		return code
	}
	if fl, err := h.fleet.Faults(h.host); err == nil && fl.Hang {
		<-ctx.Done()
		return 1
	}
	return h.runScript(ctx, name, s, stdout, stderr)
}

// runMeaning decodes the command line, parses the script as Windows
// PowerShell 5.1 would, and runs what it means against the fleet.
func (h *Shell) runMeaning(ctx context.Context, cmd wsman.Command, stdout, stderr io.Writer) int {
	defer h.forget(cmd.CommandID)
	text, code, done := h.decode(cmd.Line, stderr)
	var tree *lang.Script
	var perr error
	if !done {
		tree, perr = lang.Parse(text)
	}
	h.classify(cmd.CommandID, perr == nil && tree != nil && migrating(tree))
	if done {
		return code
	}
	if fl, err := h.fleet.Faults(h.host); err == nil && fl.Hang {
		<-ctx.Done()
		return 1
	}
	return h.runText(ctx, text, tree, perr, stdout, stderr)
}

// decode reads the command line as cmd.exe and powershell.exe would and
// returns the script text; done is set when the command has already been
// answered (not PowerShell, bad encoding) with exit code code.
func (h *Shell) decode(line string, stderr io.Writer) (text string, code int, done bool) {
	inv, exe, err := parseCommandLine(line)
	switch {
	case errors.Is(err, errNotPowerShell):
		io.WriteString(stderr, "'"+exe+"' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n")
		return "", 1, true
	case errors.Is(err, errBadEncoding):
		io.WriteString(stderr, "Cannot process the command because the value specified with -EncodedCommand is not properly encoded. The value must be Base64 encoded.\r\n")
		return "", 1, true
	}
	return strings.TrimPrefix(inv.Text, "\ufeff"), 0, false
}

// identify decodes a command line and finds which of hvbalancer's scripts it
// runs. done is set when the command has already been answered (an error,
// or nothing to run) with exit code code.
func (h *Shell) identify(line string, stderr io.Writer) (name string, s script, code int, done bool) {
	inv, exe, err := parseCommandLine(line)
	switch {
	case errors.Is(err, errNotPowerShell):
		io.WriteString(stderr, "'"+exe+"' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n")
		return "", s, 1, true
	case errors.Is(err, errBadEncoding):
		io.WriteString(stderr, "Cannot process the command because the value specified with -EncodedCommand is not properly encoded. The value must be Base64 encoded.\r\n")
		return "", s, 1, true
	}
	s = splitScript(inv.Text)
	if strings.TrimSpace(s.Body) == "" {
		return "", s, 0, true
	}
	name, ok := h.scripts[s.Body]
	if !ok {
		return "", s, h.fail(stderr, s.notRecognized(firstWord(s.Body))), true
	}
	return name, s, 0, false
}

// runScript runs one of hvbalancer's scripts against the fleet and prints
// its result as PowerShell would.
func (h *Shell) runScript(ctx context.Context, name string, s script, stdout, stderr io.Writer) int {
	params, perr := decodeParams(s)
	if perr != nil {
		line, char, src := s.lineOf("ConvertFrom-Json")
		perr.Line, perr.Char, perr.Source = line, char, src
		return h.fail(stderr, *perr)
	}
	run := &scriptRun{fleet: h.fleet, host: h.host, script: s, params: params}
	var items []any
	var pe *psError
	switch name {
	case hyperv.ScriptGetHost:
		items, pe = run.getHost()
	case hyperv.ScriptGetVMs:
		items, pe = run.getVMs()
	case hyperv.ScriptGetCounters:
		items, pe = run.getCounters(ctx)
	case hyperv.ScriptLocateVM:
		items, pe = run.locateVM()
	case hyperv.ScriptMoveVM:
		items, pe = run.moveVM(ctx)
	case hyperv.ScriptMoveClusterVM:
		items, pe = run.moveClusterVM(ctx)
	}
	if ctx.Err() != nil {
		return 1 // the client stopped the pipeline
	}
	if pe != nil {
		return h.fail(stderr, *pe)
	}
	out, err := convertToJSON(items)
	if err != nil {
		return h.fail(stderr, psError{Command: "ConvertTo-Json", Message: []string{err.Error()}, Category: "NotSpecified: (:) [ConvertTo-Json], InvalidOperationException", ErrorID: "System.InvalidOperationException,Microsoft.PowerShell.Commands.ConvertToJsonCommand"})
	}
	stdout.Write(out)
	return 0
}

func (h *Shell) fail(stderr io.Writer, e psError) int {
	io.WriteString(stderr, clixml(e))
	return 1
}
