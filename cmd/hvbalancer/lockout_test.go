package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
)

// lockoutConfig is the demo fleet with a fast clock, logged in to with the
// password in pwFile.
func lockoutConfig(t *testing.T, pwFile string) string {
	t.Helper()
	dir := t.TempDir()
	abs, _ := filepath.Abs("../../examples")
	cfg := fmt.Sprintf(`version: 1
state_dir: state
log: {level: error}
simulator: {fleet: %s/fleets/demo.yaml, speed: 600}
winrm: {username: hvadmin, password_file: %s}
http: {listen: "127.0.0.1:0"}
automation: full
round_interval: 300ms
collector: {interval: 200ms, window: 2s, stale_after: 5s}
policy: {dir: %s/policies}
`, abs, pwFile, abs)
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// get returns a GET's status and body.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// simNow is the simulated fleet's clock.
func simNow(t *testing.T, admin string) time.Time {
	t.Helper()
	var c struct {
		Now time.Time `json:"now"`
	}
	getJSON(t, strings.TrimSuffix(admin, "/")+"/clock", &c)
	return c.Now
}

// metricSum adds up a metric family's samples on /metrics.
func metricSum(t *testing.T, url, name string) float64 {
	t.Helper()
	_, body := get(t, url+"/metrics")
	sum := 0.0
	for _, l := range strings.Split(body, "\n") {
		if !strings.HasPrefix(l, name+" ") && !strings.HasPrefix(l, name+"{") {
			continue
		}
		var v float64
		if _, err := fmt.Sscan(l[strings.LastIndexByte(l, ' ')+1:], &v); err != nil {
			t.Fatalf("metric line %q: %v", l, err)
		}
		sum += v
	}
	return sum
}

// TestWrongPasswordNeverLocksTheAccount runs the daemon for half an hour
// of simulated time with a wrong password in its password file: it stops
// using the account after three failed logins, says so everywhere, and
// resumes once the file is fixed.
//
// The simulated fleet does not count failed logons yet, so the count is
// the daemon's own (hvbalancer_collector_auth_failures_total, one per HTTP
// 401 the hosts answered); once the simulator enforces an account lockout,
// the fleet's own count and the account's state are asserted as well.
func TestWrongPasswordNeverLocksTheAccount(t *testing.T) {
	pw := filepath.Join(t.TempDir(), "winrm-password")
	if err := os.WriteFile(pw, []byte("Winter2026!\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, lockoutConfig(t, pw))
	start := simNow(t, d.admin)
	eventually(t, "30 simulated minutes", func() bool { return simNow(t, d.admin).Sub(start) >= 30*time.Minute })

	failed := metricSum(t, d.url, "hvbalancer_collector_auth_failures_total")
	if failed < 1 || failed > 3 {
		t.Errorf("%v failed logins reached the fleet in 30 simulated minutes, want 1 to 3", failed)
	}
	if n := metricSum(t, d.url, "hvbalancer_collector_credentials_blocked"); n != 1 {
		t.Errorf("credentials_blocked = %v, want 1", n)
	}
	message := "credential hvadmin stopped after 3 failed logins: fix the password file " + pw + ", then it retries"
	code, body := get(t, d.url+"/readyz")
	if code != http.StatusServiceUnavailable || !strings.HasPrefix(body, message) {
		t.Errorf("/readyz: %d %q, want 503 starting with %q", code, body, message)
	}
	var st web.Status
	getJSON(t, d.url+"/api/v1/status", &st)
	if len(st.StoppedCredentials) != 1 || st.StoppedCredentials[0].Message != message || len(st.StoppedCredentials[0].Hosts) != 8 ||
		st.Ready || st.HostsAnswering != 0 || st.Hosts != 8 {
		t.Errorf("status: %+v", st)
	}
	if _, page := get(t, d.url+"/"); !strings.Contains(page, "<b>Logins stopped.</b> "+message) {
		t.Error("the status page shows no banner")
	}

	// Fix the password file: logins resume and every host answers.
	if err := os.WriteFile(pw, []byte("hvsim-demo-password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	eventually(t, "ready after the fix", func() bool { code, _ := get(t, d.url+"/readyz"); return code == http.StatusOK })
	getJSON(t, d.url+"/api/v1/status", &st)
	if len(st.StoppedCredentials) != 0 || st.HostsAnswering != 8 {
		t.Errorf("after the fix: %+v", st)
	}
	if n := metricSum(t, d.url, "hvbalancer_collector_credentials_blocked"); n != 0 {
		t.Errorf("credentials_blocked = %v after the fix", n)
	}
	if after := metricSum(t, d.url, "hvbalancer_collector_auth_failures_total"); after != failed {
		t.Errorf("%v failed logins after the fix, %v before: the fixed password failed", after, failed)
	}
}

// TestReloadResumesOnlyWithAChange: a reload that changes nothing keeps
// the account stopped; one that names another password file resumes it.
func TestReloadResumesOnlyWithAChange(t *testing.T) {
	dir := t.TempDir()
	wrong, right := filepath.Join(dir, "wrong"), filepath.Join(dir, "right")
	for f, pw := range map[string]string{wrong: "Winter2026!\n", right: "hvsim-demo-password\n"} {
		if err := os.WriteFile(f, []byte(pw), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg := lockoutConfig(t, wrong)
	token := filepath.Join(filepath.Dir(cfg), "token")
	if err := os.WriteFile(token, []byte(testToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(mustRead(t, cfg), `http: {listen: "127.0.0.1:0"}`, `http: {listen: "127.0.0.1:0", token_file: token}`, 1)
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, cfg)
	eventually(t, "the account stopped", func() bool {
		return metricSum(t, d.url, "hvbalancer_collector_credentials_blocked") == 1
	})
	if code := post(t, d.url+"/-/reload", testToken, nil); code != http.StatusOK {
		t.Fatalf("reload: %d", code)
	}
	start := simNow(t, d.admin)
	eventually(t, "5 more simulated minutes", func() bool { return simNow(t, d.admin).Sub(start) >= 5*time.Minute })
	if n := metricSum(t, d.url, "hvbalancer_collector_credentials_blocked"); n != 1 {
		t.Errorf("a reload without a change resumed the account (credentials_blocked %v)", n)
	}
	if failed := metricSum(t, d.url, "hvbalancer_collector_auth_failures_total"); failed > 3 {
		t.Errorf("%v failed logins", failed)
	}
	if err := os.WriteFile(cfg, []byte(strings.Replace(text, wrong, right, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if code := post(t, d.url+"/-/reload", testToken, nil); code != http.StatusOK {
		t.Fatalf("reload: %d", code)
	}
	eventually(t, "ready after the reload", func() bool { code, _ := get(t, d.url+"/readyz"); return code == http.StatusOK })
}
