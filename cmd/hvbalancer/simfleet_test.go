package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
	"github.com/hvbalancer/hvbalancer/hyperv/sim"
)

// serveFleet serves spec's fleet over WinRM on 127.0.0.1, on a clock
// running at spec's speed, as real hosts the configuration names one by
// one would be, until the test ends.
func serveFleet(t *testing.T, spec *sim.FleetSpec) *sim.Server {
	t.Helper()
	fl, err := sim.NewFleet(spec, sim.NewScaledClock(spec.Start, spec.Speed))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sim.Serve(fl, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// writeSecrets writes the API token and the fleet's WinRM password into
// dir, as the files a configuration names token and password.
func writeSecrets(t *testing.T, dir string, spec *sim.FleetSpec) {
	t.Helper()
	for name, content := range map[string]string{"token": testToken, "password": spec.Credentials.Password} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// hostEntry is a served host's line in a cluster's hosts list: its
// address and WinRM port, then extra (", key: value" pairs, or nothing).
func hostEntry(t *testing.T, srv *sim.Server, name, extra string) string {
	t.Helper()
	ep, ok := srv.Endpoint(name)
	if !ok {
		t.Fatalf("no endpoint for %s", name)
	}
	return fmt.Sprintf("      - {name: %s, address: %s, winrm: {port: %d}%s}\n", name, ep.IP, ep.Port, extra)
}

// writeConfig writes cfg as config.yaml in dir and returns its path.
func writeConfig(t *testing.T, dir, cfg string) string {
	t.Helper()
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// startWatchedDaemon is startLoggingDaemon with the daemon's log shown
// when the test fails.
func startWatchedDaemon(t *testing.T, cfgPath string) (*runningDaemon, *logBuffer) {
	t.Helper()
	d, logs := startLoggingDaemon(t, cfgPath)
	showLogsOnFailure(t, logs)
	return d, logs
}

// awaitRound waits until the daemon has finished a round (what names it
// if none ever does) and returns the status that says so.
func awaitRound(t *testing.T, d *runningDaemon, what string) web.Status {
	t.Helper()
	var st web.Status
	eventually(t, what, func() bool {
		getJSON(t, d.url+"/api/v1/status", &st)
		return !st.LastRound.Time.IsZero()
	})
	return st
}

// awaitSnapshot waits until the daemon's API lists hosts, that is until
// it has a first snapshot (what names it if it never has).
func awaitSnapshot(t *testing.T, d *runningDaemon, what string) {
	t.Helper()
	eventually(t, what, func() bool {
		var hosts web.Hosts
		getJSON(t, d.url+"/api/v1/hosts", &hosts)
		return len(hosts.Hosts) > 0
	})
}

// standaloneConfig writes, with its token and password files, a
// configuration for the served fleet: every host stand-alone (extra, if
// not nil, adds to a host's line), the automation given, a round interval
// of an hour (only the first round and wakes run), 1 s polls over a 4 s
// window, the shipped policies, then rest (planner and executor lines).
func standaloneConfig(t *testing.T, srv *sim.Server, spec *sim.FleetSpec, automation string, extra func(host string) string, rest string) string {
	t.Helper()
	dir := t.TempDir()
	abs, _ := filepath.Abs("../../examples")
	writeSecrets(t, dir, spec)
	var hosts strings.Builder
	for _, h := range spec.Hosts {
		more := ""
		if extra != nil {
			more = extra(h.Name)
		}
		hosts.WriteString(hostEntry(t, srv, h.Name, more))
	}
	return writeConfig(t, dir, fmt.Sprintf(`version: 1
state_dir: state
http: {listen: "127.0.0.1:0", token_file: token}
automation: %s
round_interval: 1h
winrm: {auth: ntlm, username: %s, password_file: password, call_timeout: 20s}
clusters:
  - name: standalone
    hosts:
%scollector: {interval: 1s, window: 4s, stale_after: 30s, round_timeout: 2s}
policy: {dir: %s/policies}
%s`, automation, spec.Credentials.Username, hosts.String(), abs, rest))
}
