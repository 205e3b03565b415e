package wsman

import (
	"context"
	"encoding/base64"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// exchange is one request being answered.
type exchange struct {
	r           *http.Request
	req         *request
	user        string
	utf16       bool
	aborted     bool // the client went away: answer nothing
	unavailable bool // the server closed meanwhile: answer 503
}

// dispatch runs one operation and returns the rendered response body.
func (s *Server) dispatch(x *exchange) (string, *fault) {
	switch x.req.op {
	case OpCreate:
		return s.create(x)
	case OpEnumerate:
		return s.enumerate(x)
	case OpPull:
		return s.pull(x)
	}
	sh, f := s.useShell(x.req.shellID, x.user)
	if f != nil {
		return "", f
	}
	defer s.releaseShell(sh)
	switch x.req.op {
	case OpCommand:
		return s.command(x, sh)
	case OpReceive:
		return s.receive(x, sh)
	case OpSend:
		return s.send(x, sh)
	case OpSignal:
		return s.signal(x, sh)
	default:
		return s.delete(sh)
	}
}

// useShell finds a shell and marks it busy, which holds off the idle
// reaper. Only its owner and administrators may use it.
func (s *Server) useShell(id, user string) (*shell, *fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sh := s.shells[id]
	if sh == nil {
		return nil, faultShellNotFound(id)
	}
	if !s.mayUse(user, sh) {
		return nil, faultAccessDenied()
	}
	sh.busy++
	return sh, nil
}

// releaseShell ends a request on a shell and restarts its idle time.
func (s *Server) releaseShell(sh *shell) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sh.busy--
	sh.lastActivity = time.Now()
}

// findCommand returns a live command of a shell, or nil.
func (s *Server) findCommand(sh *shell, id string) *command {
	s.mu.Lock()
	defer s.mu.Unlock()
	return sh.commands[strings.ToUpper(strings.TrimSpace(id))]
}

func (s *Server) create(x *exchange) (string, *fault) {
	b := x.req.body.Shell
	if b == nil {
		return "", faultSchema()
	}
	idle := s.cfg.IdleTimeout
	if d, err := parseDuration(strings.TrimSpace(b.IdleTimeOut)); err == nil && d > 0 && d < idle {
		idle = d
	}
	outputs := streamList(b.OutputStreams)
	if len(outputs) == 0 {
		outputs = []string{"stdout", "stderr"}
	}
	inputs := strings.Join(streamList(b.InputStreams), " ")
	if inputs == "" {
		inputs = "stdin"
	}
	clientIP, _, err := net.SplitHostPort(x.r.RemoteAddr)
	if err != nil {
		clientIP = x.r.RemoteAddr
	}
	ctx, cancel := context.WithCancel(s.ctx)
	now := time.Now()
	sh := &shell{name: strings.TrimSpace(b.Name), owner: x.user, clientIP: clientIP, inputStreams: inputs, outputStreams: outputs, idle: idle,
		ctx: ctx, cancel: cancel, commands: make(map[string]*command), created: now, lastActivity: now}

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		cancel()
		x.unavailable = true
		return "", nil
	}
	n := 0
	for _, o := range s.shells {
		if strings.EqualFold(o.owner, x.user) {
			n++
		}
	}
	if n >= s.cfg.MaxShellsPerUser {
		s.mu.Unlock()
		cancel()
		return "", faultQuotaShells(s.cfg.MaxShellsPerUser)
	}
	sh.id = strings.ToUpper(strings.TrimSpace(b.ShellID))
	if sh.id == "" || s.shells[sh.id] != nil {
		sh.id = newGUID()
	}
	s.pids++
	sh.processID = 4000 + s.pids*4
	s.shells[sh.id] = sh
	sh.timer = time.AfterFunc(idle, func() { s.reap(sh) })
	s.mu.Unlock()
	s.log.Debug("wsman shell created", "shell_id", sh.id, "user", x.user)

	addr := x.req.to
	if addr == "" {
		scheme := "http"
		if x.r.TLS != nil {
			scheme = "https"
		}
		addr = scheme + "://" + x.r.Host + "/wsman"
	}
	return `<x:ResourceCreated><a:Address>` + escape(addr) + `</a:Address><a:ReferenceParameters><w:ResourceURI>` +
		resourceCmd + `</w:ResourceURI><w:SelectorSet><w:Selector Name="ShellId">` + escape(sh.id) +
		`</w:Selector></w:SelectorSet></a:ReferenceParameters></x:ResourceCreated>` + s.shellXML(sh, now), nil
}

// tooLong is what cmd.exe prints for a command line over its limit.
const tooLong = "The command line is too long.\r\n"

