package config

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// deadlineDoc is a valid configuration of two clusters of hosts with
// extra's sections laid over it: a winrm or clusters section in extra
// replaces the document's own.
func deadlineDoc(t *testing.T, extra string) []byte {
	t.Helper()
	policies, err := filepath.Abs("../../../../examples/policies")
	if err != nil {
		t.Fatal(err)
	}
	doc := "version: 1\npolicy: {dir: " + policies + "}\n"
	if !strings.Contains("\n"+extra, "\nwinrm:") {
		doc += "winrm: {auth: ntlm, username: svc, password_env: HVB_DEADLINE_PW}\n"
	}
	if !strings.Contains("\n"+extra, "\nclusters:") {
		doc += `clusters:
  - name: lab
    hosts:
      - {name: HV01, address: hv01.example}
  - name: prod
    hosts:
      - {name: HV02, address: hv02.example}
`
	}
	return []byte(doc + extra)
}

// parseProblems returns the messages of what Parse refuses.
func parseProblems(t *testing.T, doc []byte) []string {
	t.Helper()
	_, err := Parse(doc, t.TempDir())
	if err == nil {
		return nil
	}
	var out []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var fe *FieldError
		if !errors.As(e, &fe) {
			t.Fatalf("not a field error: %v", e)
		}
		out = append(out, e.Error())
	}
	return out
}

func TestContradictingDeadlinesAreRefused(t *testing.T) {
	t.Setenv("HVB_DEADLINE_PW", "pw")
	tests := []struct {
		name  string
		extra string
		want  []string
	}{
		{"defaults agree", "", nil},
		{"defaults follow a short stale_after", "collector: {interval: 200ms, stale_after: 5s}\n", nil},
		{"stale between two polls", "collector: {interval: 1m, window: 5m, stale_after: 30s, call_timeout: 10s}\n", []string{
			"collector.stale_after: 30s: must be longer than collector.interval (1m0s): every host would turn stale between two polls",
		}},
		{"poll deadline reaches stale_after", "collector: {stale_after: 1m, call_timeout: 1m}\n", []string{
			"collector.call_timeout: 1m0s: must be shorter than collector.stale_after (1m0s): a host would turn stale while its poll is still within its deadline",
		}},
		{"round waits past the poll deadline", "collector: {call_timeout: 20s, round_timeout: 25s}\n", []string{
			"collector.round_timeout: 25s: must be at most collector.call_timeout (20s): a poll would wait for answers after every host's deadline has passed",
		}},
		{"counters sampled past the poll deadline", "collector: {call_timeout: 5s, sample_interval: 5s}\n", []string{
			"collector.sample_interval: 5s: must be shorter than collector.call_timeout (5s): counters are read twice, sample_interval apart, within one poll's deadline",
		}},
		{"read deadline reaches stale_after", "collector: {stale_after: 1m, call_timeout: 20s}\nwinrm: {auth: ntlm, username: svc, password_env: HVB_DEADLINE_PW, call_timeout: 90s}\n", []string{
			"winrm.call_timeout: 1m30s: must be shorter than collector.stale_after (1m0s): a host would turn stale while a read is still within its deadline",
		}},
		{"read deadline of one host", `collector: {stale_after: 1m}
clusters:
  - name: lab
    hosts:
      - {name: HV01, address: hv01.example, winrm: {call_timeout: 2m}}
`, []string{
			"clusters[0].hosts[0].winrm.call_timeout: 2m0s: must be shorter than collector.stale_after (1m0s): a host would turn stale while a read is still within its deadline",
		}},
		{"migration shorter than a read", "winrm: {auth: ntlm, username: svc, password_env: HVB_DEADLINE_PW, move_timeout: 30s}\n", []string{
			"winrm.move_timeout: 30s: must be at least the read deadline winrm.call_timeout (1m0s): a migration, copy included, would get less time than one read",
		}},
		{"a cluster's read against the top's migration", `winrm: {auth: ntlm, username: svc, password_env: HVB_DEADLINE_PW, move_timeout: 1m}
clusters:
  - name: lab
    winrm: {call_timeout: 90s}
    hosts:
      - {name: HV01, address: hv01.example}
`, []string{
			"clusters[0].winrm.move_timeout: 1m0s: must be at least the read deadline clusters[0].winrm.call_timeout (1m30s): a migration, copy included, would get less time than one read",
		}},
		{"a search without a bound", "executor: {locate_timeout: 0s}\n", []string{
			"executor.locate_timeout: 0s: must be > 0",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, parseProblems(t, deadlineDoc(t, tc.extra))); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDeadlineWarnings(t *testing.T) {
	t.Setenv("HVB_DEADLINE_PW", "pw")
	tests := []struct {
		name  string
		extra string
		want  []string
	}{
		{"defaults agree", "", nil},
		{"round longer than the interval", "collector: {interval: 5s, window: 1m, stale_after: 1m}\n", []string{
			"collector.round_timeout: 10s: longer than collector.interval (5s): while a host is slow to answer, polls come every 10s instead",
		}},
		{"a host answering at its deadline turns stale", "collector: {interval: 1m, stale_after: 2m, call_timeout: 90s, round_timeout: 1m}\n", []string{
			"collector.call_timeout: 1m30s: with collector.interval (1m0s) longer than collector.stale_after (2m0s): a host that answers near its deadline turns stale between polls",
		}},
		{"long-poll as long as a read", "winrm: {auth: ntlm, username: svc, password_env: HVB_DEADLINE_PW, call_timeout: 30s, operation_timeout: 30s}\n", []string{
			"winrm.operation_timeout: 30s: not shorter than winrm.call_timeout (30s): a read ends while the host may still be working, without its answer",
		}},
		{"search longer than a lookup", "winrm: {auth: ntlm, username: svc, password_env: HVB_DEADLINE_PW, call_timeout: 15s}\n", []string{
			"executor.locate_timeout: 20s: longer than winrm.call_timeout (15s): each host's lookup ends by then, so the search never waits longer",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse(deadlineDoc(t, tc.extra), t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, w := range c.Warnings() {
				got = append(got, w.Error())
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDerivedDeadlines(t *testing.T) {
	t.Setenv("HVB_DEADLINE_PW", "pw")
	tests := []struct {
		extra       string
		call, round time.Duration
	}{
		{"", 30 * time.Second, 10 * time.Second},
		{"collector: {interval: 1s, window: 10s, stale_after: 10s}\n", 9 * time.Second, 9 * time.Second},
		{"collector: {call_timeout: 4s}\n", 4 * time.Second, 4 * time.Second},
		{"collector: {round_timeout: 2s}\n", 30 * time.Second, 2 * time.Second},
	}
	for _, tc := range tests {
		c, err := Parse(deadlineDoc(t, tc.extra), t.TempDir())
		if err != nil {
			t.Fatalf("%q: %v", tc.extra, err)
		}
		if c.Collector.CallTimeout != tc.call || c.Collector.RoundTimeout != tc.round {
			t.Errorf("%q: call_timeout %s, round_timeout %s; want %s and %s", tc.extra, c.Collector.CallTimeout, c.Collector.RoundTimeout, tc.call, tc.round)
		}
	}
}
