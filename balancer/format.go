package balancer

import (
	"fmt"
	"math"
)

// plural writes a count and a noun: plural(2, "move") is "2 moves";
// an irregular plural follows the singular: plural(2, "is", "are").
func plural(n int, forms ...string) string {
	if n == 1 {
		return "1 " + forms[0]
	}
	if len(forms) > 1 {
		return fmt.Sprintf("%d %s", n, forms[1])
	}
	return fmt.Sprintf("%d %ss", n, forms[0])
}

// decimals keeps the plan's numbers readable: x to places decimal places;
// -0, NaN and infinities become 0.
func decimals(x float64, places int) float64 {
	scale := math.Pow10(places)
	r := math.Round(x*scale) / scale
	if r == 0 || math.IsNaN(r) || math.IsInf(r, 0) {
		return 0
	}
	return r
}

// formatBytes writes a size in gib (or MiB when small).
func formatBytes(b int64) string {
	if b < gib && b > -gib {
		return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20))
	}
	return fmt.Sprintf("%.1f GiB", float64(b)/float64(gib))
}

// formatSeconds writes a duration like 45s, 2m10s or 1h05m.
func formatSeconds(s float64) string {
	sec := int64(math.Round(s))
	switch {
	case sec < 60:
		return fmt.Sprintf("%ds", sec)
	case sec < 3600:
		return fmt.Sprintf("%dm%02ds", sec/60, sec%60)
	}
	return fmt.Sprintf("%dh%02dm", sec/3600, (sec%3600)/60)
}

// totalsText says what a plan's moves copy: memory and disks as separate
// figures.
func totalsText(e *Efficacy) string {
	return fmt.Sprintf("%s of memory and %s of disks", formatBytes(e.Bytes), formatBytes(e.StorageBytes))
}

// storageText says what a move does with the VM's storage: the bytes it
// copies and where to, or that it stays where it is.
func storageText(m Move) string {
	if m.StoragePath == "" {
		return "stays"
	}
	return formatBytes(m.StorageBytes) + " to " + m.StoragePath
}
