package hyperv

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"strconv"
	"strings"
)

// How the client recognises the shells it left on a host. Every shell it
// opens carries a name (rsp:Name, which the host reports back when it
// lists shells):
//
//	<shell name>:<machine>:<process id>:<token>
//
// where the shell name is Config.ShellName (one per installation), machine
// is the name of the computer the client runs on, and token is drawn once
// per process. A shell of ours whose process is gone is an orphan: a
// process of the same id with another token is a later process (a service
// restarted in a container often gets the same id), and another id is
// checked against the running processes. Shells named by another machine
// are left alone: their process cannot be checked from here, and the host
// closes them after their idle timeout (Config.ShellIdleTimeout).

// processIdentity names the process a shell belongs to.
type processIdentity struct {
	machine string
	pid     int
	token   string
}

// thisProcess is the identity of the running process, fixed at start.
var thisProcess = processIdentity{machine: machineName(), pid: os.Getpid(), token: newToken()}

// newToken returns 8 random hexadecimal digits.
func newToken() string {
	var b [4]byte
	_, _ = rand.Read(b[:]) // never fails
	return hex.EncodeToString(b[:])
}

// machineName returns the computer's name, lower case, reduced to the
// characters of a DNS label and at most 63 of them.
func machineName() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		h = "unknown"
	}
	h = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '.':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return '-'
	}, h)
	return h[:min(len(h), 63)]
}

// shellName is the name of the shells p opens for an installation.
func (p processIdentity) shellName(prefix string) string {
	return prefix + ":" + p.machine + ":" + strconv.Itoa(p.pid) + ":" + p.token
}

// parseShellName reads a shell name written by shellName for prefix.
func parseShellName(name, prefix string) (processIdentity, bool) {
	parts := strings.Split(name, ":")
	if len(parts) != 4 || !strings.EqualFold(parts[0], prefix) || parts[1] == "" || parts[3] == "" {
		return processIdentity{}, false
	}
	pid, err := strconv.Atoi(parts[2])
	if err != nil || pid <= 0 {
		return processIdentity{}, false
	}
	return processIdentity{machine: strings.ToLower(parts[1]), pid: pid, token: parts[3]}, true
}

// sameAccount reports whether a shell's owner, as the host reports it
// (DOMAIN\user, user@realm or user), is the client's user. An empty user
// (a Kerberos credential cache names the principal) matches any owner:
// the host lists only the account's own shells to an account that is
// not an administrator, and the name is checked besides.
func sameAccount(owner, user string) bool {
	if user == "" {
		return true
	}
	return strings.EqualFold(accountName(owner), accountName(user))
}

// accountName strips the domain from DOMAIN\user and user@realm.
func accountName(s string) string {
	if i := strings.LastIndexByte(s, '\\'); i >= 0 {
		s = s[i+1:]
	}
	if i := strings.IndexByte(s, '@'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

// orphaned reports whether sh is a shell this installation's client left
// behind: named with prefix by a process of this machine that is no longer
// running, and owned by user. alive reports whether a process id runs.
func orphaned(sh RemoteShell, prefix, user string, self processIdentity, alive func(pid int) bool) bool {
	p, ok := parseShellName(sh.Name, prefix)
	if !ok || p.machine != self.machine || !sameAccount(sh.Owner, user) {
		return false
	}
	if p.pid == self.pid {
		return p.token != self.token
	}
	return !alive(p.pid)
}
