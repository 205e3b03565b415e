package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hvbalancer/hvbalancer/collector"
)

// errIncomplete marks a command that could not read every host: it exits
// with code 3 after printing one line per host and why.
var errIncomplete = errors.New("incomplete fleet")

// fleetError says which hosts could not be read and why, one line each.
type fleetError struct {
	head  string   // the first line
	lines []string // "HV03 (10.0.0.13:5985): wrong credentials or account locked"
}

func (e *fleetError) Error() string {
	var b strings.Builder
	b.WriteString(e.head)
	for _, l := range e.lines {
		b.WriteString("\n  ")
		b.WriteString(l)
	}
	return b.String()
}

// Unwrap returns errIncomplete.
func (e *fleetError) Unwrap() error { return errIncomplete }

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

// incomplete returns a *fleetError naming the hosts the snapshot could not
// read and what was still done, or nil when every host answered.
func incomplete(snap *collector.Snapshot, addrs map[string]string, done string) error {
	ok, total := snap.Answering()
	if ok == total {
		return nil
	}
	return &fleetError{
		head:  fmt.Sprintf("%d of %d hosts could not be read; %s", total-ok, total, done),
		lines: hostLines(snap, addrs),
	}
}

// tooFew returns a *fleetError when fewer hosts answer than the configured
// share: the command then does nothing.
func tooFew(snap *collector.Snapshot, addrs map[string]string, share float64, nothing string) error {
	if ok, _ := answering(snap, share); ok {
		return nil
	}
	answered, total := snap.Answering()
	return &fleetError{
		head: fmt.Sprintf("only %d of %d hosts answer, fewer than collector.min_answering_share (%g); %s",
			answered, total, share, nothing),
		lines: hostLines(snap, addrs),
	}
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
