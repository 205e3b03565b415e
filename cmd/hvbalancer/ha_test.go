package main

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/etcdtest"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
	"github.com/hvbalancer/hvbalancer/hyperv/sim"
)

// haDaemon is one of several daemons of a test, with its name.
type haDaemon struct {
	*runningDaemon
	name string
	logs *logBuffer
}

// startHADaemons starts n daemons (hvb-a, hvb-b, ...) over one simulated
// fleet served on 127.0.0.1, each with its own state directory, all in
// the ha prefix of the etcd at endpoint, at the automation level given,
// a round every round, with extra added to each configuration.
func startHADaemons(t *testing.T, srv *sim.Server, spec *sim.FleetSpec, n int, endpoint, automation string, round time.Duration, extra string) []*haDaemon {
	t.Helper()
	var out []*haDaemon
	for i := range n {
		name := fmt.Sprintf("hvb-%c", 'a'+i)
		cfg := standaloneConfig(t, srv, spec, automation, nil, fmt.Sprintf(
			"ha: {etcd: {endpoints: [%q], session_ttl: 5s}, node_name: %s}\n%s", endpoint, name, extra))
		rewriteConfig(t, cfg, "round_interval: 1h", "round_interval: "+round.String())
		d, logs := startLoggingDaemon(t, cfg)
		showLogsOnFailure(t, logs)
		out = append(out, &haDaemon{runningDaemon: d, name: name, logs: logs})
	}
	return out
}

func haStatus(t *testing.T, d *haDaemon) web.Status {
	t.Helper()
	var st web.Status
	getJSON(t, d.url+"/api/v1/status", &st)
	if st.HA == nil {
		t.Fatalf("%s: status without ha", d.name)
	}
	return st
}

// awaitLeader waits until exactly one daemon of ds, other than not, says
// it leads and every other one names it and its address, and returns it.
func awaitLeader(t *testing.T, ds []*haDaemon, not *haDaemon) *haDaemon {
	t.Helper()
	var leader *haDaemon
	eventually(t, "one leader that every daemon names", func() bool {
		leader = nil
		sts := map[*haDaemon]web.Status{}
		for _, d := range ds {
			sts[d] = haStatus(t, d)
			if sts[d].HA.Leading {
				if leader != nil {
					// A deposed leader's view lags by the moment it
					// takes to see its key gone (its writes are fenced
					// meanwhile); a lasting split never settles.
					return false
				}
				leader = d
			}
		}
		if leader == nil || leader == not {
			return false
		}
		for _, d := range ds {
			if h := sts[d].HA; d != leader && (h.Leader != leader.name || h.LeaderAddress != leader.url) {
				return false
			}
		}
		return true
	})
	return leader
}

