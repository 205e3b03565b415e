package executor

import "strings"

// maxLogText caps the free text (Hyper-V's and the daemon's own words) in
// one log line: the journal and the API keep it whole.
const maxLogText = 120

// A "move skipped" line says the move ID, the VM's name, the cause and
// the reason; the journal entry of the move ID keeps the reason whole,
// with the VM's ID and both hosts. skipWords caps those four values
// together, so that with what the handler adds in text (time, level,
// message, component and keys: some 108 characters) the line stays near
// 200; the reason gets what the others leave, at least minSkipText (a
// long cause such as incompatible_hardware then takes the line to 212).
const (
	skipWords   = 92
	minSkipText = 32
)

// clip shortens s to maxLogText characters, marking the cut with "…".
func clip(s string) string {
	r := []rune(s)
	if len(r) <= maxLogText {
		return s
	}
	return string(r[:maxLogText-1]) + "…"
}

// gist shortens a skip's reason to n characters, keeping what
// says why: a wrapped error reads "op: op: what went wrong", so the leading
// "op: " segments go first (the ErrStale sentinel's words repeat the
// line's cause); then, if it is still too long, the middle goes, marked
// with "…", keeping its start (what is measured, on which host) and its
// end (against which limit).
func gist(reason string, n int) string {
	s := strings.TrimPrefix(reason, ErrStale.Error()+": ")
	for len([]rune(s)) > n {
		_, rest, ok := strings.Cut(s, ": ")
		if !ok || rest == "" {
			break
		}
		s = rest
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	h := (n - 1) * 2 / 5
	head, tail := string(r[:h]), string(r[len(r)-(n-1-h):])
	// Cut at words where one is near.
	if i := strings.LastIndexByte(head, ' '); i > len(head)/2 {
		head = head[:i]
	}
	if i := strings.IndexByte(tail, ' '); i >= 0 && i < len(tail)/2 {
		tail = tail[i+1:]
	}
	return strings.TrimSpace(head) + "…" + strings.TrimSpace(tail)
}

// skipText is the reason of a "move skipped" line for move id of VM vm
// with cause: what skipWords leaves of it.
func skipText(id, vm, cause, reason string) string {
	used := len([]rune(id)) + len([]rune(vm)) + len(cause)
	return gist(reason, max(minSkipText, skipWords-used))
}
