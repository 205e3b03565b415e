package logins

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Credential is who logs in to a host: the identity a lockout counts
// against. Two hosts with equal Credentials share one count.
type Credential struct {
	Username     string
	Realm        string // Kerberos realm, if any
	PasswordFile string
	PasswordEnv  string
	Keytab       string // Kerberos keytab holding Username's keys
	CCache       string // Kerberos credential cache
	// Password is a password given in place (the simulator's fleet file),
	// Origin says where it comes from. Never shown.
	Password string
	Origin   string
}

// key is the credential's identity.
func (c Credential) key() string {
	return strings.Join([]string{c.Username, c.Realm, c.PasswordFile, c.PasswordEnv, c.Keytab, c.CCache, c.Origin}, "\x00")
}

// Name is the credential as people know it: the user (with the realm
// when the user name carries no domain), or the credential cache.
func (c Credential) Name() string {
	switch {
	case c.Username == "" && c.CCache != "":
		return "credential cache " + c.CCache
	case c.Realm != "" && !strings.ContainsAny(c.Username, `@\`):
		return c.Username + "@" + c.Realm
	}
	return c.Username
}

// fix says what an administrator does so that the credential is tried again.
func (c Credential) fix() string {
	switch {
	case c.PasswordFile != "":
		return "fix the password file " + c.PasswordFile + ", then it retries"
	case c.Keytab != "":
		return "fix the keytab " + c.Keytab + ", then it retries"
	case c.CCache != "":
		return "renew the credential cache " + c.CCache + ", then it retries"
	case c.PasswordEnv != "":
		return "fix the environment variable " + c.PasswordEnv + " and restart hvbalancer"
	case c.Origin != "":
		return "fix the password in " + c.Origin + " and restart hvbalancer"
	}
	return "fix it and reload the configuration"
}

// secretFile is one file a credential's secret lives in.
type secretFile struct{ what, path string }

// files are the files the credential's secret lives in.
func (c Credential) files() []secretFile {
	var out []secretFile
	for _, f := range []secretFile{{"password", c.PasswordFile}, {"keytab", c.Keytab}, {"credential cache", c.CCache}} {
		if f.path != "" {
			out = append(out, f)
		}
	}
	return out
}

// fingerprint tells one version of a credential's files from another: size,
// modification time and content hash of each, so that rewriting a file
// with the same content (touch, a configuration tool) counts as a change too.
type fingerprint string

// secret reads the credential's password (empty for a keytab or credential
// cache, whose files the client reads itself) and the fingerprint of its
// files. Errors name the source, never the secret.
func (c Credential) secret() (string, fingerprint, error) {
	var fp strings.Builder
	for _, f := range c.files() {
		st, sum, err := fileStamp(f.path)
		if err != nil {
			return "", "", fmt.Errorf("read %s of %s: %w", f.what, c.Name(), err)
		}
		fmt.Fprintf(&fp, "%s %d %d %x\n", f.path, st.Size(), st.ModTime().UnixNano(), sum)
	}
	switch {
	case c.PasswordFile != "":
		b, err := os.ReadFile(c.PasswordFile)
		if err != nil {
			return "", "", fmt.Errorf("read password of %s: %w", c.Name(), err)
		}
		p := strings.TrimRight(string(b), "\r\n")
		if p == "" {
			return "", "", fmt.Errorf("read password of %s: %s is empty", c.Name(), c.PasswordFile)
		}
		return p, fingerprint(fp.String()), nil
	case c.PasswordEnv != "":
		p, ok := os.LookupEnv(c.PasswordEnv)
		if !ok || p == "" {
			return "", "", fmt.Errorf("read password of %s: environment variable %s is not set", c.Name(), c.PasswordEnv)
		}
		return p, fingerprint(fp.String()), nil
	}
	return c.Password, fingerprint(fp.String()), nil
}

// fileStamp returns a file's stat and the SHA-256 of its content.
func fileStamp(path string) (os.FileInfo, [sha256.Size]byte, error) {
	var sum [sha256.Size]byte
	f, err := os.Open(path)
	if err != nil {
		return nil, sum, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, sum, err
	}
	if st.IsDir() {
		return nil, sum, fmt.Errorf("%s: %w", path, errIsDir)
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.LimitReader(f, maxSecretFile)); err != nil {
		return nil, sum, err
	}
	copy(sum[:], h.Sum(nil))
	return st, sum, nil
}

// maxSecretFile bounds how much of a secret file is hashed.
const maxSecretFile = 1 << 20

var errIsDir = errors.New("a directory, not a file")

// credential is the guard's state of one Credential.
type credential struct {
	Credential
	name string

	password  string
	fp        fingerprint
	gen       uint64    // bumped when the secret or the settings of its hosts change
	secretErr error     // the secret could not be read: no login is tried
	checked   time.Time // wall clock of the last look at its files
	settings  string    // the settings of the hosts that use it, for Update
	// settingsNext is what Update is about to make settings.
	settingsNext string

	proven   bool      // the last login that told anything succeeded
	failures int       // failed logins in a row, across the fleet
	probes   int       // logins in flight while not proven
	stopped  bool      // not used at all until it changes
	since    time.Time // when it stopped (fleet clock)
}

// reset forgets the credential's failures: its secret or settings changed.
func (c *credential) reset() {
	c.gen++
	c.proven, c.failures, c.stopped, c.since = false, 0, false, time.Time{}
}
