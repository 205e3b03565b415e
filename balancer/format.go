package balancer

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/hvbalancer/hvbalancer/collector"
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

// stillOver lists the hosts above a high threshold after the plan.
func (p *Plan) stillOver() []HostLoad {
	var out []HostLoad
	for _, h := range p.Hosts {
		if h.HotAfter {
			out = append(out, h)
		}
	}
	return out
}

// overText says how far a host is over its thresholds after the plan:
// "CPU 79.6% > 75%, memory 90.1% > 85%", saying so when the load is the
// last known one or the host takes no part in balancing.
func (p *Plan) overText(h HostLoad) string {
	var parts []string
	if h.CPUAfter > p.Settings.CPUHigh {
		parts = append(parts, fmt.Sprintf("CPU %.1f%% > %g%%", h.CPUAfter, p.Settings.CPUHigh))
	}
	if h.MemoryAfter > p.Settings.MemoryHigh {
		parts = append(parts, fmt.Sprintf("memory %.1f%% > %g%%", h.MemoryAfter, p.Settings.MemoryHigh))
	}
	s := strings.Join(parts, ", ")
	switch {
	case h.Status == "stale" || h.Status == "unreachable":
		s += fmt.Sprintf(" (last known; %s, left alone)", h.Status)
	case !h.Eligible:
		s += fmt.Sprintf(" (%s: not balanced)", h.Status)
	}
	return s
}

// settingRow is one planner setting as the reports list it.
type settingRow struct {
	Name, Value string
	Change      *SettingChange // nil when the configured value holds
}

// settingRows lists the settings an approver weighs, each with the
// policy's change if it made one.
func (p *Plan) settingRows() []settingRow {
	s := &p.Settings
	rows := []settingRow{
		{"aggressiveness", aggressivenessText(*s), nil},
		{"max_moves", strconv.Itoa(s.MaxMoves), nil},
		{"max_inflow_per_host", strconv.Itoa(s.MaxInflowPerHost), nil},
		{"cpu_high", number(s.CPUHigh) + "%", nil},
		{"memory_high", number(s.MemoryHigh) + "%", nil},
		{"cpu_ceiling", number(s.CPUCeiling) + "%", nil},
		{"headroom", headroomText(*s), nil},
		{"target_spread", number(s.TargetSpread) + " points", nil},
		{"cpu_weight", number(s.CPUWeight), nil},
		{"memory_weight", number(s.MemoryWeight), nil},
		{"migration_cost_weight", number(s.MigrationCostWeight), nil},
	}
	for i := range rows {
		for j := range p.SettingsChanged {
			if p.SettingsChanged[j].Key == rows[i].Name {
				rows[i].Change = &p.SettingsChanged[j]
			}
		}
	}
	return rows
}

// balanceWord says the plan's verdict in a word or two.
func (p *Plan) balanceWord() string {
	switch {
	case p.Balanced == nil:
		return "not known"
	case *p.Balanced:
		return "yes"
	}
	return "no"
}

// balancedText says the plan's verdict on balance, with the reason when
// it is not known.
func balancedText(p *Plan) string {
	if p.Balanced == nil {
		return "not known: " + p.BalancedReason
	}
	return p.balanceWord()
}

// aggressivenessText says the aggressiveness and the gain it asks of a
// balancing move.
func aggressivenessText(s Settings) string {
	if s.MinGain < 0 {
		return fmt.Sprintf("%d (policy requests only)", s.Aggressiveness)
	}
	return fmt.Sprintf("%d (a balancing move must gain at least %g points)", s.Aggressiveness, s.MinGain)
}

// headroomText says the headroom and what it leaves a balancing move,
// memory's exception on a dense fleet included.
func headroomText(s Settings) string {
	if s.Headroom == 0 {
		return "0 points (balancing fills destinations up to the thresholds)"
	}
	memory := number(decimals(s.MemoryHigh-s.Headroom, 2))
	if s.Headroom > denseMemoryHeadroom { // see memMargin
		memory = fmt.Sprintf("%s%%, or %s%% for a VM of static memory on a dense fleet",
			memory, number(decimals(s.MemoryHigh-denseMemoryHeadroom, 2)))
	} else {
		memory += "%"
	}
	return fmt.Sprintf("%s points (balancing fills destinations to CPU %s%%, memory %s)",
		number(s.Headroom), number(decimals(s.CPUHigh-s.Headroom, 2)), memory)
}

// projectedText says, for a host whose load is projected, from what and
// until when; "" for a measured load.
func (h HostLoad) projectedText() string {
	if h.LoadModel == "" {
		return ""
	}
	if h.LoadModel != string(collector.LoadProjected) {
		return "load model " + h.LoadModel
	}
	if h.ProjectedUntil.IsZero() {
		return "load projected from the VMs it now holds"
	}
	return "load projected from the VMs it now holds until " + h.ProjectedUntil.UTC().Format(time.DateTime+" MST")
}

// policyErrorText says, in one sentence, that the policy failed for some
// candidates and vetoed them; empty when it did not.
func (p *Plan) policyErrorText() string {
	if p.PolicyErrors == 0 {
		return ""
	}
	return fmt.Sprintf("The policy failed for %s, which %s vetoed: %s",
		plural(p.PolicyErrors, "candidate"), map[bool]string{true: "was", false: "were"}[p.PolicyErrors == 1], p.PolicyError)
}
