package executor

// maxLogText caps the free text (Hyper-V's and the daemon's own words) in
// one log line: the journal and the API keep it whole.
const maxLogText = 120

// clip shortens s to maxLogText characters, marking the cut with "…".
func clip(s string) string {
	r := []rune(s)
	if len(r) <= maxLogText {
		return s
	}
	return string(r[:maxLogText-1]) + "…"
}
