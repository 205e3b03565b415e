package main

import (
	"strings"
	"testing"
)

// TestCheckNamesContradictingDeadlines runs check on deadlines that
// contradict each other, then on ones that only work worse than meant:
// the first is refused with every key and value, the second passes with
// its warnings.
func TestCheckNamesContradictingDeadlines(t *testing.T) {
	refused := simConfig(t, faultyFleet, "collector: {interval: 5s, stale_after: 20s, call_timeout: 20s, round_timeout: 30s}\nwinrm: {move_timeout: 10s, call_timeout: 15s}\n")
	code, _, stderr := hvb(t, "check", "--config", refused)
	want := []string{
		"collector.call_timeout: 20s: must be shorter than collector.stale_after (20s): a host would turn stale while its poll is still within its deadline",
		"collector.round_timeout: 30s: must be at most collector.call_timeout (20s): a poll would wait for answers after every host's deadline has passed",
		"winrm.move_timeout: 10s: must be at least the read deadline winrm.call_timeout (15s): a migration, copy included, would get less time than one read",
	}
	for _, w := range want {
		if code != 1 || !strings.Contains(stderr, w) {
			t.Errorf("exit %d, want 1 and %q in:\n%s", code, w, stderr)
		}
	}

	warned := simConfig(t, faultyFleet, "collector: {interval: 2s, stale_after: 20s, round_timeout: 5s}\n")
	code, stdout, stderr := hvb(t, "check", "--config", warned)
	const w = "warning: collector.round_timeout: 5s: longer than collector.interval (2s): while a host is slow to answer, polls come every 5s instead\n"
	if code != 0 || !strings.HasPrefix(stdout, w) {
		t.Errorf("exit %d, want 0 and the warning %q first in:\n%s%s", code, w, stdout, stderr)
	}
}
