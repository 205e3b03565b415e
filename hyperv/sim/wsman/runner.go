package wsman

// What the server asks of its caller: the shell operations it serves and the
// Runner that executes each command line. The server only moves the bytes a
// Runner writes.

import (
	"context"
	"io"
)

// Op names one WS-Management shell operation.
type Op string

// The shell operations.
const (
	OpCreate  Op = "Create"
	OpCommand Op = "Command"
	OpReceive Op = "Receive"
	OpSend    Op = "Send"
	OpSignal  Op = "Signal"
	OpDelete  Op = "Delete"
	// OpEnumerate and OpPull list the user's shells (WS-Enumeration of
	// the shell resource).
	OpEnumerate Op = "Enumerate"
	OpPull      Op = "Pull"
)

// Command is one command line started in a shell.
type Command struct {
	Line      string // the command line: <rsp:Command> text, plus each <rsp:Arguments> joined by single spaces
	ShellID   string
	CommandID string
	User      string // authenticated user name
	// Stdin is the command's standard input, as the client's Send
	// requests deliver it; io.EOF once the client ends it. A Runner that
	// does not need it leaves it unread.
	Stdin io.Reader
}

// Runner runs a command line; it writes stdout and stderr as it goes
// (streamed to the client by Receive) and returns the exit code. ctx is
// cancelled when the client signals terminate or ctrl_c, deletes the shell,
// or the server closes. Writes after Run returns fail.
type Runner interface {
	Run(ctx context.Context, cmd Command, stdout, stderr io.Writer) int
}

// RunnerFunc adapts a function to Runner.
type RunnerFunc func(ctx context.Context, cmd Command, stdout, stderr io.Writer) int

var _ Runner = RunnerFunc(nil)

// Run implements Runner.
func (f RunnerFunc) Run(ctx context.Context, cmd Command, stdout, stderr io.Writer) int {
	return f(ctx, cmd, stdout, stderr)
}