// TestDaemonsElectOneLeader runs two daemons over one simulated fleet and
// one etcd: one leads and plans, the other stands by (not ready, no polls,
// no rounds) and names the leader in its status, its /metrics and its
// /readyz; a pause sent to the standby is the leader's; when the leader's
// lease is revoked behind its back the standby takes over, still paused
// and with the host put in maintenance through the standby, and plans,
// and the deposed daemon stands by and forwards a resume and the end of
// the maintenance to it; when that leader stops (it resigns) the first leads again at once.
// Takeover times are logged.
func TestDaemonsElectOneLeader(t *testing.T) {
	endpoint := etcdtest.Start(t, 1).Members[0].ClientURL
	spec, err := sim.LoadFleet("../../examples/fleets/demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(t.TempDir(), "plan-signing.key") // the daemons of one fleet sign with one key
	ds := startHADaemons(t, serveFleet(t, spec), spec, 2, endpoint, "manual", time.Hour, "signing: {key_file: "+key+"}\n")
	leader := awaitLeader(t, ds, nil)
	standby := ds[0]
	if standby == leader {
		standby = ds[1]
	}
	eventually(t, "the leader's first round", func() bool { return !haStatus(t, leader).LastRound.Time.IsZero() })
	st := haStatus(t, standby)
	if !st.LastRound.Time.IsZero() || st.HostsAnswering != 0 || st.Ready {
		t.Errorf("standby: last round %v, %d hosts answering, ready %v: it must neither poll nor plan", st.LastRound.Time, st.HostsAnswering, st.Ready)
	}
	code, body := get(t, standby.url+"/readyz")
	if want := fmt.Sprintf("standing by: %s leads at %s", leader.name, leader.url); code != http.StatusServiceUnavailable || !strings.Contains(body, want) {
		t.Errorf("standby /readyz: %d %q, want 503 saying %q", code, body, want)
	}
	leaderMetrics(t, leader, 1, 1)
	leaderMetrics(t, standby, 0, 0)
	var hosts web.Hosts // polled by the leader, read through the standby
	getJSON(t, standby.url+"/api/v1/hosts", &hosts)
	if len(hosts.Hosts) != 8 {
		t.Errorf("the standby lists %d hosts, want the leader's 8", len(hosts.Hosts))
	}

	// Mutations sent to the standby are the leader's.
	if code := post(t, standby.url+"/api/v1/pause", "", map[string]string{"reason": "x"}); code != http.StatusUnauthorized {
		t.Errorf("pause through the standby without the token: %d, want the leader's 401", code)
	}
	if code := post(t, standby.url+"/api/v1/pause", testToken, map[string]string{"reason": "patching"}); code != http.StatusOK {
		t.Fatalf("pause through the standby: %d", code)
	}
	if st := haStatus(t, leader); !st.Paused || st.PauseReason != "patching" {
		t.Errorf("leader after a pause sent to the standby: paused %v (%q)", st.Paused, st.PauseReason)
	}
	if code, body := maintenanceCall(t, standby.runningDaemon, http.MethodPost, "HV03", `{"by": "ops", "reason": "firmware"}`); code != http.StatusOK {
		t.Fatalf("maintenance through the standby: %d %s", code, body)
	}
	if !hostInfo(t, leader.runningDaemon, "HV03").Maintenance {
		t.Error("HV03 not in maintenance on the leader after the standby forwarded it")
	}

	// The leader's session ends behind its back: the standby takes over.
	admin, err := clientv3.New(clientv3.Config{Endpoints: []string{endpoint}, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	began := time.Now()
	revokeLeader(t, admin)
	next := awaitLeader(t, ds, leader)
	t.Logf("%s leads %s after %s's lease was revoked (session TTL 5s)", next.name, time.Since(began).Round(time.Millisecond), leader.name)
	// The pause is the fleet's: it outlives the takeover, and a resume
	// sent to the deposed leader is the new leader's.
	eventually(t, "the new leader paused as the fleet was", func() bool {
		st := haStatus(t, next)
		return st.Paused && st.PauseReason == "patching"
	})
	if code := post(t, leader.url+"/api/v1/resume", testToken, nil); code != http.StatusOK {
		t.Fatalf("resume through the deposed leader: %d", code)
	}
	if st := haStatus(t, next); st.Paused {
		t.Error("new leader still paused after a resume sent to the deposed leader")
	}
	// So is the maintenance entered through the API.
	eventually(t, "HV03 in maintenance under the new leader", func() bool {
		var hosts web.Hosts // none until the new leader's first poll
		getJSON(t, next.url+"/api/v1/hosts", &hosts)
		for _, h := range hosts.Hosts {
			if h.Name == "HV03" {
				return h.Maintenance
			}
		}
		return false
	})
	if code, body := maintenanceCall(t, leader.runningDaemon, http.MethodDelete, "HV03", `{"by": "ops"}`); code != http.StatusOK {
		t.Fatalf("end of maintenance through the deposed leader: %d %s", code, body)
	}
	if hostInfo(t, next.runningDaemon, "HV03").Maintenance {
		t.Error("HV03 still in maintenance on the new leader after the deposed one forwarded its end")
	}
	round := haStatus(t, next).LastRound.Time
	eventually(t, "the new leader's rounds", func() bool { return haStatus(t, next).LastRound.Time.After(round) })
	leaderMetrics(t, next, 1, 1)
	leaderMetrics(t, leader, 0, 1)
	if !logged(leader.logs, "standing by: no migration starts here") {
		t.Errorf("%s did not log that it stands by", leader.name)
	}

	// The new leader stops cleanly: it resigns, and the other leads at once.
	began = time.Now()
	next.stop()
	eventually(t, leader.name+" leads again", func() bool { return haStatus(t, leader).HA.Leading })
	t.Logf("%s leads %s after %s stopped and resigned", leader.name, time.Since(began).Round(time.Millisecond), next.name)
	leaderMetrics(t, leader, 1, 2)
}

// revokeLeader revokes the lease of the daemon that leads, as etcd would
// when it stops renewing it.
func revokeLeader(t *testing.T, admin *clientv3.Client) {
	t.Helper()
	resp, err := admin.Get(context.Background(), "/hvbalancer/leader/", clientv3.WithFirstCreate()...)
	if err != nil || len(resp.Kvs) == 0 {
		t.Fatalf("no leader key: %v", err)
	}
	key := string(resp.Kvs[0].Key)
	id, err := strconv.ParseInt(key[strings.LastIndex(key, "/")+1:], 16, 64)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Revoke(context.Background(), clientv3.LeaseID(id)); err != nil {
		t.Fatal(err)
	}
}

// leaderMetrics checks a daemon's hvbalancer_leader and takeovers.
func leaderMetrics(t *testing.T, d *haDaemon, leader, takeovers float64) {
	t.Helper()
	_, body := get(t, d.url+"/metrics")
	for name, want := range map[string]float64{"hvbalancer_leader": leader, "hvbalancer_leader_takeovers_total": takeovers} {
		m := regexp.MustCompile(`(?m)^` + name + ` (\S+)$`).FindStringSubmatch(body)
		if m == nil {
			t.Errorf("%s: no %s in /metrics", d.name, name)
			continue
		}
		if got, _ := strconv.ParseFloat(m[1], 64); got != want {
			t.Errorf("%s: %s %v, want %v", d.name, name, got, want)
		}
	}
}
