package powershell

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/model"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/powershell/lang"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/wsman"
)

// Shell answers the command lines sent to one simulated host as
// powershell.exe on Windows Server with Hyper-V would; it is the host's
// wsman.Runner.
type Shell struct {
	fleet *model.Fleet
	host  string

	mu         sync.Mutex
	migrating  map[string]bool          // command ids running a live migration
	classified map[string]chan struct{} // closed once Run knows what a command runs

	perf perfState // the host's raw performance counters, integrated over simulated time

	parsed *parseCache // the trees of the texts it ran last
}

var _ wsman.Runner = (*Shell)(nil)

// NewShell answers for host of f.
func NewShell(f *model.Fleet, host string) *Shell {
	return &Shell{fleet: f, host: host, migrating: make(map[string]bool), classified: make(map[string]chan struct{}), parsed: &parseCache{}}
}

// NewSharedShell answers for host of f, keeping the texts it parses in
// parses, which other hosts' shells share.
func NewSharedShell(f *model.Fleet, host string, parses *ParseCache) *Shell {
	sh := NewShell(f, host)
	sh.parsed = &parses.c
	return sh
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

// Run implements wsman.Runner: it decodes the command line, parses the
// script as Windows PowerShell 5.1 would, and runs what it means against
// the fleet.
func (h *Shell) Run(ctx context.Context, cmd wsman.Command, stdout, stderr io.Writer) int {
	defer h.forget(cmd.CommandID)
	text, code, done := h.decode(cmd.Line, stderr)
	var tree *lang.Script
	var perr error
	if !done {
		tree, perr = h.parsed.parse(text)
	}
	h.classify(cmd.CommandID, perr == nil && tree != nil && migrating(tree))
	if done {
		return code
	}
	if fl, err := h.fleet.Faults(h.host); err == nil && fl.Hang {
		<-ctx.Done()
		return 1
	}
	return h.runText(ctx, text, tree, perr, cmd.Stdin, stdout, stderr)
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

func (h *Shell) fail(stderr io.Writer, e psError) int {
	io.WriteString(stderr, clixml(e))
	return 1
}
