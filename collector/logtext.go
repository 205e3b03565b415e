package collector

// maxLogText caps a host's error in one log line: a PowerShell error
// record can run to pages. The snapshot's Reason keeps it whole.
const maxLogText = 160

// clip shortens s to maxLogText characters, marking the cut with "…".
func clip(s string) string {
	r := []rune(s)
	if len(r) <= maxLogText {
		return s
	}
	return string(r[:maxLogText-1]) + "…"
}
