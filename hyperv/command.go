package hyperv

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"io"
	"net/url"
	"strconv"
	"strings"

	"github.com/masterzen/winrm"
)

// A remote command's exchanges (MS-WSMV 3.1.4.11-3.1.4.14): the WinRM
// library writes every message (Command, Send, Receive, Signal) and the
// client's transport carries it, but the client drives the command itself
// rather than through winrm.Command, for two reasons. The library's
// WriteClose marks the input's end before it writes and so never sends
// it, which costs a poll a second Send for the end alone: here the input
// goes in Sends of which the last carries End="true", as pywinrm sends
// its stdin. And the library parses every ReceiveResponse into a DOM and
// queries it with XPath, a quarter of the collector's CPU at a thousand
// hosts: parseReceive reads the few elements a ReceiveResponse has in one
// pass over the text (and parseCommandResponse a CommandResponse's id).

// stateDone is the CommandState a finished command reports.
const stateDone = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Done"

// sendChunk is the most input one Send carries, as the library bounds
// it: the envelope's size less room for the headers, before base64.
func sendChunk(p *winrm.Parameters) int { return max((p.EnvelopeSize-1000)*3/4, 1) }

// remoteCommand is one command started in a shell.
type remoteCommand struct {
	c       *Client
	shellID string
	id      string
}

// startCommand sends the Command request for cmdline in the shell.
func (c *Client) startCommand(shellID, cmdline string) (*remoteCommand, error) {
	msg := winrm.NewExecuteCommandRequest(c.tr.target(), shellID, cmdline, nil, &c.wc.Parameters)
	defer msg.Free()
	resp, err := c.tr.Post(c.wc, msg)
	if err != nil {
		return nil, err
	}
	id, err := parseCommandResponse(resp)
	if err != nil {
		return nil, err
	}
	return &remoteCommand{c: c, shellID: shellID, id: id}, nil
}

// send writes data to the command's stdin and ends it: one Send when
// data fits an envelope, the last one marked End="true".
func (rc *remoteCommand) send(data []byte) error {
	chunk := sendChunk(&rc.c.wc.Parameters)
	for {
		n := min(len(data), chunk)
		last := n == len(data)
		msg := winrm.NewSendInputRequest(rc.c.tr.target(), rc.shellID, rc.id, data[:n], last, &rc.c.wc.Parameters)
		_, err := rc.c.tr.Post(rc.c.wc, msg)
		msg.Free()
		if err != nil || last {
			return err
		}
		data = data[n:]
	}
}

// receive asks for output until the command ends, writing its streams
// to stdout and stderr, and returns its exit code. A Receive the host
// answers with the OperationTimeout fault (no output within the
// operation timeout) is sent again. ctx ends it between Receives.
func (rc *remoteCommand) receive(ctx context.Context, stdout, stderr io.Writer) (int, error) {
	for {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		msg := winrm.NewGetOutputRequest(rc.c.tr.target(), rc.shellID, rc.id, "stdout stderr", &rc.c.wc.Parameters)
		resp, err := rc.c.tr.Post(rc.c.wc, msg)
		msg.Free()
		if err != nil {
			if operationTimedOut(err) {
				continue
			}
			return 0, err
		}
		done, code, err := parseReceive(resp, stdout, stderr)
		if err != nil || done {
			return code, err
		}
	}
}

// signal terminates the command on the host (after it ended, this frees
// what the host keeps of it).
func (rc *remoteCommand) signal() error {
	msg := winrm.NewSignalRequest(rc.c.tr.target(), rc.shellID, rc.id, &rc.c.wc.Parameters)
	defer msg.Free()
	_, err := rc.c.tr.Post(rc.c.wc, msg)
	return err
}

// operationTimedOut reports whether a Receive failed only because no
// output came within the operation timeout: the host's OperationTimeout
// fault, or the request's own timeout, as the library tells them.
func operationTimedOut(err error) bool {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Timeout() {
		return true
	}
	return strings.Contains(err.Error(), "OperationTimeout")
}

// startTag is an element's start tag as nextTag finds it.
type startTag struct {
	name       string // the local name: the prefix is dropped
	attrs      string // the attributes' text
	selfClosed bool
}

// nextTag finds the next start tag in env from i, skipping end tags,
// processing instructions, declarations and comments, and returns it with
// the index after it; ok is false when there is none. Namespace prefixes
// are not checked, only local names, as the library's XPath matches them
// through the prefixes Windows uses.
func nextTag(env string, i int) (t startTag, next int, ok bool, err error) {
	for i < len(env) {
		lt := strings.IndexByte(env[i:], '<')
		if lt < 0 || i+lt+1 >= len(env) {
			return startTag{}, len(env), false, nil
		}
		i += lt + 1
		switch env[i] {
		case '/', '?':
			continue
		case '!':
			if strings.HasPrefix(env[i:], "!--") {
				end := strings.Index(env[i:], "-->")
				if end < 0 {
					return startTag{}, 0, false, errors.New("unterminated comment")
				}
				i += end + 3
			}
			continue
		}
		gt := strings.IndexByte(env[i:], '>')
		if gt < 0 {
			return startTag{}, 0, false, errors.New("unterminated tag")
		}
		tag := env[i : i+gt]
		i += gt + 1
		t.selfClosed = strings.HasSuffix(tag, "/")
		tag = strings.TrimSuffix(tag, "/")
		t.name, t.attrs, _ = strings.Cut(tag, " ")
		if k := strings.IndexFunc(t.name, isXMLSpace); k >= 0 {
			t.name, t.attrs = t.name[:k], t.name[k+1:]+" "+t.attrs
		}
		if _, local, ok := strings.Cut(t.name, ":"); ok {
			t.name = local
		}
		return t, i, true, nil
	}
	return startTag{}, len(env), false, nil
}

