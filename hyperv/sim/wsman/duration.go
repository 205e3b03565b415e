package wsman

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// errDuration is returned for text that is not an xs:duration.
var errDuration = errors.New("not an xs:duration")

type durationUnit struct {
	designator byte
	length     time.Duration
}

const day = 24 * time.Hour

// Designators in the order xs:duration allows them. Years count as 365 days
// and months as 30, which is enough for time-outs.
var (
	dateUnits = []durationUnit{{'Y', 365 * day}, {'M', 30 * day}, {'W', 7 * day}, {'D', day}}
	timeUnits = []durationUnit{{'H', time.Hour}, {'M', time.Minute}, {'S', time.Second}}
)

// parseDuration parses a non-negative xs:duration (ISO 8601), such as PT60S,
// PT0.5S, PT60.000S, P0DT0H0M0S or PT1M30S.
func parseDuration(s string) (time.Duration, error) {
	bad := fmt.Errorf("parse duration %q: %w", s, errDuration)
	rest, ok := strings.CutPrefix(s, "P")
	if !ok || rest == "" {
		return 0, bad
	}
	var total float64
	units, next, seen := dateUnits, 0, false
	for rest != "" {
		if rest[0] == 'T' {
			if len(units) == len(timeUnits) || len(rest) == 1 {
				return 0, bad
			}
			units, next, rest = timeUnits, 0, rest[1:]
			continue
		}
		i := 0
		for i < len(rest) && (rest[i] >= '0' && rest[i] <= '9' || rest[i] == '.') {
			i++
		}
		if i == 0 || i == len(rest) || i > 20 {
			return 0, bad
		}
		j := next
		for j < len(units) && units[j].designator != rest[i] {
			j++
		}
		if j == len(units) {
			return 0, bad
		}
		n, err := strconv.ParseFloat(rest[:i], 64)
		if err != nil {
			return 0, bad
		}
		total += n * float64(units[j].length)
		next, rest, seen = j+1, rest[i+1:], true
	}
	if !seen || total >= math.MaxInt64 {
		return 0, bad
	}
	return time.Duration(total), nil
}

// formatDuration renders d the way Windows reports shell time-outs, such as
// PT7200.000S.
func formatDuration(d time.Duration) string {
	return fmt.Sprintf("PT%.3fS", d.Seconds())
}
