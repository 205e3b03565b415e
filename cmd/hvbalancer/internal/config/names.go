package config

import (
	"fmt"
	"net"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Lengths of names, as Windows and DNS bound them.
const (
	maxComputerName = 15  // a NetBIOS computer name (Move-VM -DestinationHost, what the host reports)
	maxDNSName      = 253 // a DNS name without its trailing dot
	maxDNSLabel     = 63  // one label of a DNS name
	maxGroupName    = 63  // clusters[].name and hosts[].group: groupings, not network names
	maxLabelValue   = 256 // hosts[].labels values
)

// computerNameProblem says why name is not a Windows computer name, or ""
// if it is one: 1..15 letters, digits and hyphens, not digits only.
func computerNameProblem(name string) string {
	for _, r := range name {
		if !isLDH(r) {
			return "not a computer name (letters, digits and hyphens only)"
		}
	}
	if n := len(name); n > maxComputerName {
		return fmt.Sprintf("a computer name has at most %d characters (NetBIOS), not %d", maxComputerName, n)
	}
	if strings.Trim(name, "0123456789") == "" {
		return "not a computer name (digits only)"
	}
	return ""
}

// addressProblem says why a is neither an IP address nor a DNS name, or
// "" if it is one.
func addressProblem(a string) string {
	if net.ParseIP(a) != nil {
		return ""
	}
	const want = "want a DNS name (at most 253 characters, labels of at most 63 letters, digits, hyphens or underscores) or an IP address"
	name := strings.TrimSuffix(a, ".")
	if name == "" || len(name) > maxDNSName {
		return fmt.Sprintf("%s, not %d characters", want, len(a))
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > maxDNSLabel || label[0] == '-' || label[len(label)-1] == '-' {
			return want
		}
		for _, r := range label {
			if !isLDH(r) && r != '_' {
				return want
			}
		}
	}
	return ""
}

// isLDH reports whether r is an ASCII letter, digit or hyphen.
func isLDH(r rune) bool {
	return r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-')
}

// textProblem says why s is not a short line of text: longer than max
// characters, or holding control characters.
func textProblem(s string, max int) string {
	if n := utf8.RuneCountInString(s); n > max {
		return fmt.Sprintf("at most %d characters, not %d", max, n)
	}
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return "control characters are not allowed"
	}
	return ""
}

// shown is a value as a message shows it: a long one is cut, with its
// length, so that one bad name does not fill the screen.
func shown(s string) string {
	const keep = 40
	if utf8.RuneCountInString(s) <= keep+8 {
		return s
	}
	r := []rune(s)
	return fmt.Sprintf("%s… (%d characters)", string(r[:keep]), len(r))
}

// validateGrouping checks a host's group and labels: short lines of text,
// as the status page, the API and the policy show them.
func validateGrouping(p *problems, hp string, h Host) {
	if why := textProblem(h.Group, maxGroupName); why != "" {
		p.add(hp+".group", shown(h.Group), "%s", why)
	}
	for _, k := range sortedKeys(h.Labels) {
		if why := textProblem(k, maxGroupName); k == "" || why != "" {
			if k == "" {
				why = "a label needs a name"
			}
			p.add(hp+".labels", shown(k), "%s", why)
		} else if why := textProblem(h.Labels[k], maxLabelValue); why != "" {
			p.add(hp+".labels."+k, shown(h.Labels[k]), "%s", why)
		}
	}
}

// sortedKeys returns m's keys in order, so that problems come in the same
// order at every run.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
