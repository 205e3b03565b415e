package hyperv

import "strings"

// ParseTags reads tags from a VM's Notes: one per line, as `key=value` or
// `key: value`, split at the first '=' or ':'. Keys are lower-cased and may
// hold letters, digits and "_.-/" only, so prose lines ("Owner is Bob: call
// first") are not tags; values are trimmed. Lines starting with '#' are
// comments. A later line wins over an earlier one with the same key. The
// result is never nil.
func ParseTags(notes string) map[string]string {
	tags := map[string]string{}
	for _, line := range splitLines(notes) {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.IndexAny(line, "=:")
		if i <= 0 {
			continue
		}
		key := strings.TrimSpace(line[:i])
		if !validTagKey(key) {
			continue
		}
		tags[strings.ToLower(key)] = strings.TrimSpace(line[i+1:])
	}
	return tags
}

func validTagKey(k string) bool {
	if k == "" || len(k) > 128 {
		return false
	}
	for _, r := range k {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '.', r == '-', r == '/':
		default:
			return false
		}
	}
	return true
}
