package balancer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/collector"
)

// TestIncompleteFleetSaidAtTheTop: a plan made while hosts did not answer
// names them, and why, before anything else in every report, even when it
// finds nothing to do.
func TestIncompleteFleetSaidAtTheTop(t *testing.T) {
	locked := func(h *collector.Host) {
		h.Health, h.Cause = collector.HealthUnreachable, collector.CauseUnauthorized
		h.Reason = "get host on 10.0.0.13:5985: wsman: unauthorized: http status 401"
	}
	held := func(h *collector.Host) {
		h.Health, h.Cause = collector.HealthStale, collector.CauseHeld
		h.Reason = "no good sample for 3m0s: not tried: credential <svc> stopped after 3 failed logins"
	}
	s := fleet([]collector.Host{
		newHost("HV01", 32, 256), newHost("HV02", 32, 256), newHost("HV03|<b>", 32, 256, locked), newHost("HV04", 32, 256, held),
	}, []collector.VM{newVM("a01", "HV01", 2, 16), newVM("b01", "HV02", 2, 16)})
	pl, err := balancer.NewPlanner(balancer.DefaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := pl.Plan(context.Background(), s, &fakeRules{}, "sha256:00", nil)
	if err != nil {
		t.Fatal(err)
	}
	wantMissing := []balancer.MissingHost{
		{Name: "HV03|<b>", Health: "unreachable", Cause: "unauthorized", Problem: "wrong credentials or account locked"},
		{Name: "HV04", Health: "stale", Cause: "held", Problem: "no good sample for 3m0s: not tried: credential <svc> stopped after 3 failed logins"},
	}
	if diff := cmp.Diff(wantMissing, p.Missing); diff != "" {
		t.Errorf("missing hosts (-want +got):\n%s", diff)
	}
	const warning = "Incomplete fleet: 2 of 4 hosts could not be read, so this plan moves nothing from or to them and does not know their load as it is now."

	var js bytes.Buffer
	if err := p.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Missing []balancer.MissingHost `json:"missing_hosts"`
	}
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || !cmp.Equal(back.Missing, wantMissing) {
		t.Errorf("JSON missing_hosts = %+v, %v", back.Missing, err)
	}
	if _, err := balancer.ReadPlan(&js); err != nil {
		t.Errorf("the plan does not read back: %v", err)
	}

	var md bytes.Buffer
	if err := p.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	mdLines := strings.Split(md.String(), "\n")
	wantMD := []string{"> **" + warning + "**", ">", `> - HV03\|\<b\> (unreachable): wrong credentials or account locked`,
		`> - HV04 (stale): no good sample for 3m0s: not tried: credential \<svc\> stopped after 3 failed logins`}
	if diff := cmp.Diff(wantMD, mdLines[2:6]); diff != "" {
		t.Errorf("Markdown lines 3-6 (-want +got):\n%s\n%s", diff, md.String())
	}

	var html bytes.Buffer
	if err := p.WriteHTML(&html); err != nil {
		t.Fatal(err)
	}
	h := html.String()
	body := h[strings.Index(h, "<body>"):]
	if i, j := strings.Index(body, warning), strings.Index(body, `<p class="msg`); i < 0 || j < 0 || i > j {
		t.Errorf("the HTML does not warn before the plan's message:\n%s", body)
	}
	if !strings.Contains(body, "<li>HV03|&lt;b&gt; (unreachable): wrong credentials or account locked</li>") {
		t.Errorf("HTML lacks the escaped missing host:\n%s", body)
	}

	sum := strings.Split(p.Summary(), "\n")
	if diff := cmp.Diff([]string{warning, "  HV03|<b>: wrong credentials or account locked"}, sum[1:3]); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
}
