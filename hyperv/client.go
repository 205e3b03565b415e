package hyperv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/masterzen/winrm"
)

// Client talks to one Hyper-V host over WinRM. It is safe for concurrent
// use; its calls run in one remote shell it keeps open on the host (see
// shells.go), which Close closes.
type Client struct {
	cfg    Config
	addr   string
	wc     *winrm.Client
	tr     pooledTransport
	shells *shellKeeper
}

// New validates cfg and returns a client for the host. It does not connect.
func New(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	wc, tr, err := cfg.winrmClient()
	if err != nil {
		return nil, fmt.Errorf("new client for %s: %w", cfg.address(), err)
	}
	c := &Client{cfg: cfg, addr: cfg.address(), wc: wc, tr: tr}
	c.shells = &shellKeeper{c: c, sweepEvery: sweepEvery}
	return c, nil
}

// Close closes the client's shell on the host (waiting a few seconds at
// most) and its idle connections; connections in use close when their
// call ends. Calls after Close fail.
func (c *Client) Close() error {
	c.shells.close()
	c.tr.close()
	return nil
}

// Stats returns what the client's transport did since New: requests,
// connections opened, logins, and shells opened and closed.
func (c *Client) Stats() TransportStats {
	s := c.tr.stats()
	s.ShellsOpened = c.shells.created.Load()
	s.OrphanedShellsClosed = c.shells.orphansClosed.Load()
	return s
}

// Address returns the host's host:port, for logs.
func (c *Client) Address() string { return c.addr }

// maxStdout bounds how much output a script may print.
const maxStdout = 64 << 20

// phase is how far a remote command got.
type phase int32

const (
	phaseShell   phase = iota // opening the shell: nothing ran
	phaseCommand              // the command request is on its way: the script may have started
	phaseReceive              // the command started
)

// execResult is what one remote command produced.
type execResult struct {
	stdout, stderr []byte
	exitCode       int
	err            error // transport error
}

// exec runs cmdline in the client's shell, with stdin (when not nil) sent
// to its standard input and ended, and drives it as command.go says. It
// returns when the command ends or the transport fails; ctx ends the
// remote command. Each request is bounded by the transport's own
// timeouts, so exec always returns eventually. A shell the host no longer
// has is replaced once, before the command starts.
func (c *Client) exec(ctx context.Context, cmdline string, stdin []byte, ph *atomic.Int32) execResult {
	var rc *remoteCommand
	var ls *liveShell
	for attempt := 0; ; attempt++ {
		var err error
		if ls, err = c.shells.acquire(); err != nil {
			return execResult{err: err}
		}
		ph.Store(int32(phaseCommand))
		if err := ctx.Err(); err != nil {
			c.shells.release(ls, false)
			return execResult{err: err}
		}
		rc, err = c.startCommand(ls.id, cmdline)
		if err == nil {
			break
		}
		gone := isShellGone(err.Error())
		c.shells.release(ls, gone)
		if !gone || attempt > 0 {
			return execResult{err: err}
		}
		// The host dropped the shell (idle timeout, restart): the command
		// never started, so it is safe to open another and send it again.
		ph.Store(int32(phaseShell))
	}
	ph.Store(int32(phaseReceive))
	stdout := &capBuffer{max: maxStdout}
	stderr := &capBuffer{max: maxStderr}
	var err error
	if stdin != nil {
		if err = rc.send(stdin); err != nil {
			err = fmt.Errorf("send the script to the command's input: %w", err)
		}
	}
	code := 0
	if err == nil {
		code, err = rc.receive(ctx, stdout, stderr)
	}
	// Terminate the command: it frees what the host keeps of a finished
	// one, and stops one that waits for input that will not come or
	// whose caller gave up.
	_ = rc.signal()
	res := execResult{stdout: stdout.Bytes(), stderr: stderr.Bytes(), exitCode: code, err: err}
	c.shells.release(ls, res.err != nil && isShellGone(res.err.Error()))
	if res.err == nil && stdout.over {
		res.err = fmt.Errorf("output over %d bytes: %w", maxStdout, ErrUnexpectedOutput)
	}
	return res
}

// capBuffer keeps the first max bytes written and discards the rest, so the
// writer never blocks the library's reader.
type capBuffer struct {
	bytes.Buffer
	max  int
	over bool
}

func (b *capBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); room < len(p) {
		b.over = true
		if room > 0 {
			b.Buffer.Write(p[:room])
		}
		return len(p), nil
	}
	return b.Buffer.Write(p)
}

// callError is the outcome of run when no script result is available.
type callError struct {
	err   error // classified, redacted
	phase phase // how far the command got
}

