package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
)

// TestStatusPageSaysWhoLeads: with several daemons the page says whether
// this one leads, and a standby names the leader and links its page; a
// daemon alone says nothing of leaders.
func TestStatusPageSaysWhoLeads(t *testing.T) {
	tests := []struct {
		name   string
		ha     *web.HAStatus
		want   []string
		absent []string
	}{
		{"alone", nil, nil, []string{"leader", "leading", "standby"}},
		{"leading", &web.HAStatus{Node: "hvb-a", Leading: true, Leader: "hvb-a", LeaderAddress: "http://10.0.0.1:9707", Term: 7},
			[]string{`<b>leading</b> <span class="muted">(node hvb-a)</span>`}, []string{"standby"}},
		{"standby", &web.HAStatus{Node: "hvb-b", Leader: "hvb-<a>", LeaderAddress: "http://10.0.0.1:9707", Term: 7},
			[]string{`standby, leader <b>hvb-&lt;a&gt;</b> at <a href="http://10.0.0.1:9707/">http://10.0.0.1:9707</a> <span class="muted">(node hvb-b)</span>`}, nil},
		{"no leader known", &web.HAStatus{Node: "hvb-b"}, []string{"standby, leader <b>none</b> <span"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.fake.status.HA = tc.ha
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
