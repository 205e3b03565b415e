package daemon

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hvbalancer/hvbalancer/balancer/executor"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/etcdjournal"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/etcdtest"
	"github.com/hvbalancer/hvbalancer/balancer/moves"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/config"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/ha"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/ha/hatest"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
	"github.com/hvbalancer/hvbalancer/hyperv"
)

// cutOffLeader is a daemon elected through a proxy to real embedded etcd,
// with an executor on the shared journal, which the test may cut off.
type cutOffLeader struct {
	d       *Daemon
	term    *ha.Term
	proxy   *hatest.Proxy
	cluster *etcdtest.Cluster
}

// electCutOffLeader elects a daemon of session TTL ttl through a proxy
// and waits until it leads.
func electCutOffLeader(t *testing.T, ttl time.Duration) cutOffLeader {
	t.Helper()
	cluster := etcdtest.Start(t, 1)
	proxy := hatest.NewProxy(t, strings.TrimPrefix(cluster.Endpoints()[0], "http://"))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	el, err := ha.New(ha.Config{Endpoints: []string{proxy.URL()}, Prefix: "/site", SessionTTL: ttl,
		Self: ha.Identity{Name: "hvb1", Address: "http://hvb1.example:9707"}}, log, prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { defer close(ran); _ = el.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-ran; el.Close() })
	for began := time.Now(); el.Leading() == nil; time.Sleep(20 * time.Millisecond) {
		if time.Since(began) > time.Minute {
			t.Fatal("not elected")
		}
	}
	d := &Daemon{ha: el, log: log, cfg: &config.Config{Executor: config.Executor{PauseFile: filepath.Join(t.TempDir(), "pause")}}}
	d.term = &termJournal{Store: sharedJournal(el, etcdjournal.Options{Fence: el.Fence, Term: termEnds(el)})}
	if d.exec, err = executor.New(executor.Config{}, idleMigrator{}, nil, d.term, log, prometheus.NewRegistry()); err != nil {
		t.Fatal(err)
	}
	d.maint = openSharedMaintenance(el)
	return cutOffLeader{d: d, term: el.Leading(), proxy: proxy, cluster: cluster}
}

// idleMigrator is a migrator no test here calls.
type idleMigrator struct{}

func (idleMigrator) Migrate(context.Context, moves.Move) error {
	return errors.New("no migration here")
}
func (idleMigrator) Locate(context.Context, string, ...string) (executor.Location, error) {
	return executor.Location{}, errors.New("no location here")
}
func (idleMigrator) Compare(context.Context, moves.Move) ([]hyperv.Incompatibility, error) {
	return nil, errors.New("no comparison here")
}

