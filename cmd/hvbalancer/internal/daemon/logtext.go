package daemon

// maxLogText caps the free text in one log line (a round's error, which
// may name every host): /api/v1/status and /readyz say it whole.
const maxLogText = 120

// clip shortens s to maxLogText characters, marking the cut with "…".
func clip(s string) string {
	r := []rune(s)
	if len(r) <= maxLogText {
		return s
	}
	return string(r[:maxLogText-1]) + "…"
}
