package logins_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/logins"
	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/hyperv"
	"github.com/hvbalancer/hvbalancer/internal/lockedbuf"
)

const rightPassword = "correct horse battery staple"

func errorsIsUnauthorized(err error) bool { return errors.Is(err, hyperv.ErrUnauthorized) }

// env is a guard in front of a fake fleet, with its log and metrics.
type env struct {
	g     *logins.Guard
	f     *fakeFleet
	clock *fakeClock
	reg   *prometheus.Registry
	log   *lockedbuf.Buffer
	cred  logins.Credential
	hosts []logins.Host
}

func hostNames(n int) []string {
	var out []string
	for i := 1; i <= n; i++ {
		out = append(out, fmt.Sprintf("HV%02d", i))
	}
	return out
}

// newEnv guards n hosts that all log in with a password file holding
// password; the fleet accepts rightPassword.
func newEnv(t *testing.T, n int, password string, set logins.Settings) *env {
	t.Helper()
	pw := filepath.Join(t.TempDir(), "winrm-password")
	writeFile(t, pw, password+"\n")
	e := &env{
		f:     newFakeFleet(rightPassword),
		clock: &fakeClock{now: time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)},
		reg:   prometheus.NewRegistry(),
		log:   &lockedbuf.Buffer{},
		cred:  logins.Credential{Username: "svc-x", PasswordFile: pw},
	}
	for _, name := range hostNames(n) {
		e.hosts = append(e.hosts, logins.Host{Name: name, Credential: e.cred, Settings: "ntlm " + name, Dial: e.f.dial(name)})
	}
	set.Now = e.clock.Now
	set.CheckEvery = -1
	if set.Rand == nil {
		set.Rand = func() float64 { return 0.5 } // no jitter: exact waits
	}
	log := slog.New(slog.NewTextHandler(e.log, &slog.HandlerOptions{Level: slog.LevelInfo}))
	g, err := logins.New(e.hosts, set, log, e.reg)
	if err != nil {
		t.Fatal(err)
	}
	e.g = g
	return e
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// round reads every host once, all at once, as a collector poll does.
func (e *env) round(t *testing.T) map[string]error {
	t.Helper()
	var mu sync.Mutex
	out := map[string]error{}
	var wg sync.WaitGroup
	for _, h := range e.hosts {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, err := e.g.Source(h.Name).Host(ctx)
			mu.Lock()
			out[h.Name] = err
			mu.Unlock()
		})
	}
	wg.Wait()
	return out
}

