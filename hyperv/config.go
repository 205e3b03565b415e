package hyperv

import (
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// AuthMethod is how the client authenticates to WinRM.
type AuthMethod int

// Authentication methods. NTLM and Kerberos seal every message over plain
// HTTP (see Encryption), as a default Windows host requires; Basic cannot,
// so it needs HTTPS, or a host with AllowUnencrypted=true and Basic enabled.
const (
	AuthBasic AuthMethod = iota
	AuthNTLM
	AuthKerberos
)

// String returns the method's configuration name: "basic", "ntlm" or "kerberos".
func (m AuthMethod) String() string {
	switch m {
	case AuthBasic:
		return "basic"
	case AuthNTLM:
		return "ntlm"
	case AuthKerberos:
		return "kerberos"
	}
	return "AuthMethod(" + strconv.Itoa(int(m)) + ")"
}

// ParseAuthMethod parses a configuration name ("basic", "ntlm", "kerberos";
// case-insensitive). The empty string is basic.
func ParseAuthMethod(s string) (AuthMethod, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "basic":
		return AuthBasic, nil
	case "ntlm":
		return AuthNTLM, nil
	case "kerberos":
		return AuthKerberos, nil
	}
	return 0, fmt.Errorf("parse auth method %q: want basic, ntlm or kerberos: %w", s, ErrInvalidConfig)
}

// Encryption says whether WinRM messages are sealed with the
// authentication's security context (MS-WSMV message encryption).
type Encryption int

// Encryption settings.
const (
	// EncryptionAuto seals NTLM and Kerberos messages over HTTP, as a
	// default Windows host (AllowUnencrypted=false) requires; over HTTPS,
	// TLS protects them and they are not sealed.
	EncryptionAuto Encryption = iota
	// EncryptionNever sends messages unsealed: only for HTTPS, or for a
	// host whose WinRM service has AllowUnencrypted=true.
	EncryptionNever
)

// String returns the setting's configuration name: "auto" or "never".
func (e Encryption) String() string {
	switch e {
	case EncryptionAuto:
		return "auto"
	case EncryptionNever:
		return "never"
	}
	return "Encryption(" + strconv.Itoa(int(e)) + ")"
}

// ParseEncryption parses a configuration name ("auto", "never";
// case-insensitive). The empty string is auto.
func ParseEncryption(s string) (Encryption, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return EncryptionAuto, nil
	case "never":
		return EncryptionNever, nil
	}
	return 0, fmt.Errorf("parse encryption %q: want auto or never: %w", s, ErrInvalidConfig)
}

// KerberosConfig says how to get a Kerberos ticket for the host. The
// credential is the first set of CCache, Keytab (with Username) and
// Password (with Username). Clients with the same credential share one
// login and its tickets: the first asks the KDC for a ticket-granting
// ticket, and each asks once for its host's service ticket. Tickets are
// forwardable, as delegating to the destination of a live migration
// needs.
type KerberosConfig struct {
	Realm      string // e.g. "LAB.EXAMPLE"
	ConfigFile string // krb5.conf path: the realm's KDCs and encryption types
	// SPN is the host's service principal; empty = HTTP/<name>, where
	// name is TLSServerName when set, else Host. Active Directory has
	// SPNs for host names, not IP addresses: a Host given as an address
	// needs TLSServerName or SPN.
	SPN    string
	CCache string // credential cache file (as kinit writes it); when set, Username and Password are not used
	Keytab string // keytab file holding Username's keys; when set, Password is not used
}

// TransportStats counts what a Client's transport did since it was made.
type TransportStats struct {
	Requests    uint64 // WS-Management requests sent
	Connections uint64 // TCP connections opened
	Logins      uint64 // authentication exchanges with the host (NTLM handshakes, Kerberos AP exchanges, Basic is 0)
	// KDCRequests counts the requests to Kerberos KDCs (AS and TGS) of
	// the client's credential: Clients with the same credential share
	// one login, and each reports its count. A credential whose keytab
	// or krb5.conf changed is a new login, counted from zero.
	KDCRequests uint64
	// ShellsOpened counts the remote shells the client opened: one, and
	// another each time the host closed it or it was retired.
	ShellsOpened uint64
	// OrphanedShellsClosed counts the shells of stopped processes of the
	// installation (see Config.ShellName) that the client closed.
	OrphanedShellsClosed uint64
}

