package ha

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/etcdtest"
)

// TestLeaderMetrics reads each daemon's /metrics over HTTP: the leader
// shows hvbalancer_leader 1 and one takeover, the standby 0 and none;
// after the leader resigns the two swap, and the old leader's takeover
// count stays.
func TestLeaderMetrics(t *testing.T) {
	ep := etcdtest.Start(t, 1).Members[0].ClientURL
	cs := []*candidate{startCandidate(t, "a", ep), startCandidate(t, "b", ep)}
	first := oneLeader(t, 20*time.Second, cs)
	second := cs[0]
	if second == first {
		second = cs[1]
	}
	urls := map[*candidate]string{}
	for _, c := range cs {
		srv := httptest.NewServer(promhttp.HandlerFor(c.reg, promhttp.HandlerOpts{}))
		t.Cleanup(srv.Close)
		urls[c] = srv.URL
		if problems, err := testutil.CollectAndLint(c.reg); err != nil || len(problems) > 0 {
			t.Errorf("%s: lint: %v %v", c.name, problems, err)
		}
	}
	check := func(c *candidate, leader, takeovers float64) {
		t.Helper()
		body := scrape(t, urls[c])
		if got := metric(t, body, "hvbalancer_leader"); got != leader {
			t.Errorf("%s: hvbalancer_leader %v, want %v", c.name, got, leader)
		}
		if got := metric(t, body, "hvbalancer_leader_takeovers_total"); got != takeovers {
			t.Errorf("%s: hvbalancer_leader_takeovers_total %v, want %v", c.name, got, takeovers)
		}
	}
	check(first, 1, 1)
	check(second, 0, 0)
	first.Resign()
	waitFor(t, 10*time.Second, second.name+" leads", func() bool { return second.Leading() != nil })
	waitFor(t, 10*time.Second, first.name+" stands by", func() bool { return first.Leading() == nil })
	check(first, 0, 1)
	check(second, 1, 1)
}

func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// metric is the value of an unlabelled series in a scrape.
func metric(t *testing.T, body, name string) float64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + name + ` (\S+)$`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no %s in /metrics", name)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
