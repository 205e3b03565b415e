package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
)

// slowConfigRule is a policy config rule that evaluates for hours: a
// comprehension over 10^10 pairs. Only the round's deadline ends it.
const slowConfigRule = `package hvbalancer

config := settings.config if {
	count({1 | some i in numbers.range(1, 100000); some j in numbers.range(1, 100000)}) > 0
}
`

// TestARoundOverItsDeadlineFreezesNothing runs the daemon with a policy
// whose config rule never ends in practice. While that round runs, the
// pause file an administrator creates is honoured (the executor reports
// paused before the round ends) and a reload answers; the round is
// abandoned at its deadline, counted, and /readyz says so until a round
// completes, which it does once the policy is fixed and reloaded.
func TestARoundOverItsDeadlineFreezesNothing(t *testing.T) {
	policies := shippedPolicy(t, nil)
	configRego := filepath.Join(policies, "config.rego")
	shippedConfig, err := os.ReadFile(configRego)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(configRego, []byte(slowConfigRule), 0o644); err != nil {
		t.Fatal(err)
	}
	cfgPath := daemonConfig(t, "full")
	pauseFile := filepath.Join(t.TempDir(), "pause")
	usePolicy(t, cfgPath, policies)
	rewriteConfig(t, cfgPath,
		"round_interval: 300ms", "round_interval: 12s\nround_deadline: 10s",
		"executor: {", fmt.Sprintf("executor: {pause_file: %q, ", pauseFile))
	d := startDaemon(t, cfgPath)

	var st web.Status
	eventually(t, "a round under way", func() bool {
		getJSON(t, d.url+"/api/v1/status", &st)
		return st.RoundRunning != nil
	})
	round := st.RoundRunning.Since
	if err := os.WriteFile(pauseFile, []byte("emergency stop\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the executor to report paused", func() bool {
		getJSON(t, d.url+"/api/v1/status", &st)
		return st.Paused
	})
	if st.RoundRunning == nil || !st.RoundRunning.Since.Equal(round) {
		t.Errorf("the pause file was honoured only after the round ended (round under way: %+v)", st.RoundRunning)
	}
	if st.PauseReason != "emergency stop" {
		t.Errorf("pause reason %q, want the file's", st.PauseReason)
	}
	if code := post(t, d.url+"/-/reload", testToken, nil); code != http.StatusOK {
		t.Errorf("reload while a round runs: %d", code)
	}

	eventually(t, "the round abandoned at its deadline", func() bool {
		getJSON(t, d.url+"/api/v1/status", &st)
		return st.LastRound.Result == "abandoned"
	})
	if !strings.Contains(st.LastRound.Error, "10s") {
		t.Errorf("the abandoned round's error %q does not name its deadline", st.LastRound.Error)
	}
	code, body := get(t, d.url+"/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "abandoned") {
		t.Errorf("/readyz after an abandoned round: %d %q, want 503 saying so", code, body)
	}
	if n := metricValue(t, d.url+"/metrics", "hvbalancer_daemon_rounds_total", "result", "abandoned"); n < 1 {
		t.Errorf("abandoned rounds counted: %v", n)
	}

	// The administrator fixes the policy and reloads: the next round
	// completes and the daemon is ready again.
	if err := os.WriteFile(configRego, shippedConfig, 0o644); err != nil {
		t.Fatal(err)
	}
	if code := post(t, d.url+"/-/reload", testToken, nil); code != http.StatusOK {
		t.Fatalf("reload of the fixed policy: %d", code)
	}
	eventually(t, "a round that completes, and /readyz ready", func() bool {
		getJSON(t, d.url+"/api/v1/status", &st)
		code, _ := get(t, d.url+"/readyz")
		return st.LastRound.Result != "abandoned" && st.LastRound.Result != "" && code == http.StatusOK
	})
	if st.LastRound.Result == "failed" {
		t.Errorf("the round after the fix failed: %s", st.LastRound.Error)
	}
}

// metricValue returns the value of one series of a counter or gauge on
// /metrics, the one whose label has the value given (-1 when absent).
func metricValue(t *testing.T, url, name, label, value string) float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	for _, m := range families[name].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == label && l.GetValue() == value {
				if c := m.GetCounter(); c != nil {
					return c.GetValue()
				}
				return m.GetGauge().GetValue()
			}
		}
	}
	return -1
}
