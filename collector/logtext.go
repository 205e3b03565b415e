package collector

import (
	"regexp"
	"strings"
)

// maxLogText caps a host's error in one log line: a PowerShell error
// record can run to pages. The snapshot's Reason keeps it whole.
const maxLogText = 160

// clip shortens s to about maxLogText characters, cut at a word boundary
// when one is near, marking the cut with "…".
func clip(s string) string {
	r := []rune(s)
	if len(r) <= maxLogText {
		return s
	}
	cut := maxLogText - 1
	for i := cut; i > maxLogText*3/4; i-- {
		if r[i] == ' ' {
			cut = i
			break
		}
	}
	return strings.TrimRight(string(r[:cut]), " ,:;") + "…"
}

// dialRE matches the network layer's "dial tcp ADDRESS: " inside an error.
var dialRE = regexp.MustCompile(`dial tcp ([^\s:]+:\d+|\[[^\]]+\]:\d+): `)

// dropRepeatedAddress removes the network layer's "dial tcp ADDRESS: "
// when the message named that address already ("get host on ADDRESS:
// … dial tcp ADDRESS: connect: connection refused"): said once is enough.
func dropRepeatedAddress(s string) string {
	return dialRE.ReplaceAllStringFunc(s, func(m string) string {
		addr := dialRE.FindStringSubmatch(m)[1]
		if i := strings.Index(s, m); i > 0 && strings.Contains(s[:i], addr) {
			return ""
		}
		return m
	})
}
