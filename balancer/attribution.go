package balancer

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/hvbalancer/hvbalancer/policy"
)

// SettingChange is one planner setting the policy's config changed for a
// plan: the configured value, the one the plan was made with, and what
// changed it.
type SettingChange struct {
	Key        string  `json:"key"` // as in Settings and the policy's config: max_moves, aggressiveness, ...
	Configured float64 `json:"configured"`
	Effective  float64 `json:"effective"`
	// By is the policy's reason for the value (its config.reasons), or
	// ByPolicyConfig when it gave none.
	By string `json:"by"`
}

// ByPolicyConfig is what a setting change is put down to when the policy
// gives no reason for it.
const ByPolicyConfig = "the policy's config rule"

// settingChanges compares the configured settings with the policy's: a
// setting the policy set to another value is a change.
func settingChanges(base Config, s policy.Settings) []SettingChange {
	num := func(v *int) *float64 {
		if v == nil {
			return nil
		}
		f := float64(*v)
		return &f
	}
	keys := []struct {
		key        string
		configured float64
		set        *float64
	}{
		{"aggressiveness", float64(base.Aggressiveness), num(s.Aggressiveness)},
		{"max_moves", float64(base.MaxMoves), num(s.MaxMoves)},
		{"cpu_high", base.CPUHigh, s.CPUHigh},
		{"memory_high", base.MemoryHigh, s.MemoryHigh},
		{"target_spread", base.TargetSpread, s.TargetSpread},
		{"cpu_weight", base.CPUWeight, s.CPUWeight},
		{"memory_weight", base.MemoryWeight, s.MemoryWeight},
		{"migration_cost_weight", base.MigrationCostWeight, s.MigrationCostWeight},
	}
	var out []SettingChange
	for _, k := range keys {
		if k.set == nil || *k.set == k.configured {
			continue
		}
		by := strings.TrimSpace(s.Reasons[k.key])
		if by == "" {
			by = ByPolicyConfig
		}
		out = append(out, SettingChange{Key: k.key, Configured: k.configured, Effective: *k.set, By: by})
	}
	return out
}

// changesText says in one line what the policy changed, the changes made
// for one reason together: "max_moves 10 → 3 and aggressiveness 3 → 2
// (business hours)". clean makes the text safe for the report (txt, md).
func changesText(changes []SettingChange, clean func(string) string) string {
	var groups []string
	for i := 0; i < len(changes); {
		j := i
		var parts []string
		for ; j < len(changes) && changes[j].By == changes[i].By; j++ {
			parts = append(parts, changes[j].arrow())
		}
		groups = append(groups, fmt.Sprintf("%s (%s)", joinAnd(parts), changes[i].By))
		i = j
	}
	return clean(strings.Join(groups, "; "))
}

// arrow writes "max_moves 10 → 3".
func (c SettingChange) arrow() string {
	return fmt.Sprintf("%s %s → %s", c.Key, number(c.Configured), number(c.Effective))
}

// number writes a setting's value as short as it reads: 3, 0.5, 75.
func number(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// joinAnd joins "a", "b" and "c" as "a, b and c".
func joinAnd(parts []string) string {
	if len(parts) < 2 {
		return strings.Join(parts, "")
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// penaltyText says what the policy's penalty made a move cost, and which of
// its rules, the dearest first: "penalty 15 (vm_host_rule gpu-on-gpu 10,
// cross_group 5)"; "" for a move without penalty.
func penaltyText(m Move) string {
	if m.Penalty == 0 {
		return ""
	}
	if len(m.Costs) == 0 {
		return "penalty " + number(m.Penalty)
	}
	names := make([]string, 0, len(m.Costs))
	for name := range m.Costs {
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool {
		if a, b := m.Costs[names[i]], m.Costs[names[j]]; a != b {
			return a > b
		}
		return names[i] < names[j]
	})
	parts := make([]string, len(names))
	for i, name := range names {
		parts[i] = name + " " + number(m.Costs[name])
	}
	return fmt.Sprintf("penalty %s (%s)", number(m.Penalty), strings.Join(parts, ", "))
}

// reasonText is a move's reason with its penalty, if any: what the reports
// show in a move's reason column.
func reasonText(m Move) string {
	if p := penaltyText(m); p != "" {
		return m.Reason + "; " + p
	}
	return m.Reason
}