func (e *env) logLines(substr string) []string {
	var out []string
	for _, l := range strings.Split(e.log.String(), "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return out
}

func TestWrongPasswordStopsTheCredentialAfterThreeFailures(t *testing.T) {
	e := newEnv(t, 20, "hunter2", logins.Settings{})
	for i := range 10 {
		res := e.round(t)
		for name, err := range res {
			if err == nil {
				t.Fatalf("round %d: %s answered with the wrong password", i, name)
			}
		}
		e.clock.Advance(time.Minute)
	}
	if got := e.f.totalRefused(); got != logins.DefaultThreshold {
		t.Errorf("the fleet saw %d failed logins, want exactly %d", got, logins.DefaultThreshold)
	}
	_, err := e.g.Source("HV07").Host(context.Background())
	var held *logins.HeldError
	if !errors.As(err, &held) || !errors.Is(err, collector.ErrHeld) || !errors.Is(err, hyperv.ErrUnauthorized) {
		t.Fatalf("err = %v, want a HeldError matching ErrHeld and ErrUnauthorized", err)
	}
	want := "not tried: credential svc-x stopped after 3 failed logins: fix the password file " + e.cred.PasswordFile + ", then it retries"
	if err.Error() != want {
		t.Errorf("error\n%s\nwant\n%s", err, want)
	}
	stopped := e.g.Stopped()
	if len(stopped) != 1 || stopped[0].Credential != "svc-x" || stopped[0].Failures != 3 || len(stopped[0].Hosts) != 20 ||
		stopped[0].Message != "credential svc-x stopped after 3 failed logins: fix the password file "+e.cred.PasswordFile+", then it retries" {
		t.Errorf("Stopped() = %+v", stopped)
	}
	if v := metricValue(t, e.reg, "hvbalancer_collector_credentials_blocked"); v != 1 {
		t.Errorf("credentials_blocked = %v, want 1", v)
	}
	if n := testutil.CollectAndCount(e.reg, "hvbalancer_collector_auth_failures_total"); n != 20 {
		t.Errorf("%d auth failure series, want one per host (20)", n)
	}
	if got := metricValue(t, e.reg, "hvbalancer_collector_auth_failures_total"); got != 3 {
		t.Errorf("auth_failures_total sums to %v, want 3", got)
	}
	if warn := e.logLines("credential stopped"); len(warn) != 1 || !strings.Contains(warn[0], "level=WARN") {
		t.Errorf("want one warning that the credential stopped, log:\n%s", e.log)
	}

	// Fix the password file: the next call goes out, every host answers.
	writeFile(t, e.cred.PasswordFile, rightPassword+"\n")
	for name, err := range e.round(t) {
		if err != nil {
			t.Errorf("after the fix, %s: %v", name, err)
		}
	}
	if len(e.g.Stopped()) != 0 {
		t.Errorf("still stopped after the fix: %+v", e.g.Stopped())
	}
	if v := metricValue(t, e.reg, "hvbalancer_collector_credentials_blocked"); v != 0 {
		t.Errorf("credentials_blocked = %v after the fix, want 0", v)
	}
	if info := e.logLines("credential resumes"); len(info) != 1 || !strings.Contains(info[0], "level=INFO") {
		t.Errorf("want one info line that the credential resumes, log:\n%s", e.log)
	}
	for _, secret := range []string{"hunter2", rightPassword} {
		if strings.Contains(e.log.String(), secret) {
			t.Errorf("the log shows a password:\n%s", e.log)
		}
	}
	if problems, err := testutil.CollectAndLint(e.reg); err != nil || len(problems) > 0 {
		t.Errorf("metrics lint: %v %+v", err, problems)
	}
}

func TestConcurrentLoginsOfAnUnprovenCredentialNeverExceedTheThreshold(t *testing.T) {
	e := newEnv(t, 12, "hunter2", logins.Settings{})
	e.f.block = make(chan struct{})
	done := make(chan map[string]error)
	go func() { done <- e.round(t) }()
	// Wait until the three logins the credential may fail are in flight.
	for deadline := time.Now().Add(5 * time.Second); ; {
		e.f.mu.Lock()
		n := e.f.inFlight
		e.f.mu.Unlock()
		if n == logins.DefaultThreshold {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d logins in flight, want %d", n, logins.DefaultThreshold)
		}
		time.Sleep(time.Millisecond)
	}
	close(e.f.block)
	<-done
	if e.f.maxIn > logins.DefaultThreshold {
		t.Errorf("%d logins were in flight at once for an unproven credential, at most %d may", e.f.maxIn, logins.DefaultThreshold)
	}
	if got := e.f.totalRefused(); got != logins.DefaultThreshold {
		t.Errorf("%d failed logins, want %d", got, logins.DefaultThreshold)
	}
}

func TestProvenCredentialCallsRunAtOnce(t *testing.T) {
	e := newEnv(t, 12, rightPassword, logins.Settings{})
	e.round(t) // proves it
	e.f.block = make(chan struct{})
	done := make(chan map[string]error)
	go func() { done <- e.round(t) }()
	for deadline := time.Now().Add(5 * time.Second); ; {
		e.f.mu.Lock()
		n := e.f.inFlight
		e.f.mu.Unlock()
		if n == 12 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d calls in flight, want all 12 at once", n)
		}
		time.Sleep(time.Millisecond)
	}
	close(e.f.block)
	for name, err := range <-done {
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestHostBackoffDoublesUpToTheCap(t *testing.T) {
	e := newEnv(t, 3, rightPassword, logins.Settings{})
	// HV02 refuses this account (say it is not in Remote Management
	// Users there); the others accept it, so the credential is never stopped.
	e.f.fail["HV02"] = fmt.Errorf("get host on HV02:5985: wsman: %w: http status 401", hyperv.ErrUnauthorized)
	start := e.clock.Now()
	var attempts []time.Duration
	for e.clock.Now().Sub(start) < 3*time.Hour {
		before := e.f.logins["HV02"]
		res := e.round(t)
		if e.f.logins["HV02"] > before {
			attempts = append(attempts, e.clock.Now().Sub(start))
		} else if !errors.Is(res["HV02"], collector.ErrHeld) {
			t.Fatalf("HV02 not tried but not held: %v", res["HV02"])
		}
		if res["HV01"] != nil || res["HV03"] != nil {
			t.Fatalf("healthy hosts failed: %v %v", res["HV01"], res["HV03"])
		}
		e.clock.Advance(30 * time.Second)
	}
	// Waits of 1, 2, 4, 8, 16, 30, 30, ... minutes.
	want := []time.Duration{0, 1 * time.Minute, 3 * time.Minute, 7 * time.Minute, 15 * time.Minute, 31 * time.Minute,
		61 * time.Minute, 91 * time.Minute, 121 * time.Minute, 151 * time.Minute}
	if diff := cmp.Diff(want, attempts); diff != "" {
		t.Errorf("login attempts to HV02 (-want +got):\n%s", diff)
	}
	if len(e.g.Stopped()) != 0 {
		t.Errorf("one host's refusals, with others accepting, stopped the credential: %+v", e.g.Stopped())
	}
	_, err := e.g.Source("HV02").Host(context.Background())
	if want := "not tried: wrong credentials or account locked after 10 failed logins in a row; next attempt at 2026-01-05 11:01:00 UTC"; err == nil || err.Error() != want {
		t.Errorf("held error\n%v\nwant\n%s", err, want)
	}
}

func TestJitterVariesTheWait(t *testing.T) {
	for _, tc := range []struct {
		rand float64
		want time.Duration
	}{{0, 48 * time.Second}, {0.5, time.Minute}, {0.999999, 72 * time.Second}} {
		e := newEnv(t, 1, "hunter2", logins.Settings{Rand: func() float64 { return tc.rand }})
		_, err := e.g.Source("HV01").Host(context.Background())
		if !errors.Is(err, hyperv.ErrUnauthorized) {
			t.Fatal(err)
		}
		_, err = e.g.Source("HV01").Host(context.Background())
		var held *logins.HeldError
		if !errors.As(err, &held) {
			t.Fatalf("second call not held: %v", err)
		}
		if got := held.Until.Sub(e.clock.Now()); got.Round(time.Second) != tc.want {
			t.Errorf("rand %v: wait %s, want %s", tc.rand, got, tc.want)
		}
	}
}

func TestKerberosHostProblemsHoldTheHostNotTheCredential(t *testing.T) {
	e := newEnv(t, 4, rightPassword, logins.Settings{})
	for _, name := range []string{"HV01", "HV02", "HV03"} {
		e.f.fail[name] = fmt.Errorf("login to %s: %w (KRB_AP_ERR_SKEW)", name, hyperv.ErrClockSkew)
	}
	e.f.fail["HV04"] = fmt.Errorf("login: %w: KDC_ERR_S_PRINCIPAL_UNKNOWN", hyperv.ErrUnknownPrincipal)
	e.round(t)
	if len(e.g.Stopped()) != 0 {
		t.Errorf("clock skew and a missing SPN stopped the credential: %+v", e.g.Stopped())
	}
	res := e.round(t)
	for name, err := range res {
		if !errors.Is(err, collector.ErrHeld) {
			t.Errorf("%s not held back: %v", name, err)
		}
	}
	if got := collector.CauseOf(res["HV01"]); got != collector.CauseHeld {
		t.Errorf("cause %q", got)
	}
	if !strings.Contains(res["HV04"].Error(), "Kerberos principal unknown") {
		t.Errorf("HV04 error %q does not say why", res["HV04"])
	}
}

func TestTouchingThePasswordFileResumes(t *testing.T) {
	e := newEnv(t, 3, rightPassword, logins.Settings{})
	e.f.password = "rotated on the domain"
	e.round(t)
	if len(e.g.Stopped()) != 1 {
		t.Fatalf("not stopped: %+v", e.g.Stopped())
	}
	// The administrator unlocks the account and sets the old password
	// back, then touches the file: same content, new time.
	e.f.password = rightPassword
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(e.cred.PasswordFile, later, later); err != nil {
		t.Fatal(err)
	}
	for name, err := range e.round(t) {
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestEnvironmentCredentialSaysRestart(t *testing.T) {
	t.Setenv("HVB_LOGINS_TEST_PW", "hunter2")
	f := newFakeFleet(rightPassword)
	cred := logins.Credential{Username: "LAB\\svc-x", PasswordEnv: "HVB_LOGINS_TEST_PW"}
	var hosts []logins.Host
	for _, n := range hostNames(3) {
		hosts = append(hosts, logins.Host{Name: n, Credential: cred, Dial: f.dial(n)})
	}
	g, err := logins.New(hosts, logins.Settings{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range hostNames(3) {
		_, _ = g.Source(n).Host(context.Background())
	}
	st := g.Stopped()
	if want := `credential LAB\svc-x stopped after 3 failed logins: fix the environment variable HVB_LOGINS_TEST_PW and restart hvbalancer`; len(st) != 1 || st[0].Message != want {
		t.Errorf("Stopped() = %+v, want the message %q", st, want)
	}
}

func TestUpdateResumesOnlyWhenTheSettingsChange(t *testing.T) {
	e := newEnv(t, 3, "hunter2", logins.Settings{})
	e.round(t)
	if len(e.g.Stopped()) != 1 {
		t.Fatal("not stopped")
	}
	// A reload with the same configuration changes nothing.
	if err := e.g.Update(e.hosts); err != nil {
		t.Fatal(err)
	}
	if len(e.g.Stopped()) != 1 {
		t.Fatal("a reload without a change resumed the credential")
	}
	before := e.f.totalRefused()
	e.round(t)
	if e.f.totalRefused() != before {
		t.Fatal("logins went out while stopped")
	}
	// A reload that changes the hosts' settings (auth ntlm → kerberos, say).
	changed := append([]logins.Host(nil), e.hosts...)
	for i := range changed {
		changed[i].Settings = "kerberos " + changed[i].Name
	}
	if err := e.g.Update(changed); err != nil {
		t.Fatal(err)
	}
	if len(e.g.Stopped()) != 0 {
		t.Fatal("a reload with a change left the credential stopped")
	}
	if info := e.logLines("credential resumes"); len(info) != 1 || !strings.Contains(info[0], "configuration of its hosts changed") {
		t.Errorf("log:\n%s", e.log)
	}
}

func TestUnreadableSecretIsNotTried(t *testing.T) {
	e := newEnv(t, 2, rightPassword, logins.Settings{})
	if err := os.Remove(e.cred.PasswordFile); err != nil {
		t.Fatal(err)
	}
	_, err := e.g.Source("HV01").Host(context.Background())
	if !errors.Is(err, collector.ErrHeld) || !strings.Contains(err.Error(), "no such file or directory") {
		t.Errorf("err = %v", err)
	}
	if n := e.f.logins["HV01"]; n != 0 {
		t.Errorf("%d logins without a password", n)
	}
	if _, err := logins.New(e.hosts, logins.Settings{}, nil, nil); err == nil || !strings.Contains(err.Error(), "read password of svc-x") {
		t.Errorf("New with a missing password file: %v", err)
	}
}

// metricValue sums the values of every series of a metric family.
func metricValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
			}
		}
	}
	return sum
}

// TestAHungHostSpendsOneProbe: a poll reads a host's facts and counters side
// by side. With an unproven credential, the second read of a hung host waits
// for the first one's outcome instead of taking another of the credential's
// logins in flight, so a hung host and a refusing one cannot leave the
// others waiting in vain until their deadline.
func TestAHungHostSpendsOneProbe(t *testing.T) {
	e := newEnv(t, 4, rightPassword, logins.Settings{})
	e.f.hang["HV01"] = true
	e.f.fail["HV02"] = fmt.Errorf("get host on HV02:5985: wsman: %w: http status 401", hyperv.ErrUnauthorized)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	// HV02 refuses first: the credential may now fail twice more.
	if _, err := e.g.Source("HV02").Host(ctx); !errorsIsUnauthorized(err) {
		t.Fatalf("HV02: %v, want a refused login", err)
	}
	var mu sync.Mutex
	errs := map[string][]error{}
	var wg sync.WaitGroup
	for _, h := range []string{"HV01", "HV03", "HV04"} {
		for range 2 { // facts and counters, side by side
			wg.Go(func() {
				_, err := e.g.Source(h).Host(ctx)
				mu.Lock()
				errs[h] = append(errs[h], err)
				mu.Unlock()
			})
		}
		if h == "HV01" { // the hung host's reads go out first
			for deadline := time.Now().Add(time.Second); ; time.Sleep(time.Millisecond) {
				e.f.mu.Lock()
				n := e.f.inFlight
				e.f.mu.Unlock()
				if n >= 1 || time.Now().After(deadline) {
					break
				}
			}
		}
	}
	wg.Wait()
	for _, h := range []string{"HV03", "HV04"} {
		for _, err := range errs[h] {
			if err != nil {
				t.Errorf("%s: %v, want a login that worked", h, err)
			}
		}
	}
}
