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

// lockoutConfig is the lockout fleet (hosts as Windows ships them, an
// account locked after 5 bad logons in 30 minutes) on a fast clock, logged
// in to over NTLM with sealing with the password in pwFile.
func lockoutConfig(t *testing.T, pwFile string) string {
	t.Helper()
	dir := t.TempDir()
	abs, _ := filepath.Abs("../../examples")
	fleet, _ := filepath.Abs("testdata/fleets/lockout.yaml")
	cfg := fmt.Sprintf(`version: 1
state_dir: state
log: {level: error}
simulator: {fleet: %s, speed: 600}
winrm: {username: hvadmin, password_file: %s}
http: {listen: "127.0.0.1:0"}
automation: full
round_interval: 300ms
collector: {interval: 200ms, window: 2s, stale_after: 5s}
policy: {dir: %s/policies}
`, fleet, pwFile, abs)
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

// account is the simulated domain's record of the fleet's account.
type account struct {
	BadLogons    int        `json:"bad_logons"`
	LockedUntil  *time.Time `json:"locked_until"`
	FailedLogons int        `json:"failed_logons_total"`
}

// hvadmin returns the account's record (zero before any logon).
func hvadmin(t *testing.T, admin string) account {
	t.Helper()
	var body struct {
		Accounts []struct {
			Username string `json:"username"`
			account
		} `json:"accounts"`
	}
	getJSON(t, strings.TrimSuffix(admin, "/")+"/accounts", &body)
	for _, a := range body.Accounts {
		if strings.EqualFold(a.Username, "hvadmin") {
			return a.account
		}
	}
	return account{}
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
// of simulated time with a wrong password in its password file, against
// hosts whose domain locks the account after 5 bad logons in 30 minutes:
// the daemon stops using the account after three failed logins, the
// account is never locked, the daemon says so everywhere, and it resumes
// once the file is fixed.
func TestWrongPasswordNeverLocksTheAccount(t *testing.T) {
	pw := filepath.Join(t.TempDir(), "winrm-password")
	if err := os.WriteFile(pw, []byte("Winter2026!\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, lockoutConfig(t, pw))
	start := simNow(t, d.admin)
	eventually(t, "30 simulated minutes", func() bool {
		if a := hvadmin(t, d.admin); a.LockedUntil != nil {
			t.Fatalf("the account was locked out at %s (%+v)", simNow(t, d.admin), a)
		}
		return simNow(t, d.admin).Sub(start) >= 30*time.Minute
	})

	acct := hvadmin(t, d.admin)
	if acct.FailedLogons < 1 || acct.FailedLogons > 3 || acct.LockedUntil != nil {
		t.Errorf("the domain saw %d failed logons (locked until %v) in 30 simulated minutes, want 1 to 3 and no lockout", acct.FailedLogons, acct.LockedUntil)
	}
	failed := metricSum(t, d.url, "hvbalancer_collector_auth_failures_total")
	if int(failed) != acct.FailedLogons {
		t.Errorf("the daemon counted %v failed logins, the domain %d", failed, acct.FailedLogons)
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
	if a := hvadmin(t, d.admin); a.FailedLogons != acct.FailedLogons || a.BadLogons != 0 || a.LockedUntil != nil {
		t.Errorf("after the fix the domain shows %+v, want %d failed logons, none counting, no lockout", a, acct.FailedLogons)
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
