package fleet

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/hvbalancer/hvbalancer/collector"
)

// ErrIncomplete marks a command that could not read every host: it exits
// with code 3 after printing one line per host and why.
var ErrIncomplete = errors.New("incomplete fleet")

// Error says which hosts could not be read and why, one line each. It
// wraps ErrIncomplete.
type Error struct {
	Head  string   // the first line
	Lines []string // "HV03 (10.0.0.13:5985): wrong credentials or account locked"
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Head)
	for _, l := range e.Lines {
		b.WriteString("\n  ")
		b.WriteString(l)
	}
	return b.String()
}

// Unwrap returns ErrIncomplete.
func (e *Error) Unwrap() error { return ErrIncomplete }

// Incomplete returns an *Error naming the hosts the snapshot could not
// read and what was still done, or nil when every host answered. addrs
// (host name → address) may be nil.
func Incomplete(snap *collector.Snapshot, addrs map[string]string, done string) error {
	ok, total := snap.Answering()
	if ok == total {
		return nil
	}
	return &Error{
		Head:  fmt.Sprintf("%d of %d hosts could not be read; %s", total-ok, total, done),
		Lines: hostLines(snap, addrs),
	}
}

// TooFew returns an *Error when fewer hosts answer than share of them:
// the command then does nothing.
func TooFew(snap *collector.Snapshot, addrs map[string]string, share float64, nothing string) error {
	if ok, _ := Answering(snap, share); ok {
		return nil
	}
	answered, total := snap.Answering()
	return &Error{
		Head: fmt.Sprintf("only %d of %d hosts answer, fewer than collector.min_answering_share (%g); %s",
			answered, total, share, nothing),
		Lines: hostLines(snap, addrs),
	}
}

// Answering says whether enough of the snapshot's hosts answer: at least
// share of them (rounded up), and at least one. When not, the reason names
// the hosts that do not and why.
func Answering(snap *collector.Snapshot, share float64) (bool, string) {
	ok, total := snap.Answering()
	need := max(1, int(math.Ceil(share*float64(total)-1e-9)))
	if ok >= need {
		return true, ""
	}
	// Hosts that fail alike are named together, each problem once.
	var problems []string
	names := map[string][]string{}
	for _, h := range snap.Unreadable() {
		p := h.Problem()
		if names[p] == nil {
			problems = append(problems, p)
		}
		names[p] = append(names[p], h.Name)
	}
	parts := make([]string, len(problems))
	for i, p := range problems {
		parts[i] = strings.Join(names[p], ", ") + ": " + p
	}
	return false, fmt.Sprintf("only %d of %d hosts answer, %d must (collector.min_answering_share %g); %s",
		ok, total, need, share, strings.Join(parts, "; "))
}

// Failure says in one line why a call to a host failed: the collector's
// words for its cause, or the error itself.
func Failure(err error) string {
	if t := collector.CauseOf(err).Text(); t != "" {
		return t
	}
	return oneLine(err.Error())
}

// hostLines says why each host of the snapshot that is not ok could not be
// read, with its address when known.
func hostLines(snap *collector.Snapshot, addrs map[string]string) []string {
	var out []string
	for _, h := range snap.Unreadable() {
		name := h.Name
		if a := addrs[h.Name]; a != "" {
			name += " (" + a + ")"
		}
		out = append(out, name+": "+oneLine(h.Problem()))
	}
	return out
}

// oneLine replaces line breaks and other control characters by spaces.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}