func (s *Server) command(x *exchange, sh *shell) (string, *fault) {
	b := x.req.body.CommandLine
	if b == nil {
		return "", faultSchema()
	}
	line := b.Command
	for _, a := range b.Arguments {
		line += " " + a
	}
	long := len(utf16.Encode([]rune(line))) > s.cfg.MaxCommandLine

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		x.unavailable = true
		return "", nil
	}
	if s.shells[sh.id] != sh {
		s.mu.Unlock()
		return "", faultShellNotFound(sh.id)
	}
	id := strings.ToUpper(strings.TrimSpace(b.CommandID))
	if id == "" || sh.commands[id] != nil {
		id = newGUID()
	}
	c := newCommand(sh.ctx, id)
	sh.commands[id] = c
	if !long {
		s.wg.Add(1)
	}
	s.mu.Unlock()

	if long {
		// cmd.exe refuses the line itself; the command still exists and ends.
		_, _ = c.write("stderr", []byte(tooLong))
		c.finish(1)
	} else {
		cmd := Command{Line: line, ShellID: sh.id, CommandID: id, User: x.user, Stdin: c.stdin}
		go func() {
			defer s.wg.Done()
			c.finish(s.cfg.Runner.Run(c.ctx, cmd, streamWriter{c, "stdout"}, streamWriter{c, "stderr"}))
		}()
	}
	s.log.Debug("wsman command started", "shell_id", sh.id, "command_id", id, "too_long", long)
	return `<rsp:CommandResponse><rsp:CommandId>` + escape(id) + `</rsp:CommandId></rsp:CommandResponse>`, nil
}

func (s *Server) receive(x *exchange, sh *shell) (string, *fault) {
	rx := x.req.body.Receive
	if rx == nil || rx.DesiredStream == nil {
		return "", faultSchema()
	}
	c := s.findCommand(sh, rx.DesiredStream.CommandID)
	if c == nil {
		return "", faultCommandNotFound()
	}
	desired := streamList(rx.DesiredStream.Streams)
	if len(desired) == 0 {
		desired = sh.outputStreams
	}
	// The response must fit the smaller of the client's and the server's
	// envelope size, counted in the bytes it is sent in.
	limit := s.cfg.MaxEnvelopeSize
	if x.req.maxEnvelope > 0 {
		limit = min(limit, x.req.maxEnvelope)
	}
	if x.utf16 {
		limit = (limit - 2) / 2
	}
	budget := limit - len(envelope(x.req.response, x.req.messageID, receiveBody(c.id, nil, desired, true, "-9223372036854775808")))
	overhead := func(stream string) int { return len(streamElement(stream, c.id, "")) }

	timer := time.NewTimer(s.operationTimeout(x.req))
	defer timer.Stop()
	for {
		if sh.ctx.Err() != nil {
			if s.isClosed() {
				x.unavailable = true
				return "", nil
			}
			return "", faultShellNotFound(sh.id)
		}
		c.mu.Lock()
		if c.discarded {
			c.mu.Unlock()
			return "", faultCommandNotFound()
		}
		if c.done || c.hasOutput(desired) {
			items, ended := c.take(desired, budget, overhead)
			code := c.exitCode
			c.mu.Unlock()
			return receiveBody(c.id, items, desired, ended, strconv.Itoa(code)), nil
		}
		changed := c.changed
		c.mu.Unlock()
		select {
		case <-changed:
		case <-sh.ctx.Done():
		case <-timer.C:
			return "", faultTimedOut()
		case <-x.r.Context().Done():
			x.aborted = true
			return "", nil
		}
	}
}

// operationTimeout is how long a Receive may wait for output.
func (s *Server) operationTimeout(req *request) time.Duration {
	d := DefaultOperationTimeout
	if req.timeout != "" {
		d, _ = parseDuration(req.timeout) // checked by parseRequest
	}
	if s.cfg.MaxOperationTimeout > 0 {
		d = min(d, s.cfg.MaxOperationTimeout)
	}
	return d
}

// streamElement renders one rsp:Stream element of a ReceiveResponse.
func streamElement(stream, commandID, data string) string {
	return `<rsp:Stream Name="` + escape(stream) + `" CommandId="` + escape(commandID) + `">` + data + `</rsp:Stream>`
}