// Config says how to reach one Hyper-V host. Secrets are passed in, never
// logged or put in errors: String, GoString and LogValue leave the password
// out, and it is not marshalled.
type Config struct {
	Host               string // DNS name or IP address
	Port               int    // 0 = 5985 (HTTP) or 5986 (HTTPS)
	HTTPS              bool
	CACert             []byte // PEM; empty = system roots
	InsecureSkipVerify bool
	TLSServerName      string // name to verify the certificate against; empty = Host
	Auth               AuthMethod
	Encryption         Encryption // default EncryptionAuto
	Username           string
	Password           string `json:"-" yaml:"-"`
	Kerberos           KerberosConfig
	CallTimeout        time.Duration // deadline of each read call; 0 = DefaultCallTimeout
	MoveTimeout        time.Duration // deadline of each migration; 0 = DefaultMoveTimeout
	OperationTimeout   time.Duration // WS-Man OperationTimeout (Receive long poll); 0 = DefaultOperationTimeout
	// ShellName marks the remote shells the client opens as this
	// installation's, so that a later process finds and closes those a
	// killed one left behind; give each installation sharing an account
	// its own. Letters, digits, '.', '_' and '-', at most 32; empty =
	// DefaultShellName.
	ShellName string
	// ShellIdleTimeout is how long the host keeps the client's shell
	// open without a request (the shell's IdleTimeOut); 0 =
	// DefaultShellIdleTimeout. The client opens another when the host
	// closed it.
	ShellIdleTimeout time.Duration
}

// Defaults for the zero fields of Config.
const (
	DefaultHTTPPort         = 5985
	DefaultHTTPSPort        = 5986
	DefaultCallTimeout      = 60 * time.Second
	DefaultMoveTimeout      = 4 * time.Hour
	DefaultOperationTimeout = 5 * time.Second
	DefaultShellName        = "hvbalancer"
	DefaultShellIdleTimeout = 15 * time.Minute
)

// ErrInvalidConfig marks every configuration problem.
var ErrInvalidConfig = errors.New("invalid config")

// withDefaults fills the zero fields.
func (c Config) withDefaults() Config {
	if c.Port == 0 {
		c.Port = DefaultHTTPPort
		if c.HTTPS {
			c.Port = DefaultHTTPSPort
		}
	}
	if c.CallTimeout == 0 {
		c.CallTimeout = DefaultCallTimeout
	}
	if c.MoveTimeout == 0 {
		c.MoveTimeout = DefaultMoveTimeout
	}
	if c.OperationTimeout == 0 {
		c.OperationTimeout = DefaultOperationTimeout
	}
	if c.ShellName == "" {
		c.ShellName = DefaultShellName
	}
	if c.ShellIdleTimeout == 0 {
		c.ShellIdleTimeout = DefaultShellIdleTimeout
	}
	return c
}