// TestSharedPauseAndMaintenanceEndWithTheTerm cuts the leader off etcd and
// asks it to pause (the emergency stop) and to put a host in maintenance.
// The executor stops at once, while the pause's write still waits for etcd;
// both writes end when the leader's term does (its lease runs out), before
// their own timeout, with errors saying the change may or may not be
// recorded; the executor stays paused. Once the term has ended a pause
// still stops the executor and a maintenance write is refused at once, each
// saying it was not recorded. The session TTL is kept under the writes'
// timeout so that the term's end is told from it.
func TestSharedPauseAndMaintenanceEndWithTheTerm(t *testing.T) {
	const ttl = 2 * time.Second // under sharedTimeout
	l := electCutOffLeader(t, ttl)
	d := l.d

	l.proxy.Cut()
	cut := time.Now()
	paused := make(chan error, 1)
	go func() { paused <- d.pause("emergency stop") }()
	maint := make(chan error, 1)
	go func() {
		_, _, err := d.maint.enter("HV01", "alice", "firmware", time.Now())
		maint <- err
	}()
	for stopped := false; !stopped; {
		select {
		case err := <-paused:
			t.Fatalf("pause returned (%v) before the executor stopped: a write waiting for etcd delayed the emergency stop", err)
		case <-time.After(10 * time.Millisecond):
			stopped, _ = d.exec.Paused()
		}
	}
	for what, c := range map[string]chan error{"pause": paused, "maintenance": maint} {
		var err error
		select {
		case err = <-c:
		case <-time.After(2 * time.Minute): // not a timing: the write would end after sharedTimeout
			t.Fatalf("the %s write outlived the term and its timeout", what)
		}
		if !errors.Is(err, etcdjournal.ErrTermEnded) || !errors.Is(err, errMaybeRecorded) || !errors.Is(err, context.Canceled) { // the API's 503
			t.Errorf("the %s write ended %s after the cut with %v; want it to end with the term, saying it may be recorded",
				what, time.Since(cut).Round(100*time.Millisecond), err)
		}
		t.Logf("the %s write failed %s after the cut (session TTL %s, timeout %s): %v",
			what, time.Since(cut).Round(100*time.Millisecond), ttl, sharedTimeout, err)
	}
	select {
	case <-l.term.Done():
	default:
		t.Error("the writes failed while the term had not ended")
	}
	if p, reason := d.exec.Paused(); !p || reason != "emergency stop" {
		t.Errorf("after the failed write the executor is paused=%v (%q), want it still stopped", p, reason)
	}
	if _, ok := d.maint.hosts["HV01"]; ok {
		t.Error("the failed maintenance write is kept here as if it were recorded")
	}

	d.exec.Resume() // as after a takeover: the next pause must stop it again
	for what, write := range map[string]func() error{
		"pause": func() error { return d.pause("stop again") },
		"maintenance": func() error {
			_, _, err := d.maint.enter("HV01", "alice", "firmware", time.Now())
			return err
		},
	} {
		if err := write(); !errors.Is(err, errNotRecorded) || !errors.Is(err, web.ErrUnavailable) || !errors.Is(err, ha.ErrNotLeader) {
			t.Errorf("%s after the term: %v; want it refused, not recorded", what, err)
		}
	}
	if p, _ := d.exec.Paused(); !p {
		t.Error("a pause after the term did not stop the executor")
	}

	l.proxy.Restore()
	for _, key := range []string{d.pauseKey(), d.maint.shared.key} {
		if r, err := l.cluster.Client(t).Get(t.Context(), key); err != nil || len(r.Kvs) != 0 {
			t.Errorf("etcd holds %s after the failed writes: %v, %v", key, r, err)
		}
	}
}

// TestHeldPauseOutlastsTheFleets: a pause this leader took whose write did
// not land is not undone by the fleet's pause, which says nothing is
// paused, until the term ends or a resume is recorded; a recorded pause is
// the fleet's, and ends when the fleet's does.
func TestHeldPauseOutlastsTheFleets(t *testing.T) {
	l := electCutOffLeader(t, 5*time.Second)
	d := l.d
	d.hold.term = l.term // as a pause whose write failed leaves it
	d.exec.Pause("emergency stop")
	d.syncPause()
	if p, _ := d.exec.Paused(); !p {
		t.Fatal("the fleet's pause resumed a pause held in this term")
	}
	if err := d.resume(); err != nil {
		t.Fatal(err)
	}
	if p, _ := d.exec.Paused(); p || d.hold.term != nil {
		t.Fatalf("after a recorded resume: paused=%v, hold=%v", p, d.hold.term)
	}
	if err := d.pause("recorded"); err != nil {
		t.Fatal(err)
	}
	d.syncPause()
	if p, _ := d.exec.Paused(); !p || d.hold.term != nil {
		t.Fatalf("after a recorded pause: paused=%v, hold=%v; want it paused by the fleet's pause alone", p, d.hold.term)
	}
	if _, err := l.cluster.Client(t).Delete(t.Context(), d.pauseKey()); err != nil {
		t.Fatal(err)
	}
	d.syncPause()
	if p, _ := d.exec.Paused(); p {
		t.Error("the fleet's pause ended but this daemon stays paused")
	}
}