// run executes script with params under its own deadline. It returns when
// the command finishes or the deadline (or ctx) ends, even if the library
// is still busy: the command then runs down in the background, cancelled.
func (c *Client) run(ctx context.Context, script string, params any, timeout time.Duration) (execResult, *callError) {
	cmdline, stdin, err := encodeInvocation(script, params)
	if err != nil {
		return execResult{}, &callError{err: fmt.Errorf("%w: %w", ErrInvalidArgument, err)}
	}
	// The deadline a timeout names: the caller's when it comes first (a
	// poll's deadline for all its reads), else the call's own.
	limit := timeout
	if dl, ok := ctx.Deadline(); ok {
		if left := time.Until(dl); left < limit {
			limit = max(left.Round(time.Second), time.Second)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var ph atomic.Int32
	done := make(chan execResult, 1)
	go func() { done <- c.exec(ctx, cmdline, stdin, &ph) }()
	select {
	case res := <-done:
		if res.err != nil {
			p := phase(ph.Load())
			return res, &callError{err: c.transportError(res.err, p), phase: p}
		}
		return res, nil
	case <-ctx.Done():
		p := phase(ph.Load())
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return execResult{}, &callError{err: fmt.Errorf("%w: no result within %s: %w", ErrTimeout, limit, ctx.Err()), phase: p}
		}
		return execResult{}, &callError{err: ctx.Err(), phase: p}
	}
}

var (
	status401RE = regexp.MustCompile(`(?:http error|http response error:|request returned:) 401\b`)
	faultTextRE = regexp.MustCompile(`(?s)<(?:[A-Za-z0-9]+:)?(?:Message|Text)(?:\s[^>]*)?>(.*?)</`)
	markupRE    = regexp.MustCompile(`(?s)<[?A-Za-z].*$`)
)

// transportKinds are the sentinels the session transport puts in its
// errors, with their text: transportError keeps such a message as it is.
// The Kerberos ones come first: they are not refused passwords.
var transportKinds = []error{ErrUnencryptedRefused, ErrClockSkew, ErrUnknownPrincipal, ErrKDCUnreachable, ErrAuthNotOffered, ErrUnauthorized, ErrCertificate, ErrUnreachable, ErrUnexpectedOutput}

// transportError classifies a transport or WinRM library error and makes
// its text safe and short: no password, SOAP bodies reduced to their
// fault message. A Kerberos failure gets the sentinel of its cause
// (kerberosError) and keeps the Kerberos text.
func (c *Client) transportError(err error, p phase) error {
	err = kerberosError(err, c.cfg.spn())
	for _, k := range transportKinds {
		if errors.Is(err, k) {
			return &redactedError{msg: "wsman: " + redact(err.Error(), c.cfg.Password), kinds: []error{k}, cause: err}
		}
	}
	var kinds []error
	msg := err.Error()
	if isShellQuota(msg) {
		text := ErrShellQuota.Error() + ": " + quotaAdvice
		if m := faultTextRE.FindAllStringSubmatch(msg, -1); len(m) > 0 {
			text += " (the host says: " + strings.TrimSpace(html.UnescapeString(m[len(m)-1][1])) + ")"
		}
		return &redactedError{msg: "wsman: " + redact(text, c.cfg.Password), kinds: []error{ErrShellQuota}, cause: err}
	}
	var opErr *net.OpError
	var dnsErr *net.DNSError
	switch {
	case status401RE.MatchString(msg):
		kinds = append(kinds, ErrUnauthorized)
		msg = "http status 401"
	case errors.As(err, &opErr) && opErr.Op == "dial", errors.As(err, &dnsErr),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		kinds = append(kinds, ErrUnreachable)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return err
	case p == phaseShell && connectionLost(err):
		// The host closed the connection before a shell existed: nothing
		// ran, and the host is as good as unreachable (a reused keep-alive
		// connection to a host that went down ends this way).
		kinds = append(kinds, ErrUnreachable)
	}
	msg = faultMessage(msg)
	if len(kinds) > 0 {
		msg = kinds[0].Error() + ": " + msg
	}
	return &redactedError{msg: "wsman: " + redact(msg, c.cfg.Password), kinds: kinds, cause: err}
}

// faultMessage reduces an error text that carries a SOAP body to the text
// before the markup and the fault's reason and message.
func faultMessage(msg string) string {
	msg = strings.TrimPrefix(msg, "unknown error ")
	loc := markupRE.FindStringIndex(msg)
	if loc == nil {
		return msg
	}
	var parts []string
	for _, m := range faultTextRE.FindAllStringSubmatch(msg[loc[0]:], 3) {
		if t := strings.TrimSpace(html.UnescapeString(m[1])); t != "" && !strings.Contains(t, "<") {
			parts = append(parts, t)
		}
	}
	return strings.TrimSpace(msg[:loc[0]] + " " + strings.Join(parts, ": "))
}

// connectionLost reports whether err is a connection the peer closed or reset.
func connectionLost(err error) bool {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	msg := err.Error()
	return strings.HasSuffix(msg, ": EOF") || msg == "EOF" || strings.Contains(msg, "connection reset by peer")
}

// scriptError turns a failed script's stderr into a *PowerShellError.
func scriptError(script string, res execResult) *PowerShellError {
	text := stderrText(res.stderr)
	rec := parseErrorText(text)
	e := &PowerShellError{Script: script, ExitCode: res.exitCode, Message: rec.Message, Category: rec.Category, ErrorID: rec.ErrorID}
	if e.Message == "" {
		e.Message = truncate(strings.Join(strings.Fields(text), " "), maxMessage)
	}
	return e
}

// failed reports whether a finished script failed: a non-zero exit code, or
// error text on stderr and nothing on stdout.
func failed(res execResult) bool {
	if res.exitCode != 0 {
		return true
	}
	return len(trimOutput(res.stdout)) == 0 && stderrText(res.stderr) != ""
}

// call runs a read-only script and returns its stdout, or an error that
// starts with op and the host address.
func (c *Client) call(ctx context.Context, op, script string, params any, timeout time.Duration) ([]byte, error) {
	res, cerr := c.run(ctx, script, params, timeout)
	if cerr != nil {
		return nil, fmt.Errorf("%s on %s: %w", op, c.addr, cerr.err)
	}
	if failed(res) {
		ps := scriptError(script, res)
		ps.Message = redact(ps.Message, c.cfg.Password)
		return nil, fmt.Errorf("%s on %s: %w", op, c.addr, ps)
	}
	return res.stdout, nil
}