// Validate reports every problem of the configuration at once; each
// matches ErrInvalidConfig.
func (c Config) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s: %w", field, fmt.Sprintf(format, args...), ErrInvalidConfig))
	}
	switch {
	case c.Host == "":
		bad("host", "required")
	case len(c.Host) > 253:
		bad("host", "longer than 253 characters")
	case strings.ContainsAny(c.Host, "/@[]?#% \t\r\n") || strings.ContainsFunc(c.Host, isControl):
		bad("host", "%q is not a host name or IP address (no scheme, port or path)", c.Host)
	}
	if c.Port < 0 || c.Port > 65535 {
		bad("port", "%d out of range 1-65535", c.Port)
	}
	if !c.HTTPS {
		if len(c.CACert) > 0 {
			bad("ca_cert", "set without https")
		}
		if c.InsecureSkipVerify {
			bad("insecure_skip_verify", "set without https")
		}
		if c.TLSServerName != "" {
			bad("tls_server_name", "set without https")
		}
	}
	if len(c.CACert) > 0 && !x509.NewCertPool().AppendCertsFromPEM(c.CACert) {
		bad("ca_cert", "no PEM certificate found")
	}
	switch c.Encryption {
	case EncryptionAuto, EncryptionNever:
	default:
		bad("encryption", "unknown setting %d", int(c.Encryption))
	}
	if c.Auth == AuthBasic && !c.HTTPS && c.Encryption == EncryptionAuto {
		bad("auth", "basic authentication cannot encrypt messages over HTTP: use HTTPS, or set encryption never for a host with AllowUnencrypted=true (the password then crosses the network in the clear)")
	}
	switch c.Auth {
	case AuthBasic, AuthNTLM:
		if c.Username == "" {
			bad("username", "required for %s authentication", c.Auth)
		}
		if c.Password == "" {
			bad("password", "required for %s authentication", c.Auth)
		}
	case AuthKerberos:
		if c.Kerberos.Realm == "" {
			bad("kerberos.realm", "required for kerberos authentication")
		}
		if c.Kerberos.ConfigFile == "" {
			bad("kerberos.config_file", "required for kerberos authentication")
		}
		switch k := c.Kerberos; {
		case k.CCache != "":
		case c.Username == "" || k.Keytab == "" && c.Password == "":
			bad("kerberos", "needs a credential cache, or a username with a keytab or a password")
		}
	default:
		bad("auth", "unknown method %d", int(c.Auth))
	}
	for _, d := range []struct {
		field string
		v     time.Duration
	}{{"call_timeout", c.CallTimeout}, {"move_timeout", c.MoveTimeout}, {"operation_timeout", c.OperationTimeout}} {
		if d.v < 0 {
			bad(d.field, "%s is negative", d.v)
		}
	}
	if c.OperationTimeout != 0 && (c.OperationTimeout < time.Second || c.OperationTimeout > time.Hour) {
		bad("operation_timeout", "%s out of range 1s-1h", c.OperationTimeout)
	}
	if c.ShellName != "" && !shellNameRE.MatchString(c.ShellName) {
		bad("shell_name", "%q: want 1-32 letters, digits, '.', '_' or '-', starting with a letter or digit", truncate(c.ShellName, 64))
	}
	if c.ShellIdleTimeout != 0 && (c.ShellIdleTimeout < time.Minute || c.ShellIdleTimeout > 24*time.Hour) {
		bad("shell_idle_timeout", "%s out of range 1m-24h", c.ShellIdleTimeout)
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("hyperv config for %q: %w", c.Host, errors.Join(errs...))
}

var shellNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$`)

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// String describes the configuration without its password.
func (c Config) String() string {
	d := c.withDefaults()
	var b strings.Builder
	fmt.Fprintf(&b, "hyperv.Config{host=%s port=%d https=%t", d.Host, d.Port, d.HTTPS)
	if d.HTTPS {
		fmt.Fprintf(&b, " ca_cert=%t insecure_skip_verify=%t", len(d.CACert) > 0, d.InsecureSkipVerify)
		if d.TLSServerName != "" {
			fmt.Fprintf(&b, " tls_server_name=%s", d.TLSServerName)
		}
	}
	fmt.Fprintf(&b, " auth=%s encryption=%s username=%s password=%s", d.Auth, d.Encryption, d.Username, redactedMark(d.Password))
	if d.Auth == AuthKerberos {
		fmt.Fprintf(&b, " realm=%s krb5_conf=%s spn=%s ccache=%s keytab=%s", d.Kerberos.Realm, d.Kerberos.ConfigFile, d.spn(), d.Kerberos.CCache, d.Kerberos.Keytab)
	}
	fmt.Fprintf(&b, " call_timeout=%s move_timeout=%s operation_timeout=%s}", d.CallTimeout, d.MoveTimeout, d.OperationTimeout)
	return b.String()
}

// GoString is String, so %#v does not print the password either.
func (c Config) GoString() string { return c.String() }

// LogValue implements slog.LogValuer without the password.
func (c Config) LogValue() slog.Value {
	d := c.withDefaults()
	return slog.GroupValue(
		slog.String("host", d.Host),
		slog.Int("port", d.Port),
		slog.Bool("https", d.HTTPS),
		slog.Bool("insecure_skip_verify", d.InsecureSkipVerify),
		slog.String("auth", d.Auth.String()),
		slog.String("encryption", d.Encryption.String()),
		slog.String("username", d.Username),
		slog.String("password", redactedMark(d.Password)),
	)
}

func redactedMark(secret string) string {
	if secret == "" {
		return "<none>"
	}
	return "<redacted>"
}

// Address returns host:port.
func (c Config) address() string {
	return net.JoinHostPort(c.Host, strconv.Itoa(c.Port))
}

// wsmanDuration formats d as an xs:duration for WS-Man, e.g. "PT5.000S".
func wsmanDuration(d time.Duration) string {
	return fmt.Sprintf("PT%.3fS", d.Seconds())
}