// actionCommandResponse is the Action of a CommandResponse.
const actionCommandResponse = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandResponse"

// parseCommandResponse reads the CommandId of a CommandResponse, as the
// library's ParseExecuteCommandResponse does: the envelope's Action must
// be a CommandResponse's.
func parseCommandResponse(env string) (string, error) {
	var action, id string
	for i := 0; ; {
		t, next, ok, err := nextTag(env, i)
		if err != nil {
			return "", fmt.Errorf("%w: command response: %w", ErrUnexpectedOutput, err)
		}
		if !ok {
			break
		}
		i = next
		if t.selfClosed || t.name != "Action" && t.name != "CommandId" {
			continue
		}
		var text string
		text, i = elementText(env, i)
		if t.name == "Action" && action == "" {
			action = strings.TrimSpace(text)
		} else if t.name == "CommandId" && id == "" {
			id = strings.TrimSpace(text)
		}
	}
	switch {
	case action != actionCommandResponse:
		return "", fmt.Errorf("%w: command response: action %q", ErrUnexpectedOutput, truncate(action, 100))
	case id == "":
		return "", fmt.Errorf("%w: command response without a CommandId", ErrUnexpectedOutput)
	}
	return id, nil
}

// parseReceive reads a ReceiveResponse envelope in one pass: the data of
// each rsp:Stream (base64) goes to stdout or stderr by its Name, and a
// CommandState whose State is Done ends the command with the ExitCode it
// holds.
func parseReceive(env string, stdout, stderr io.Writer) (done bool, exitCode int, err error) {
	buf := make([]byte, 32<<10)
	for i := 0; ; {
		t, next, ok, err := nextTag(env, i)
		if err != nil {
			return false, 0, fmt.Errorf("%w: receive response: %w", ErrUnexpectedOutput, err)
		}
		if !ok {
			break
		}
		i = next
		switch t.name {
		case "Stream":
			text := ""
			if !t.selfClosed {
				text, i = elementText(env, i)
			}
			var w io.Writer
			switch tagAttr(t.attrs, "Name") {
			case "stdout":
				w = stdout
			case "stderr":
				w = stderr
			}
			if w == nil || strings.TrimSpace(text) == "" {
				continue
			}
			// The decoder skips the line breaks base64 may be wrapped at.
			dec := base64.NewDecoder(base64.StdEncoding, strings.NewReader(stripXMLSpace(text)))
			if _, err := io.CopyBuffer(w, dec, buf); err != nil { // the writers are buffers: a bad encoding
				return false, 0, fmt.Errorf("%w: receive response: stream %s: %w", ErrUnexpectedOutput, tagAttr(t.attrs, "Name"), err)
			}
		case "CommandState":
			if tagAttr(t.attrs, "State") == stateDone {
				done = true
			}
		case "ExitCode":
			if t.selfClosed {
				continue
			}
			var text string
			text, i = elementText(env, i)
			if exitCode, err = strconv.Atoi(strings.TrimSpace(text)); err != nil {
				return false, 0, fmt.Errorf("%w: receive response: exit code %q", ErrUnexpectedOutput, truncate(text, 32))
			}
		}
	}
	if !done {
		exitCode = 0
	}
	return done, exitCode, nil
}

// elementText returns the character data that starts at env[i] (up to
// the next tag, CDATA sections unwrapped, entities decoded) and the
// index after it.
func elementText(env string, i int) (string, int) {
	if lt := strings.IndexByte(env[i:], '<'); lt >= 0 && !strings.HasPrefix(env[i+lt:], "<![CDATA[") {
		s := env[i : i+lt] // the usual case: no copy
		if strings.IndexByte(s, '&') >= 0 {
			s = html.UnescapeString(s)
		}
		return s, i + lt
	}
	var b strings.Builder
	for {
		lt := strings.IndexByte(env[i:], '<')
		if lt < 0 {
			lt = len(env) - i
		}
		b.WriteString(env[i : i+lt])
		i += lt
		const open, close = "<![CDATA[", "]]>"
		if !strings.HasPrefix(env[i:], open) {
			break
		}
		end := strings.Index(env[i+len(open):], close)
		if end < 0 {
			break
		}
		b.WriteString(env[i+len(open) : i+len(open)+end]) // CDATA is not unescaped
		i += len(open) + end + len(close)
	}
	s := b.String()
	if strings.IndexByte(s, '&') >= 0 {
		s = html.UnescapeString(s)
	}
	return s, i
}

// tagAttr is the value of attribute name in a tag's attribute text, or "".
func tagAttr(attrs, name string) string {
	for attrs != "" {
		attrs = strings.TrimLeftFunc(attrs, isXMLSpace)
		eq := strings.IndexByte(attrs, '=')
		if eq < 0 {
			return ""
		}
		key := strings.TrimSpace(attrs[:eq])
		rest := strings.TrimLeftFunc(attrs[eq+1:], isXMLSpace)
		if rest == "" || rest[0] != '"' && rest[0] != '\'' {
			return ""
		}
		end := strings.IndexByte(rest[1:], rest[0])
		if end < 0 {
			return ""
		}
		val := rest[1 : 1+end]
		if _, local, ok := strings.Cut(key, ":"); ok {
			key = local
		}
		if key == name {
			if strings.IndexByte(val, '&') >= 0 {
				val = html.UnescapeString(val)
			}
			return val
		}
		attrs = rest[2+end:]
	}
	return ""
}

func isXMLSpace(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' }

// stripXMLSpace drops the spaces and tabs base64 text may be indented
// with (the decoder skips line breaks itself).
func stripXMLSpace(s string) string {
	if !strings.ContainsAny(s, " \t") {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isXMLSpace(r) {
			return -1
		}
		return r
	}, s)
}