// receiveBody renders a ReceiveResponse: the output taken, then, once the
// command has ended, the end of every desired stream and the exit code.
func receiveBody(commandID string, items []chunk, desired []string, ended bool, exitCode string) string {
	var b strings.Builder
	b.WriteString("<rsp:ReceiveResponse>")
	for _, it := range items {
		b.WriteString(streamElement(it.stream, commandID, base64.StdEncoding.EncodeToString(it.data)))
	}
	id := escape(commandID)
	if ended {
		for _, name := range desired {
			b.WriteString(`<rsp:Stream Name="` + escape(name) + `" CommandId="` + id + `" End="true"></rsp:Stream>`)
		}
		b.WriteString(`<rsp:CommandState CommandId="` + id + `" State="` + stateDone + `"><rsp:ExitCode>` +
			exitCode + `</rsp:ExitCode></rsp:CommandState>`)
	} else {
		b.WriteString(`<rsp:CommandState CommandId="` + id + `" State="` + stateRunning + `"></rsp:CommandState>`)
	}
	b.WriteString("</rsp:ReceiveResponse>")
	return b.String()
}

// send delivers stdin to live commands, in order; a stream with
// End="true" ends the command's input. A Runner that never reads it
// leaves it unread, as a command that never reads its input does on
// Windows.
func (s *Server) send(x *exchange, sh *shell) (string, *fault) {
	b := x.req.body.Send
	if b == nil || len(b.Streams) == 0 {
		return "", faultSchema()
	}
	type delivery struct {
		c    *command
		data []byte
		end  bool
	}
	var ds []delivery
	for _, st := range b.Streams {
		c := s.findCommand(sh, st.CommandID)
		if c == nil {
			return "", faultCommandNotFound()
		}
		data, err := base64.StdEncoding.DecodeString(strings.TrimSpace(st.Data))
		if err != nil || !strings.EqualFold(st.Name, "stdin") {
			return "", faultSchema()
		}
		ds = append(ds, delivery{c, data, st.End == "true" || st.End == "1"})
	}
	for _, d := range ds {
		if err := d.c.stdin.deliver(d.data, d.end); err != nil {
			return "", faultInvalidParameter()
		}
	}
	return "<rsp:SendResponse></rsp:SendResponse>", nil
}

func (s *Server) signal(x *exchange, sh *shell) (string, *fault) {
	b := x.req.body.Signal
	if b == nil {
		return "", faultSchema()
	}
	id := strings.ToUpper(strings.TrimSpace(b.CommandID))
	c := s.findCommand(sh, id)
	if c == nil {
		return "", faultCommandNotFound()
	}
	switch code := strings.TrimSpace(b.Code); {
	case strings.EqualFold(code, signalTerminate):
		// The command's state may now be discarded: its id stops existing.
		s.mu.Lock()
		delete(sh.commands, id)
		s.mu.Unlock()
		c.discard()
	case strings.EqualFold(code, signalCtrlC), strings.EqualFold(code, signalCtrlBreak):
		c.cancel()
	default:
		return "", faultInvalidParameter()
	}
	s.log.Debug("wsman signal", "shell_id", sh.id, "command_id", id, "code", b.Code)
	return "<rsp:SignalResponse></rsp:SignalResponse>", nil
}

func (s *Server) delete(sh *shell) (string, *fault) {
	s.mu.Lock()
	if s.shells[sh.id] != sh {
		s.mu.Unlock()
		return "", faultShellNotFound(sh.id)
	}
	delete(s.shells, sh.id)
	s.mu.Unlock()
	s.dropShell(sh)
	s.log.Debug("wsman shell deleted", "shell_id", sh.id)
	return "", nil
}

// reap deletes a shell that has had no request for its idle time-out. It
// runs on the shell's timer and counts as running work until it returns.
func (s *Server) reap(sh *shell) {
	s.mu.Lock()
	if s.closed || s.shells[sh.id] != sh {
		s.mu.Unlock()
		return
	}
	s.wg.Add(1)
	defer s.wg.Done()
	if sh.busy > 0 {
		sh.timer.Reset(sh.idle)
		s.mu.Unlock()
		return
	}
	if left := sh.idle - time.Since(sh.lastActivity); left > 0 {
		sh.timer.Reset(left)
		s.mu.Unlock()
		return
	}
	delete(s.shells, sh.id)
	s.mu.Unlock()
	s.dropShell(sh)
	s.log.Info("wsman shell idle timeout", "shell_id", sh.id, "user", sh.owner)
}

// dropShell ends a shell already removed from the server: its commands are
// cancelled and forgotten.
func (s *Server) dropShell(sh *shell) {
	s.mu.Lock()
	cmds := sh.commands
	sh.commands = make(map[string]*command)
	s.mu.Unlock()
	sh.timer.Stop()
	sh.cancel()
	for _, c := range cmds {
		c.discard()
	}
}
