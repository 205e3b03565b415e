package web_test

import (
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

func TestStatusPage(t *testing.T) {
	e := newEnv(t)
	r := e.do(t, http.MethodGet, "/", "")
	if r.code != http.StatusOK {
		t.Fatalf("status %d: %s", r.code, r.body)
	}
	page := r.body
	for _, want := range []string{
		`<meta http-equiv="refresh" content="10">`,
		"mode <b>manual</b>", "last round <b>2026-01-05 08:00:00 UTC</b>: planned", "version v1.2.3",
		"in flight <b>1</b>, queued <b>3</b>",
		// hosts, with their bars coloured by the thresholds
		">hv01<", ">hv02<", "hv03&lt;b&gt;", "dial tcp: connection refused", "maintenance",
		`<span class="fill hot" style="width:82.5%">`,  // hv01 CPU mean above 75
		`<span class="fill ok" style="width:68.0%">`,   // hv01 memory
		`<span class="fill ok" style="width:21.0%">`,   // hv02 CPU
		`<span class="fill warn" style="width:40.0%">`, // hv02 memory p95 88 above 85
		`<span class="fill off" style="width:10.0%">`,  // hv03 unreachable
		`<span class="p95" style="left:91.2%">`, `<span class="high" style="left:75.0%">`, `<span class="high" style="left:85.0%">`,
		// in flight and history
		"13s", "4.0 GiB", "destination_out_of_memory", "1m0s",
		"Move-VM: 0x8007000E &lt;i&gt;not enough memory&lt;/i&gt;",
		// plans, with their reports and the approve command for the pending one
		`<a href="/api/v1/plans/plan-20260105-080000-1a2b3c4d/report.html">HTML</a>`,
		`<a href="/api/v1/plans/plan-20260105-080000-1a2b3c4d/report.md">Markdown</a>`,
		"<code>hvbalancer approve --config /etc/hvbalancer/config.yaml plan-20260105-080000-1a2b3c4d</code>",
		"plan-20260105-070000-00000001", "expired", "by alice",
		// hostile VM names, escaped
		"&lt;script&gt;alert(1)&lt;/script&gt;",
		"x&#39;; Stop-Computer -Force; &#39;",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, bad := range []string{scriptName, psName, "<script", "ZgotmplZ", "<b>hv03", "<i>not"} {
		if strings.Contains(page, bad) {
			t.Errorf("page holds %q unescaped", bad)
		}
	}
	if n := strings.Count(page, "hvbalancer approve "); n != 1 {
		t.Errorf("%d approve commands, want 1 (the pending plan only)", n)
	}
	// Self-contained: nothing loaded from elsewhere.
	if m := regexp.MustCompile(`(?i)(src=|<link|@import|url\()`).FindString(page); m != "" {
		t.Errorf("page loads something: %q", m)
	}
	if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
}

func TestStatusPageStates(t *testing.T) {
	tests := []struct {
		name   string
		change func(*fakeBackend)
		want   []string
		absent []string
	}{
		{"paused", func(f *fakeBackend) { f.status.Paused, f.status.PauseReason = true, "patching <hv01>" },
			[]string{"<title>hvbalancer (paused)</title>", "Paused: patching &lt;hv01&gt;.", "(<code>POST /api/v1/resume</code>)"}, nil},
		{"not ready", func(f *fakeBackend) { f.status.Ready, f.status.NotReady = false, "reconciling 2 migrations" },
			[]string{"<b>not ready</b>", "Not ready: reconciling 2 migrations."}, nil},
		{"credential stopped", func(f *fakeBackend) {
			f.status.Ready, f.status.NotReady = false, "credential svc-<x> stopped after 3 failed logins: fix the password file /etc/hvbalancer/pw, then it retries"
			f.status.Hosts, f.status.HostsAnswering = 8, 0
			f.status.StoppedCredentials = []web.StoppedCredential{{Credential: "svc-<x>", Failures: 3, Since: t0, Hosts: []string{"HV01", "HV02"},
				Message: "credential svc-<x> stopped after 3 failed logins: fix the password file /etc/hvbalancer/pw, then it retries"}}
		}, []string{
			`<p class="banner err"><b>Logins stopped.</b> credential svc-&lt;x&gt; stopped after 3 failed logins: fix the password file /etc/hvbalancer/pw, then it retries. 2 hosts use it and none is tried, so that the account is not locked out.</p>`,
			"hosts answering <b>0</b> of 8",
		}, nil},
		{"round failed", func(f *fakeBackend) { f.status.LastRound.Error = "collect: every host unreachable" },
			[]string{"Last round failed: collect: every host unreachable"}, nil},
		{"empty", func(f *fakeBackend) {
			f.snap, f.plans, f.history, f.status.InFlight = nil, nil, nil, nil
			f.status.LastRound = web.RoundOutcome{}
		},
			[]string{"No snapshot yet.", "No plans yet.", "None yet.", "None.", "last round <b>none yet</b>"}, []string{"<table>"}},
		{"default thresholds", func(f *fakeBackend) { f.status.CPUHigh, f.status.MemoryHigh = 0, 0 },
			[]string{`<span class="high" style="left:75.0%">`, `<span class="high" style="left:85.0%">`}, nil},
		{"loads clamped", func(f *fakeBackend) {
			f.snap.Hosts[0].CPU.Mean, f.snap.Hosts[0].CPU.P95 = 140, -3
		}, []string{`style="width:100.0%"`, `style="left:0.0%"`, "140 / -3"}, nil},
		{"many plans", func(f *fakeBackend) {
			for range 30 {
				f.plans = append(f.plans, f.plans[1])
			}
		}, []string{"14 older plans in"}, nil},
		// With several daemons the page says whether this one leads, and a
		// standby names the leader and links its page; a daemon alone says
		// nothing of leaders.
		{"alone", func(f *fakeBackend) { f.status.HA = nil }, nil, []string{"leader", "leading", "standby"}},
		{"leading", func(f *fakeBackend) {
			f.status.HA = &web.HAStatus{Node: "hvb-a", Leading: true, Leader: "hvb-a", LeaderAddress: "http://10.0.0.1:9707", Term: 7}
		}, []string{`<b>leading</b> <span class="muted">(node hvb-a)</span>`}, []string{"standby"}},
		{"standby", func(f *fakeBackend) {
			f.status.HA = &web.HAStatus{Node: "hvb-b", Leader: "hvb-<a>", LeaderAddress: "http://10.0.0.1:9707", Term: 7}
		}, []string{`standby, leader <b>hvb-&lt;a&gt;</b> at <a href="http://10.0.0.1:9707/">http://10.0.0.1:9707</a> <span class="muted">(node hvb-b)</span>`}, nil},
		{"no leader known", func(f *fakeBackend) { f.status.HA = &web.HAStatus{Node: "hvb-b"} },
			[]string{"standby, leader <b>none</b> <span"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			tc.change(e.fake)
			r := e.do(t, http.MethodGet, "/", "")
			if r.code != http.StatusOK {
				t.Fatalf("status %d: %s", r.code, r.body)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			for _, a := range tc.absent {
				if strings.Contains(r.body, a) {
					t.Errorf("page holds %q", a)
				}
			}
		})
	}
}

// TestStatusPageForApprovers: the page gives the fleet's balance figure
// with its target and verdict (not known, with the reason, when the plan
// had too little data), links every plan awaiting approval and counts the
// plans by state, ended ones included.
func TestStatusPageForApprovers(t *testing.T) {
	yes := true
	tests := []struct {
		name   string
		change func(*fakeBackend)
		want   []string
		absent []string
	}{
		{"not balanced", func(*fakeBackend) {}, []string{
			`<span class="figure">CPU spread 30.8 · memory spread 14.0</span> points, target 5.0 or less:`,
			"<b>not balanced</b>.", "Hot: hv01.", "it planned 1 move.",
			`<p class="banner"><b>1 plan awaits approval:</b>`,
			`<a href="/api/v1/plans/plan-20260105-080000-1a2b3c4d/report.html">plan-20260105-080000-1a2b3c4d</a> (1 move, until 2026-01-05 09:00:00 UTC)`,
			`<span class="state-pending">1 pending</span> · <span class="state-done">1 done</span> · <span class="state-expired">1 expired</span> · <span class="state-refused">1 refused</span>`,
		}, nil},
		{"not known", func(f *fakeBackend) {
			f.status.Balance.Balanced, f.status.Balance.Reason = nil, "1 of 3 hosts could not be read (<hv03>)"
			f.status.Balance.Hot, f.status.Balance.Moves = nil, 0
		}, []string{
			`<p class="balance unknown">`, "<b>not known</b> (1 of 3 hosts could not be read (&lt;hv03&gt;)).", "No host is hot.", "it planned 0 moves.",
		}, []string{"<b>not balanced</b>"}},
		{"balanced", func(f *fakeBackend) {
			f.status.Balance.Balanced, f.status.Balance.Hot, f.status.Balance.Moves = &yes, nil, 0
		}, []string{`<p class="balance balanced">`, "<b>balanced</b>."}, nil},
		{"nothing to move", func(f *fakeBackend) { f.status.Balance.Moves = 0 },
			[]string{"<b>above the target, no move planned</b>."}, []string{"<b>not balanced</b>"}},
		{"no pass yet", func(f *fakeBackend) { f.status.Balance = nil }, []string{"No planning pass yet."}, []string{`class="figure"`}},
		{"two awaiting, ended plans", func(f *fakeBackend) {
			second := f.plans[0]
			second.ID, second.Moves = "plan-20260105-075500-00000009", 3
			f.plans = append(f.plans, second,
				web.PlanInfo{ID: "plan-p", State: web.PlanPartlyDone, Moves: 2, Message: "2 moves ended: 1 succeeded, 1 failed, 0 skipped"},
				web.PlanInfo{ID: "plan-f", State: web.PlanFailed, Moves: 1},
				web.PlanInfo{ID: "plan-s", State: web.PlanSuperseded, Moves: 1, SupersededBy: "plan-20260105-080000-1a2b3c4d"})
		}, []string{
			`<b>2 plans await approval:</b>`,
			`<a href="/api/v1/plans/plan-20260105-075500-00000009/report.html">plan-20260105-075500-00000009</a> (3 moves,`,
			`<span class="state-pending">2 pending</span> · <span class="state-done">1 done</span> · <span class="state-partly_done">1 partly_done</span> · <span class="state-failed">1 failed</span> · <span class="state-superseded">1 superseded</span> · <span class="state-expired">1 expired</span> · <span class="state-refused">1 refused</span>`,
			`<td class="state-superseded">superseded<br><span class="muted">by plan-20260105-080000-1a2b3c4d</span>`,
			"2 moves ended: 1 succeeded, 1 failed, 0 skipped",
		}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			tc.change(e.fake)
			r := e.do(t, http.MethodGet, "/", "")
			if r.code != http.StatusOK {
				t.Fatalf("status %d: %s", r.code, r.body)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			for _, a := range tc.absent {
				if strings.Contains(r.body, a) {
					t.Errorf("page holds %q", a)
				}
			}
		})
	}
}
