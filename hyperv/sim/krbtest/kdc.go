package krbtest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The MIT programs the harness runs.
const (
	krb5kdcPath  = "/usr/sbin/krb5kdc"
	kdb5UtilPath = "/usr/sbin/kdb5_util"
	kadminPath   = "/usr/sbin/kadmin.local"
)

// InstallHint is the message of a test skipped for want of the MIT KDC.
const InstallHint = "MIT KDC not installed: apt-get install krb5-kdc krb5-admin-server"

// DefaultUser and DefaultPassword are the realm's user when Options leave
// them empty.
const (
	DefaultUser     = "hvbalancer"
	DefaultPassword = "Correct-Horse-7"
)

// Options say what the realm holds.
type Options struct {
	// Hosts get the service principals HTTP/<host> and WSMAN/<host>, as
	// setspn registers them for a Windows host.
	Hosts []string
	// User and Password are the user principal; empty = DefaultUser and
	// DefaultPassword.
	User     string
	Password string
	// Enctypes are the key types of every principal; empty =
	// aes256-cts-hmac-sha1-96 and aes128-cts-hmac-sha1-96, as Active
	// Directory issues them.
	Enctypes []string
}

// KDC is a running MIT krb5kdc with its own realm.
type KDC struct {
	t        testing.TB
	realm    string
	dir      string
	addr     string
	user     string
	password string
	env      []string

	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{} // closed when the KDC process has exited
	stopped bool
}

// Available reports whether the MIT KDC programs are installed.
func Available() bool {
	for _, p := range []string{krb5kdcPath, kdb5UtilPath, kadminPath} {
		if _, err := os.Stat(p); err != nil {
			return false
		}
	}
	return true
}

// Start makes a realm in t.TempDir(), starts its KDC on 127.0.0.1 (UDP and
// TCP on one free port), adds the user and the hosts' service principals,
// and stops it when the test ends. It skips the test when the MIT KDC is
// not installed.
func Start(t testing.TB, realm string, opts Options) *KDC {
	t.Helper()
	if !Available() {
		t.Skip(InstallHint)
	}
	if realm == "" || strings.ToUpper(realm) != realm {
		t.Fatalf("krbtest: realm %q must be non-empty upper case", realm)
	}
	k := &KDC{t: t, realm: realm, dir: t.TempDir(), user: opts.User, password: opts.Password}
	if k.user == "" {
		k.user = DefaultUser
	}
	if k.password == "" {
		k.password = DefaultPassword
	}
	enctypes := opts.Enctypes
	if len(enctypes) == 0 {
		enctypes = []string{"aes256-cts-hmac-sha1-96", "aes128-cts-hmac-sha1-96"}
	}
	// The caller's Kerberos settings (KRB5_CONFIG, KRB5CCNAME, a trace
	// file...) must not leak into the realm.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "KRB5") {
			k.env = append(k.env, kv)
		}
	}
	k.env = append(k.env,
		"KRB5_CONFIG="+k.ConfigPath(),
		"KRB5_KDC_PROFILE="+k.path("kdc.conf"),
		"KRB5CCNAME=FILE:"+k.path("ccache"),
		"KRB5_KTNAME=FILE:"+k.path("default.keytab"),
		"KRB5RCACHEDIR="+k.dir,
	)
	if err := k.start(enctypes); err != nil {
		t.Fatalf("krbtest: %v", err)
	}
	t.Cleanup(k.Stop)
	k.AddUser(k.user, k.password)
	for _, h := range opts.Hosts {
		k.AddHost(h)
	}
	return k
}

// start writes the configuration, creates the database and starts the KDC
// on a free port, trying a few ports in case another process takes the
// one chosen between the probe and the KDC's bind.
func (k *KDC) start(enctypes []string) error {
	var last error
	for range 5 {
		port, err := freePort()
		if err != nil {
			return err
		}
		k.addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		if err := writeConfig(k.dir, k.realm, port, enctypes); err != nil {
			return err
		}
		if _, err := os.Stat(k.path("principal")); errors.Is(err, os.ErrNotExist) {
			// -P sets the master password of the stash; -s writes the stash.
			if out, err := k.run(kdb5UtilPath, "create", "-s", "-r", k.realm, "-P", "krbtest-master-"+strconv.Itoa(port)); err != nil {
				return fmt.Errorf("create the realm database: %w: %s", err, out)
			}
		}
		if last = k.launch(); last == nil {
			return nil
		}
	}
	return last
}

// launch starts krb5kdc in the foreground and waits until it answers on TCP.
func (k *KDC) launch() error {
	var out bytes.Buffer
	cmd := exec.Command(krb5kdcPath, "-n", "-r", k.realm)
	cmd.Env = k.env
	cmd.Dir = k.dir
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start krb5kdc: %w", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", k.addr, time.Second)
		if err == nil {
			_ = c.Close()
			k.mu.Lock()
			k.cmd, k.done = cmd, done
			k.mu.Unlock()
			return nil
		}
		select {
		case <-done:
			return fmt.Errorf("krb5kdc exited at start: %s%s", out.String(), k.logTail())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-done
			return fmt.Errorf("krb5kdc did not answer on %s within 15s: %s%s", k.addr, out.String(), k.logTail())
		}
	}
}

// Stop stops the KDC; later requests find no KDC. It is safe to call more
// than once and is called when the test ends.
func (k *KDC) Stop() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.stopped || k.cmd == nil {
		k.stopped = true
		return
	}
	k.stopped = true
	_ = k.cmd.Process.Signal(os.Interrupt)
	select {
	case <-k.done:
	case <-time.After(5 * time.Second):
		_ = k.cmd.Process.Kill()
		<-k.done
	}
}

// Realm is the realm's name.
func (k *KDC) Realm() string { return k.realm }

// Addr is the KDC's address, 127.0.0.1:<port>, over UDP and TCP.
func (k *KDC) Addr() string { return k.addr }

// ConfigPath is the krb5.conf a client of the realm uses.
func (k *KDC) ConfigPath() string { return k.path("krb5.conf") }

// Dir is the realm's directory (the test's temporary directory).
func (k *KDC) Dir() string { return k.dir }

// User is the user principal's name, without the realm.
func (k *KDC) User() string { return k.user }

// Password is the user's password.
func (k *KDC) Password() string { return k.password }

// Env is the environment for an MIT Kerberos program that should use this
// realm: KRB5_CONFIG and KRB5_KDC_PROFILE, and a credential cache and
// replay cache inside the realm's directory.
func (k *KDC) Env() []string { return append([]string(nil), k.env...) }

func (k *KDC) path(name string) string { return filepath.Join(k.dir, name) }

// run runs an MIT program with the realm's environment.
func (k *KDC) run(name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = k.env
	cmd.Dir = k.dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// logTail returns the end of the KDC's log, for failure messages.
func (k *KDC) logTail() string {
	b, err := os.ReadFile(k.path("kdc.log"))
	if err != nil || len(b) == 0 {
		return ""
	}
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return "\nkdc.log:\n" + string(b)
}

// freePort finds a port free on 127.0.0.1 for both UDP and TCP.
func freePort() (int, error) {
	for range 20 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("find a free port: %w", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		_ = l.Close()
		if err != nil {
			continue
		}
		_ = u.Close()
		return port, nil
	}
	return 0, errors.New("find a free port: no port free for both udp and tcp")
}
