package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
)

// reload posts /-/reload and returns the status it answers with.
func reload(t *testing.T, d *runningDaemon) web.Status {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, d.url+"/-/reload", bytes.NewReader([]byte("{}")))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st web.Status
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("reload: %s (%v)", resp.Status, err)
	}
	return st
}

// TestReloadAppliesHostsAndLimits reloads a running daemon over HTTP with
// HV02 put in maintenance, max_concurrent down to 1, a new collector
// deadline, and a new token file and state directory. The answer names
// what took effect and what waits for a restart; the API shows HV02 in
// maintenance; the next plan evacuates it, and once approved its moves run
// one at a time.
func TestReloadAppliesHostsAndLimits(t *testing.T) {
	read := 20 * time.Second
	srv, spec := servedMixedFleet(t)
	cfgPath := mixedConfig(t, srv, spec, read)
	orig, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	manual := strings.Replace(string(orig), "automation: full", "automation: manual", 1)
	if err := os.WriteFile(cfgPath, []byte(manual), 0o644); err != nil {
		t.Fatal(err)
	}
	d, logs := startLoggingDaemon(t, cfgPath)
	var st web.Status
	eventually(t, "a first round", func() bool {
		getJSON(t, d.url+"/api/v1/status", &st)
		return !st.LastRound.Time.IsZero()
	})

	if err := os.WriteFile(filepath.Join(filepath.Dir(cfgPath), "token2"), []byte(testToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ep, _ := srv.Endpoint("HV02")
	hv02 := "name: HV02, address: " + ep.IP + ","
	changed := strings.NewReplacer(
		hv02, hv02+" maintenance: true,",
		"max_concurrent: 4", "max_concurrent: 1",
		"round_timeout: 1s", "round_timeout: 2s",
		"token_file: token", "token_file: token2",
		"state_dir: state", "state_dir: state2",
	).Replace(manual)
	if strings.Count(changed, "maintenance: true") != 1 {
		t.Fatalf("could not put HV02 in maintenance in:\n%s", manual)
	}
	if err := os.WriteFile(cfgPath, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	reloadedAt := time.Now()
	st = reload(t, d)
	r := st.LastReload
	if r == nil {
		t.Fatal("the reload's answer does not say what it did")
	}
	for _, k := range []string{"hosts.HV02.maintenance", "executor.max_concurrent"} {
		if !slices.Contains(r.Applied, k) {
			t.Errorf("reload applied %v, without %s", r.Applied, k)
		}
	}
	pending := func(ps []web.PendingSetting) map[string]string {
		m := map[string]string{}
		for _, p := range ps {
			m[p.Key] = p.Reason
		}
		return m
	}
	if !slices.Contains(r.Applied, "collector.round_timeout") && pending(r.Waiting)["collector.round_timeout"] == "" {
		t.Errorf("collector.round_timeout neither applied nor waiting: %+v", r)
	}
	restart := pending(r.AtRestart)
	for _, k := range []string{"http.token_file", "state_dir"} {
		if restart[k] == "" {
			t.Errorf("%s not named as taking effect at the next start: %+v", k, r.AtRestart)
		}
	}
	settings := map[string]web.Setting{}
	for _, s := range st.Settings {
		settings[s.Key] = s
	}
	if s := settings["executor.max_concurrent"]; s.Value != "1" || s.AtRestart != "" {
		t.Errorf("running max_concurrent %+v, want 1", s)
	}
	if s := settings["state_dir"]; !strings.HasSuffix(s.Value, "state") || !strings.HasSuffix(s.AtRestart, "state2") {
		t.Errorf("state_dir %+v: want the running one in effect and state2 at the next start", s)
	}
	if s := settings["hosts in maintenance"]; s.Value != "HV02" {
		t.Errorf("hosts in maintenance %+v, want HV02", s)
	}
	if code, page := get(t, d.url+"/"); code != http.StatusOK || !strings.Contains(page, "executor.max_concurrent") || !strings.Contains(page, "takes effect at the next start") {
		t.Errorf("the status page does not show the running settings and the reload (%d)", code)
	}
	reloadedLine := false
	for _, l := range logs.all() {
		if strings.Contains(l, "msg=reloaded") && strings.Contains(l, "executor.max_concurrent") && strings.Contains(l, "state_dir") {
			reloadedLine = true
		}
	}
	if !reloadedLine {
		t.Error("the reload's log line does not name what took effect and what waits for a restart")
	}

	eventually(t, "the hosts API to show HV02 in maintenance", func() bool {
		var hosts web.Hosts
		getJSON(t, d.url+"/api/v1/hosts", &hosts)
		for _, h := range hosts.Hosts {
			if h.Name == "HV02" {
				return h.Maintenance
			}
		}
		return false
	})
	var evacuation web.PlanInfo
	approveNewest := func() bool {
		var plans web.Plans
		getJSON(t, d.url+"/api/v1/plans", &plans)
		for _, p := range plans.Plans {
			if p.State != web.PlanPending || !p.Created.After(st.LastRound.Time) {
				continue
			}
			var plan balancer.Plan
			getJSON(t, d.url+"/api/v1/plans/"+p.ID, &plan)
			out := 0
			for _, m := range plan.Moves {
				if m.From == "HV02" && m.Trigger == balancer.TriggerRequest {
					out++
				}
			}
			if out < 2 {
				continue
			}
			switch code := post(t, d.url+"/api/v1/plans/"+p.ID+"/approve", testToken, map[string]string{"by": "test"}); code {
			case http.StatusOK:
				evacuation = p
				return true
			case http.StatusConflict:
				return false
			default:
				t.Fatalf("approve %s: %d", p.ID, code)
			}
		}
		return false
	}
	eventually(t, "a plan that evacuates HV02 (two moves or more), approved", approveNewest)
	var hist web.History
	eventually(t, "the evacuation's moves ended", func() bool {
		getJSON(t, d.url+"/api/v1/history?limit=1000", &hist)
		n, ended := 0, 0
		for _, h := range hist.Entries {
			if ofPlan(h, evacuation.ID) {
				n++
				if !h.Ended.IsZero() {
					ended++
				}
			}
		}
		return n > 0 && n == ended
	})
	// The executor held at most one slot at a time after the reload.
	type span struct{ from, to time.Time }
	var spans []span
	for _, h := range hist.Entries {
		if h.State == web.MoveSucceeded && !h.Started.IsZero() && ofPlan(h, evacuation.ID) {
			spans = append(spans, span{h.Started, h.Ended})
		}
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].from.Before(spans[j].from) })
	for i := 1; i < len(spans); i++ {
		if spans[i].from.Before(spans[i-1].to) {
			t.Errorf("two migrations at once after max_concurrent went to 1: %v–%v and %v–%v", spans[i-1].from, spans[i-1].to, spans[i].from, spans[i].to)
		}
	}
	if len(spans) < 2 {
		t.Errorf("%d moves of the evacuation succeeded, want two or more to tell", len(spans))
	}
	t.Logf("reload to an approved evacuation: %s; %d moves", time.Since(reloadedAt).Round(time.Second), len(spans))
}

// ofPlan reports whether a journaled move is one of plan id's: its move ID
// is the plan's followed by "#".
func ofPlan(h web.HistoryEntry, id string) bool { return strings.HasPrefix(h.MoveID, id+"#") }
