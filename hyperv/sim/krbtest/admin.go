package krbtest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Kadmin runs one kadmin.local query against the realm's database (the
// KDC sees the change at once) and returns its output. It fails the test
// when kadmin.local reports an error, which it does on stderr while still
// exiting 0.
func (k *KDC) Kadmin(query string) string {
	k.t.Helper()
	cmd := exec.Command(kadminPath, "-r", k.realm, "-q", query)
	cmd.Env = k.env
	cmd.Dir = k.dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var problems []string
	for line := range strings.SplitSeq(stderr.String(), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "No policy specified for") {
			continue
		}
		problems = append(problems, line)
	}
	if err != nil || len(problems) > 0 {
		k.t.Fatalf("krbtest: kadmin.local -q %q: %v %s", query, err, strings.Join(problems, "; "))
	}
	return stdout.String()
}

// AddUser adds a user principal with a password.
func (k *KDC) AddUser(name, password string) {
	k.t.Helper()
	k.Kadmin(fmt.Sprintf("addprinc -pw %s %s", password, name))
}

// AddHost adds the service principals of a Windows host's WinRM service,
// HTTP/<host> and WSMAN/<host>, with random keys.
func (k *KDC) AddHost(host string) {
	k.t.Helper()
	for _, spn := range HostSPNs(host) {
		k.Kadmin("addprinc -randkey " + spn)
	}
}

// DeletePrincipal removes a principal, e.g. HTTP/<host> to test a host
// whose SPN is not registered.
func (k *KDC) DeletePrincipal(name string) {
	k.t.Helper()
	k.Kadmin("delprinc -force " + name)
}

// HostSPNs returns the service principal names of a host's WinRM service.
func HostSPNs(host string) []string {
	return []string{"HTTP/" + host, "WSMAN/" + host}
}

// UserKeytab exports the user's current keys (derived from its password)
// to a keytab file and returns its path.
func (k *KDC) UserKeytab() string {
	k.t.Helper()
	return k.exportKeytab("user.keytab", k.user)
}

// ServiceKeytab exports the keys of HTTP/<host> and WSMAN/<host> to a
// keytab file, as the host's machine account holds them, and returns its
// path.
func (k *KDC) ServiceKeytab(host string) string {
	k.t.Helper()
	return k.exportKeytab("host-"+strings.NewReplacer("/", "_", ":", "_").Replace(host)+".keytab", HostSPNs(host)...)
}

// exportKeytab writes a fresh keytab with the principals' current keys;
// -norandkey keeps the keys the KDC already issues tickets with.
func (k *KDC) exportKeytab(file string, principals ...string) string {
	k.t.Helper()
	p := k.path(file)
	if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
		k.t.Fatalf("krbtest: %v", err)
	}
	for _, pr := range principals {
		k.Kadmin(fmt.Sprintf("ktadd -k %s -norandkey %s", p, pr))
	}
	return p
}

// Kinit logs the user in with MIT's kinit and writes the credential cache
// to path, for tests of clients that start from a cache. It skips the test
// when kinit (Debian's krb5-user) is missing.
func (k *KDC) Kinit(t testing.TB, path string) {
	t.Helper()
	kinit, err := exec.LookPath("kinit")
	if err != nil {
		t.Skip("kinit not installed: apt-get install krb5-user")
	}
	cmd := exec.Command(kinit, "-f", "-c", "FILE:"+path, k.user+"@"+k.realm)
	cmd.Env = k.env
	cmd.Stdin = strings.NewReader(k.password + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("krbtest: kinit: %v: %s", err, out)
	}
}

// Requests counts the requests the KDC logged.
type Requests struct {
	AS  int // AS-REQ, including those answered "pre-authentication required"
	TGS int // TGS-REQ
}

// Requests reads the KDC's log and counts the requests it received: the
// KDC's own account of what a client asked, independent of the client's.
func (k *KDC) Requests() Requests {
	k.t.Helper()
	var r Requests
	for _, line := range k.LogLines() {
		switch {
		case strings.Contains(line, "AS_REQ ("):
			r.AS++
		case strings.Contains(line, "TGS_REQ ("):
			r.TGS++
		}
	}
	return r
}

// LogLines returns the KDC's log, one request or event a line.
func (k *KDC) LogLines() []string {
	k.t.Helper()
	b, err := os.ReadFile(k.path("kdc.log"))
	if err != nil {
		k.t.Fatalf("krbtest: read the KDC log: %v", err)
	}
	return strings.Split(strings.TrimRight(string(b), "\n"), "\n")
}

// FleetKeytab exports the keys of every host's HTTP/ and WSMAN/ principals
// into one keytab file, for a simulated fleet whose hosts share it, and
// returns its path.
func (k *KDC) FleetKeytab(hosts ...string) string {
	k.t.Helper()
	var principals []string
	for _, h := range hosts {
		principals = append(principals, HostSPNs(h)...)
	}
	return k.exportKeytab("fleet.keytab", principals...)
}
